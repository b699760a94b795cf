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
