"""Keeping a project up to date: a project created with cruft is in sync, and diffs to nothing.

cruft re-bakes the template (running both hooks again) to compute its diff, so an empty
diff also proves the hooks are idempotent. cruft reads the template's committed HEAD.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from harness import TEMPLATE_DIR

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None or not (TEMPLATE_DIR / ".git").exists(),
    reason="cruft needs the template as a git repository",
)


def cruft(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["cruft", *args], cwd=cwd, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def created(tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("cruft")
    result = cruft("create", "--no-input", str(TEMPLATE_DIR), "--output-dir", str(output), cwd=output)
    assert result.returncode == 0, result.stderr
    return output / "churn-prediction"


def test_cruft_records_the_template_and_the_answers(created: Path) -> None:
    state = json.loads((created / ".cruft.json").read_text())
    assert state["context"]["cookiecutter"]["project_slug"] == "churn-prediction"
    assert (created / ".cookiecutter.json").is_file()


def test_a_fresh_project_is_up_to_date(created: Path) -> None:
    assert cruft("check", cwd=created).returncode == 0


def test_a_re_bake_differs_in_nothing(created: Path) -> None:
    result = cruft("diff", "--exit-code", cwd=created)
    assert result.returncode == 0, result.stdout
