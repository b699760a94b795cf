"""Fixtures of the template's tests: pytest-cookies bakes of this template and the session-wide bake cache."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import TEMPLATE_DIR, BakeCache


def pytest_configure(config: pytest.Config) -> None:
    # pytest-cookies bakes `--template` (default: the working directory); run from anywhere, bake this template.
    if not (Path(config.option.template) / "cookiecutter.json").is_file():
        config.option.template = str(TEMPLATE_DIR)


@pytest.fixture(scope="session")
def baked(cookies_session) -> BakeCache:  # noqa: ANN001 - pytest-cookies' fixture is untyped
    """baked(answers) -> project folder: each combination baked once per worker (a git repository), read-only."""
    return BakeCache(cookies_session)


# Time to green, reported (never asserted): tests record `seconds_<step>` properties; the reports carry
# them from the xdist workers, and the summary prints one line per test that recorded any.
_TIMINGS: dict[str, dict[str, float]] = {}


# The dataset-shape tier's cases (tests/test_shapes.py): one line each, passed or failed, in CI's output.
_SHAPES: dict[str, str] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call":
        return
    seconds = {name[len("seconds_") :]: value for name, value in report.user_properties if name.startswith("seconds_")}
    if seconds:
        _TIMINGS[report.nodeid] = seconds
    for name, value in report.user_properties:
        if name == "shape_case":
            _SHAPES[report.nodeid] = str(value)


def pytest_terminal_summary(terminalreporter) -> None:  # noqa: ANN001 - pytest's TerminalReporter
    if _SHAPES:
        terminalreporter.section("dataset shapes (one line per case, reported not asserted)")
        for _, line in sorted(_SHAPES.items()):
            terminalreporter.write_line(line)
    if _TIMINGS:
        terminalreporter.section("time to green (seconds, reported not asserted)")
        for nodeid, seconds in sorted(_TIMINGS.items()):
            steps = ", ".join(f"{step} {value:.1f}" for step, value in seconds.items())
            terminalreporter.write_line(f"{sum(seconds.values()):.1f} s [{steps}] {nodeid}")
