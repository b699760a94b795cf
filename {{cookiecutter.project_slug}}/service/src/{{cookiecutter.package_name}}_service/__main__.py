"""Service (ML Engineers): `python -m <package>_service` runs uvicorn with the settings and JSON logs."""

from __future__ import annotations

from {{ cookiecutter.package_name }}_service.logs import configure_logging
from {{ cookiecutter.package_name }}_service.server import serve
from {{ cookiecutter.package_name }}_service.settings import Settings


def main() -> None:
    settings = Settings()
    configure_logging(settings.log_level)
    serve(settings)


if __name__ == "__main__":
    main()
