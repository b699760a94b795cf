"""Research's test fixtures: a fresh git + DVC repository holding the files `make dataset` reads and writes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}_research.dataset import PROJECT, Layout


@pytest.fixture(scope="session")
def fresh_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The files `make dataset` reads and writes, copied into a fresh git + DVC repository, once: `dvc init`
    takes a second, a copy of the result milliseconds. Tests never write here (see `project`).

    A DVC-tracked data file (one with a `.dvc` pointer beside it, the state after `make dataset`) is left
    out, as in a fresh clone that never ran `dvc pull`: the new repository's DVC cache is empty, and the
    file may be gigabytes. Its pointer and the sample in git are copied."""
    root = tmp_path_factory.mktemp("fresh") / "project"
    layout, here = Layout(root), Layout(PROJECT)
    tracked = {pointer.with_suffix("").name for pointer in (here.core / "data").glob("*.dvc")}
    shutil.copytree(here.core / "data", layout.core / "data", ignore=lambda folder, names: tracked & set(names))
    shutil.copy(here.schema, layout.schema)
    shutil.copy(here.params, layout.params)
    shutil.copy(PROJECT / "pyproject.toml", root / "pyproject.toml")
    for command in (["git", "init", "-q"], ["dvc", "init", "-q"]):
        subprocess.run(command, cwd=root, check=True)
    return root


@pytest.fixture
def project(fresh_project: Path, tmp_path: Path) -> Path:
    """A test's own copy of the fresh git + DVC repository (symlinks kept as links)."""
    return Path(shutil.copytree(fresh_project, tmp_path / "project", symlinks=True))
