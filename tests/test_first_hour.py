"""The first hour: `make setup` on a machine without uv installs the pinned uv, or says the exact command.

PATH here holds no uv, and `python3` is the template's own interpreter (it has pip), so the test is the
same on any machine: only the uv that `make setup` installs into the bake's `.tools/uv` can be found.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from harness import DEFAULTS, OPTIONS, bake, project_env, run, setup

UV_PIN = str(OPTIONS["_versions"]["uv"])  # type: ignore[index]


def path_without_uv(tmp_path: Path, python3: str) -> str:
    """PATH without any folder that holds a uv, led by a folder whose `python3` is the given script."""
    shims = tmp_path / "shims"
    shims.mkdir()
    (shims / "python3").write_text(python3)
    (shims / "python3").chmod(0o755)
    kept = [p for p in os.environ["PATH"].split(os.pathsep) if p and not (Path(p) / "uv").exists()]
    path = os.pathsep.join([str(shims), *kept])
    assert shutil.which("uv", path=path) is None
    return path


@pytest.mark.generated
@pytest.mark.xdist_group("first-hour")
def test_setup_without_uv_installs_the_pinned_uv_and_every_verb_finds_it(tmp_path: Path) -> None:
    env = project_env(DEFAULTS["python_version"])
    env["PATH"] = path_without_uv(tmp_path, f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    root = bake(tmp_path)
    printed = setup(root, env)
    assert f"installing the pinned uv {UV_PIN} into .tools/uv" in printed
    assert "put it on PATH" in printed.splitlines()[-1]
    installed = subprocess.run([root / ".tools/uv/bin/uv", "--version"], capture_output=True, text=True, check=True)
    assert installed.stdout.split()[:2] == ["uv", UV_PIN]
    assert (root / ".venv").is_dir()
    assert ".tools" not in run("git status --porcelain --untracked-files=all", root, env)  # git-ignored
    # Every other verb runs through the same uv; a second setup finds it and installs nothing.
    run("make imports", root, env)
    assert "installing the pinned uv" not in setup(root, env)


@pytest.mark.generated
@pytest.mark.xdist_group("first-hour")
def test_setup_without_uv_or_pip_stops_with_the_exact_command(tmp_path: Path) -> None:
    env = project_env(DEFAULTS["python_version"])
    env["PATH"] = path_without_uv(tmp_path, '#!/bin/sh\necho "No module named pip" >&2\nexit 1\n')
    root = bake(tmp_path)
    result = subprocess.run(["make", "setup"], cwd=root, env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert f"could not install uv {UV_PIN}" in result.stderr
    assert f"python3 -m pip install --user uv=={UV_PIN}" in result.stderr
    assert not (root / ".venv").exists() and not (root / ".tools/uv/bin/uv").exists()
