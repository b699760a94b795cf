"""The template's own CI (`.github/workflows/ci.yml`): the macOS job's bake-and-check step runs as written."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml
from harness import TEMPLATE_DIR

WORKFLOW = TEMPLATE_DIR / ".github" / "workflows" / "ci.yml"


def step_script(job: str, name: str) -> str:
    steps = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"][job]["steps"]
    return next(step["run"] for step in steps if step.get("name") == name)


def test_the_macos_job_runs_make_in_the_folder_the_default_bake_makes(tmp_path: Path) -> None:
    """A renamed default (churn-prediction became tabular-model) must not leave the job in a missing folder."""
    workspace = tmp_path / "workspace"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=TEMPLATE_DIR, capture_output=True, check=True).stdout
    for relative in filter(None, tracked.decode().split("\0")):
        target = workspace / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((TEMPLATE_DIR / relative).read_bytes())
    (workspace / ".venv").symlink_to(TEMPLATE_DIR / ".venv")
    # `make` stands in for the real setup and check (the generated tier runs those): it records where it ran.
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    (stubs / "make").write_text(f'#!/bin/sh\necho "$PWD $*" > {tmp_path / "make.log"}\n')
    (stubs / "make").chmod(0o755)
    env = {**os.environ, "GITHUB_WORKSPACE": str(workspace), "PATH": f"{stubs}{os.pathsep}{os.environ['PATH']}"}
    script = step_script("macos", "The default bake's make check")
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], cwd=workspace, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    folder, arguments = (tmp_path / "make.log").read_text().split(" ", 1)
    baked = list((workspace / "build" / "macos").iterdir())
    assert [Path(folder)] == baked
    assert (baked[0] / "Makefile").is_file()
    assert arguments.split() == ["setup", "check-all"]
