"""Service (ML Engineers): `python -m <package>_service` runs uvicorn with the settings and structured logs."""

from __future__ import annotations

from .logs import configure_logging
from .server import serve
from .settings import Settings


def main() -> None:
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    serve(settings)


if __name__ == "__main__":
    main()
