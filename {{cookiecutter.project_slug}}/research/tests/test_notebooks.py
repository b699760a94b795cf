"""Research: every notebook is a test — nbmake runs each one top to bottom on a fresh kernel in `make test`.

This module checks the wiring that makes that true (a notebook no test collects would rot silently).
"""

import tomllib
from pathlib import Path

RESEARCH = Path(__file__).parents[1]
ROOT = RESEARCH.parent
NOTEBOOKS = sorted((RESEARCH / "notebooks").glob("*.ipynb"))


def test_pytest_runs_every_notebook_through_nbmake() -> None:
    assert NOTEBOOKS, "research/notebooks holds no notebook"
    pytest_config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]
    assert "--nbmake" in pytest_config["addopts"]
    notebook_folders = {(ROOT / path).resolve() for path in pytest_config["testpaths"]}
    assert {path.parent.resolve() for path in NOTEBOOKS} <= notebook_folders
