"""Service (ML Engineers): shutdown signals — one Ctrl-C is one request to stop, however many copies arrive."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest
import uvicorn

from {{ cookiecutter.package_name }}_service import server
from {{ cookiecutter.package_name }}_service.state import DRAINING

# The slow tier (`make test-slow`): a real server process, signalled.
pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def not_draining() -> Iterator[None]:
    DRAINING.clear()
    yield
    DRAINING.clear()


def draining_server(drain_seconds: float = 0.0) -> server.DrainingServer:
    return server.DrainingServer(uvicorn.Config(server.APP, factory=True), drain_seconds)


def test_a_ctrl_c_delivered_twice_stops_gracefully_once() -> None:
    """The terminal and `uv run` both deliver the keypress: the copy must not force the exit."""
    subject = draining_server()
    subject.handle_exit(signal.SIGINT, None)
    subject.handle_exit(signal.SIGINT, None)
    assert (subject.should_exit, subject.force_exit) == (True, False)
    assert subject._captured_signals == [signal.SIGINT]  # re-raised once after the shutdown


def test_a_second_ctrl_c_later_forces_the_exit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server, "SAME_SIGNAL_SECONDS", 0.0)  # every signal counts as a new keypress
    subject = draining_server()
    subject.handle_exit(signal.SIGINT, None)
    subject.handle_exit(signal.SIGINT, None)
    assert (subject.should_exit, subject.force_exit) == (True, True)


def test_a_sigterm_delivered_twice_keeps_draining() -> None:
    subject = draining_server(drain_seconds=60.0)
    subject.handle_exit(signal.SIGTERM, None)
    subject.handle_exit(signal.SIGTERM, None)
    assert DRAINING.is_set()
    assert subject.should_exit is False  # still serving with readiness 503 until the drain ends
    assert subject._timer is not None
    assert subject._timer.is_alive()
    subject.handle_exit(signal.SIGINT, None)  # a different signal: stop draining, shut down now
    assert subject.should_exit is True
    subject._timer.join(timeout=5)
    assert not subject._timer.is_alive()
