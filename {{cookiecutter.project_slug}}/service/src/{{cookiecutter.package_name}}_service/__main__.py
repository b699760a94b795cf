"""Service (ML Engineers): `python -m <package>_service` runs uvicorn with the settings and JSON logs."""

from __future__ import annotations

import uvicorn

from {{ cookiecutter.package_name }}_service.logs import configure_logging
from {{ cookiecutter.package_name }}_service.settings import Settings


def main() -> None:
    settings = Settings()
    configure_logging(settings.log_level)
    uvicorn.run(
        "{{ cookiecutter.package_name }}_service.app:create_app",
        factory=True,
        host=settings.bind_host,
        port=settings.port,
        workers=settings.workers,
        log_config=None,
        access_log=False,  # the app logs each request itself, as JSON with its request id
        server_header=False,
        proxy_headers=False,
    )


if __name__ == "__main__":
    main()
