"""Makefile: `make setup` is quiet, and a verb never runs stale — a changed dependency is refused by name, then installed.

Every verb runs through `uv run --locked --all-packages`: a pyproject.toml that no longer matches
uv.lock stops the verb with uv's message naming the fix; once the lock is updated the same verb
installs the new dependency before it runs.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from harness import DEFAULTS, bake, project_env, run, setup


def local_distribution(folder: Path) -> tuple[str, str]:
    """A one-module distribution made here (no member can already depend on it): its requirement and module."""
    module = "day_one_fresh_dependency"
    (folder / module).mkdir(parents=True)
    (folder / module / "__init__.py").write_text('"""Installed only when a verb syncs the new lock."""\n')
    (folder / "pyproject.toml").write_text(
        f'[project]\nname = "{module.replace("_", "-")}"\nversion = "0.1.0"\n'
        '[build-system]\nrequires = ["hatchling>=1.27"]\nbuild-backend = "hatchling.build"\n'
        f'[tool.hatch.build.targets.wheel]\npackages = ["{module}"]\n'
    )
    return module.replace("_", "-"), module


def add_dependency(pyproject: Path, requirement: str) -> None:
    text = pyproject.read_text(encoding="utf-8")
    changed, count = re.subn(r"^dependencies = \[\n", f'dependencies = [\n  "{requirement}",\n', text, flags=re.M)
    assert count == 1, f"{pyproject} has no multi-line dependencies list"
    pyproject.write_text(changed, encoding="utf-8")


def importable(root: Path, module: str, env: dict[str, str]) -> bool:
    probe = [str(root / ".venv" / "bin" / "python"), "-c", f"import {module}"]
    return subprocess.run(probe, cwd=root, env=env, capture_output=True).returncode == 0


@pytest.mark.generated
@pytest.mark.xdist_group("fresh-env")
def test_setup_is_quiet_and_a_changed_dependency_is_refused_until_locked_then_installed(tmp_path: Path) -> None:
    env = project_env(DEFAULTS["python_version"])
    root = bake(tmp_path)
    printed = setup(root, env).splitlines()
    # Quiet by default: the commands and one closing line, not one line per installed package.
    assert len(printed) <= 8, "\n".join(printed)
    assert printed[-1].startswith("Set up:")
    requirement, module = local_distribution(tmp_path / "dependency")
    assert not importable(root, module, env)

    add_dependency(root / "research" / "pyproject.toml", requirement)
    # Where uv finds it: a path source in the workspace's [tool.uv.sources] (members build with hatchling,
    # which refuses direct references in dependencies).
    workspace = root / "pyproject.toml"
    sources = f'[tool.uv.sources]\n{requirement} = {{ path = "{(tmp_path / "dependency").as_posix()}" }}\n'
    workspace.write_text(workspace.read_text(encoding="utf-8").replace("[tool.uv.sources]\n", sources, 1))
    refused = subprocess.run(["make", "imports"], cwd=root, env=env, capture_output=True, text=True)
    assert refused.returncode != 0
    assert "uv.lock" in refused.stderr and "needs to be updated" in refused.stderr, refused.stderr
    assert not importable(root, module, env), "the refused verb installed the dependency anyway"

    run("uv lock --quiet", root, env)
    run("make imports", root, env)
    assert importable(root, module, env), "the verb ran without installing the locked dependency"
