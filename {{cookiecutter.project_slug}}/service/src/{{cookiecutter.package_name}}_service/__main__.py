"""Service (ML Engineers): `python -m <package>_service` runs uvicorn with the settings and JSON logs."""

from __future__ import annotations

from .logs import configure_logging
from .server import serve
from .settings import Settings


def main() -> None:
    settings = Settings()
    configure_logging(settings.log_level)
    serve(settings)


if __name__ == "__main__":
    main()
