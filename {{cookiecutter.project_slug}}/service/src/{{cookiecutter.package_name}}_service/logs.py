"""Service (ML Engineers): structured logs (structlog) — aligned lines in a terminal, JSON lines in a container.

Every line carries the id of the request it belongs to. The code logs through the standard
`logging` module (uvicorn does too) with fields in `extra=`; structlog's ProcessorFormatter turns
each record into the same event — time, level, logger, message, request_id, fields — and renders it
for a person (`console`) or for a log collector (`json`). LOG_FORMAT chooses; `auto` picks console
when stderr is a terminal, JSON otherwise (the image sets LOG_FORMAT=json).
"""

from __future__ import annotations

import logging
import sys
from typing import Literal, TextIO

import structlog
from asgi_correlation_id import correlation_id
from structlog.stdlib import ProcessorFormatter
from structlog.typing import EventDict, Processor, WrappedLogger

LogFormat = Literal["auto", "json", "console"]

# The request being served (asgi-correlation-id sets it from X-Request-ID, or makes one); None outside a request.
request_id_var = correlation_id


def _add_request_id(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    """The id given explicitly (the access log passes it in `extra=`), else the request being served."""
    if not event.get("request_id"):
        event["request_id"] = request_id_var.get() or "-"
    return event


def _drop_uvicorn_colour_copy(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    event.pop("color_message", None)  # uvicorn's ANSI-coloured duplicate of the message
    return event


# What every record goes through, from `logging` or from structlog, before it is rendered.
_SHARED: list[Processor] = [
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.ExtraAdder(),
    _drop_uvicorn_colour_copy,
    _add_request_id,
    structlog.processors.TimeStamper(fmt="iso", utc=True, key="time"),
]


class JsonFormatter(ProcessorFormatter):
    """One JSON object per line: time, level, logger, message, request_id, any `extra` fields, exception."""

    def __init__(self) -> None:
        super().__init__(
            foreign_pre_chain=_SHARED,
            processors=[
                ProcessorFormatter.remove_processors_meta,
                structlog.processors.EventRenamer("message"),
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer(default=str),
            ],
        )


class ConsoleFormatter(ProcessorFormatter):
    """One aligned line per event for a person: time, level, message, then the fields as key=value."""

    def __init__(self, *, colors: bool) -> None:
        super().__init__(
            foreign_pre_chain=_SHARED,
            processors=[
                ProcessorFormatter.remove_processors_meta,
                structlog.dev.ConsoleRenderer(colors=colors, timestamp_key="time"),
            ],
        )


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler this module installed, so configuring twice does not duplicate lines."""


def formatter_for(log_format: LogFormat, stream: TextIO) -> logging.Formatter:
    """JSON or console lines; `auto` is console on a terminal and JSON anywhere else (a container, a file)."""
    is_terminal = stream.isatty()
    if log_format == "json" or (log_format == "auto" and not is_terminal):
        return JsonFormatter()
    return ConsoleFormatter(colors=is_terminal)


def configure_logging(level: str, log_format: LogFormat = "auto", stream: TextIO | None = None) -> None:
    """Send every logger (uvicorn's and structlog's too) through one handler on stderr, in `log_format`.

    uvicorn's own access log is silenced: the app logs each request itself, with its request id.
    """
    stream = stream or sys.stderr
    root = logging.getLogger()
    for old in [handler for handler in root.handlers if isinstance(handler, _Handler)]:
        root.removeHandler(old)
    handler = _Handler(stream)
    handler.setFormatter(formatter_for(log_format, stream))
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False
    # structlog.get_logger(...) in any module goes through the same handler and format.
    structlog.configure(
        processors=[structlog.stdlib.filter_by_level, *_SHARED, ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
