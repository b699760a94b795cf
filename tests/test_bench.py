"""Benches that cannot rot: every script in bench/ runs its quick mode, and its last line is its summary line.

The scripts are globbed (`bench/*.py`, less the underscore helpers such as `_paths.py`), so a new bench is
run without anyone listing it. A script that can reuse a trained bake says so with a `--project` option; those
get one bake of the defaults, set up and trained once for the session (`make setup && make repro`), and run on
one xdist worker (their group), so no script bakes and trains its own. The figures are printed, never asserted.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from harness import DEFAULTS, TEMPLATE_DIR, bake, debian_tool, find_interpreter, project_env, run, setup

pytestmark = pytest.mark.generated

BENCH_DIR = TEMPLATE_DIR / "bench"
SUMMARY = re.compile(r"^summary [a-z_]+:( [a-z0-9_]+=\S+)+$")

# Debian tools a script needs: installed (root with apt-get) or the test skips, as the other tiers do.
TOOLS = {"peers.py": ("wrk", "wrk"), "service.py": ("wrk", "wrk")}


def scripts() -> list[str]:
    found = {path.name for path in BENCH_DIR.glob("*.py") if not path.name.startswith("_")}
    return sorted(found)


def takes_project(name: str) -> bool:
    path = BENCH_DIR / name
    return path.is_file() and '"--project"' in path.read_text(encoding="utf-8")


def param(name: str) -> object:
    marks = [pytest.mark.xdist_group("bench-project")] if takes_project(name) else []
    return pytest.param(name, id=name.removesuffix(".py"), marks=marks)


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One bake of the defaults after `make setup && make repro`, shared by every script that takes --project."""
    version = DEFAULTS["python_version"]
    if find_interpreter(version) is None:
        pytest.skip(f"no Python {version} interpreter on this machine")
    root = bake(tmp_path_factory.mktemp("bench"))
    env = project_env(version)
    setup(root, env, timeout=1800)
    run("make repro", root, env, timeout=1800)
    return root


@pytest.mark.parametrize("name", [param(name) for name in scripts()])
def test_quick_mode_ends_with_its_summary(name: str, request: pytest.FixtureRequest) -> None:
    """`python bench/<name> --quick` exits 0 and its last line is `summary <name>: key=value ...`."""
    script = BENCH_DIR / name
    assert script.is_file(), f"bench/{name} is missing"
    if name in TOOLS:
        debian_tool(*TOOLS[name])
    command = [sys.executable, str(script), "--quick"]
    if takes_project(name):
        command += ["--project", str(request.getfixturevalue("trained"))]
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    result = subprocess.run(
        command, cwd=TEMPLATE_DIR, env=env, capture_output=True, text=True, timeout=1800, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"`{' '.join(command)}` failed with exit {result.returncode}:\n{output[-6000:]}"
    lines = result.stdout.strip().splitlines()
    last = lines[-1] if lines else ""
    assert SUMMARY.match(last), f"bench/{name}'s last line is not a summary line: {last!r}"
    assert last.startswith(f"summary {script.stem}:"), f"bench/{name}'s summary names another script: {last!r}"
    print(last)  # `make bench-quick` shows each script's summary (pytest -rP)
