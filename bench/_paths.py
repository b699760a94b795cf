"""Template maintainers' benches: put the test harness on the import path, as pytest's `pythonpath` does.

`python bench/<script>.py` puts bench/ first on sys.path, so a script imports this module before `harness`.
The folders are the ones the root pyproject gives pytest (`[tool.pytest.ini_options] pythonpath`), so a bench
imports the harness (and any test module it borrows from) exactly as the tests do.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

TEMPLATE_DIR = Path(__file__).resolve().parents[1]
PYTHONPATH = tomllib.loads((TEMPLATE_DIR / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"][
    "ini_options"
]["pythonpath"]

for folder in reversed(PYTHONPATH):
    entry = str(TEMPLATE_DIR / folder)
    if entry not in sys.path:
        sys.path.insert(0, entry)
