"""Bake tier: the generated Python is lint- and format-clean as baked, for the longest name the hooks allow.

The first commit runs ruff as a pre-commit hook, and a fix it makes fails that commit. The generated tier finds
that after minutes; this finds it in seconds. A 32-character package name (the most the hooks derive) is what
changes how ruff wraps an import, so every Python file is checked with it, for each task and each registry.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from harness import answers_of, baked_path, combo_id

RUFF = Path(sys.executable).with_name("ruff")
LONG_NAME = "Seabird Census Forecasting Lab X"
# The Python files differ by task (schema, metrics) and by registry (register_mlflow or register_local).
COMBOS = [
    {"task": "classification", "experiment_tracking": "mlflow"},
    {"task": "regression", "experiment_tracking": "none"},
]


@pytest.mark.skipif(not RUFF.is_file(), reason="ruff is not installed beside this interpreter (`make venv`)")
@pytest.mark.parametrize("combo", COMBOS, ids=combo_id)
@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=" ".join)
def test_a_long_named_bake_needs_no_ruff_fix(cookies: Any, combo: dict[str, str], command: list[str]) -> None:
    root = baked_path(cookies.bake(extra_context={**combo, "project_name": LONG_NAME}))
    assert len(answers_of(root)["package_name"]) == 32, "the name no longer yields the longest package name"
    result = subprocess.run(
        [str(RUFF), *command, "--no-cache", "."], cwd=root, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, (
        f"ruff {' '.join(command)} would change the first commit:\n{result.stdout}{result.stderr}"
    )
