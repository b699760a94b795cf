"""Service (ML Engineers): logs are aligned lines in a terminal and JSON lines in a container, chosen by LOG_FORMAT."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog
from pydantic import ValidationError

from {{ cookiecutter.package_name }}_service.logs import (
    ConsoleFormatter,
    JsonFormatter,
    configure_logging,
    formatter_for,
    request_id_var,
)
from {{ cookiecutter.package_name }}_service.settings import Settings


class Terminal(io.StringIO):
    """A stream that says it is a terminal, as stderr does when a person runs the service."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


def emit(stream: io.StringIO, message: str, **fields: object) -> str:
    """Log one INFO record with `extra` fields while a request is being served; return what was written."""
    token = request_id_var.set("req-42")
    try:
        logging.getLogger("service.test").info(message, extra=fields)
    finally:
        request_id_var.reset(token)
    return stream.getvalue()


@pytest.mark.usefixtures("restore_logging")
def test_json_lines_carry_time_level_logger_message_request_id_and_fields() -> None:
    stream = io.StringIO()
    configure_logging("INFO", "json", stream)
    line = json.loads(emit(stream, "model loaded", version="3", rows=12))
    assert line["message"] == "model loaded"
    assert line["level"] == "info"
    assert line["logger"] == "service.test"
    assert line["request_id"] == "req-42"
    assert (line["version"], line["rows"]) == ("3", 12)
    assert line["time"].endswith("Z")


@pytest.mark.usefixtures("restore_logging")
def test_console_lines_are_for_people_not_json() -> None:
    stream = io.StringIO()
    configure_logging("INFO", "console", stream)
    text = emit(stream, "model loaded", version="3")
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)
    assert "model loaded" in text
    assert "version=3" in text
    assert "request_id=req-42" in text
    assert "\x1b[" not in text, "colour codes written to a stream that is not a terminal"


@pytest.mark.parametrize(("stream", "expected"), [(Terminal(), ConsoleFormatter), (io.StringIO(), JsonFormatter)])
def test_auto_is_console_in_a_terminal_and_json_elsewhere(stream: io.StringIO, expected: type) -> None:
    assert isinstance(formatter_for("auto", stream), expected)
    assert isinstance(formatter_for("json", Terminal()), JsonFormatter)


@pytest.mark.usefixtures("restore_logging")
def test_an_exception_is_logged_with_its_traceback_as_one_json_line() -> None:
    stream = io.StringIO()
    configure_logging("INFO", "json", stream)
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("service.test").exception("unhandled error")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    line = json.loads(lines[0])
    assert line["level"] == "error"
    assert "Traceback" in line["exception"]
    assert "RuntimeError: boom" in line["exception"]


@pytest.mark.usefixtures("restore_logging")
def test_configuring_twice_keeps_one_handler_in_the_last_format() -> None:
    first, second = io.StringIO(), io.StringIO()
    configure_logging("INFO", "console", first)
    configure_logging("WARNING", "json", second)
    logging.getLogger("service.test").warning("once")
    assert first.getvalue() == ""
    assert [json.loads(line)["message"] for line in second.getvalue().splitlines()] == ["once"]
    logging.getLogger("service.test").info("below the level")
    assert len(second.getvalue().splitlines()) == 1


@pytest.mark.usefixtures("restore_logging")
def test_structlog_loggers_share_the_handler_and_format() -> None:
    stream = io.StringIO()
    configure_logging("INFO", "json", stream)
    structlog.get_logger("service.struct").info("scored", records=3)
    line = json.loads(stream.getvalue())
    assert (line["message"], line["records"], line["level"]) == ("scored", 3, "info")
    assert line["logger"] == "service.struct"


def test_log_format_is_a_setting_and_a_wrong_value_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_FORMAT", "json")
    assert Settings().log_format == "json"
    monkeypatch.setenv("LOG_FORMAT", "pretty")
    with pytest.raises(ValidationError) as refused:
        Settings()
    error = refused.value.errors()[0]
    assert (error["loc"], error["type"]) == (("log_format",), "literal_error")
