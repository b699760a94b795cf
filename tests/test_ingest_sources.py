"""Pipelines tier: a URL in `ingest.source` is a dependency DVC tracks, so changed data upstream reruns ingest.

In a copy of the trained bake (tests/service_project.py; the copy keeps the shared bake as it was, and
runs with its .venv), the bake's data file is served over HTTP on loopback and `ingest.source` points at
it. `dvc repro ingest` reads it; a row appended upstream makes `dvc status ingest` report the URL modified.
The forms DVC cannot track are refused by params.yaml's check (pipelines/tests/test_ingest_source.py), which
`make repro` runs before DVC: one line naming `ingest.source`, checked here through `make repro` itself.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from harness import run, serve_folder
from service_project import Project, trained_project

pytestmark = [pytest.mark.generated, pytest.mark.xdist_group("service")]

# What a copy of the bake leaves out: its environment (used in place), DVC's cache and the pipeline's outputs.
NOT_COPIED = {".venv", "data", "models", "reports", "dvc_plots", ".dvc/cache", ".dvc/tmp"}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A folder served over HTTP on loopback: (base URL, folder)."""
    folder = tmp_path / "served"
    folder.mkdir()
    with serve_folder(folder) as base:
        yield base, folder


def copy_of(project: Project, destination: Path) -> tuple[Path, dict[str, str]]:
    """The bake's files (git repository included) in `destination`, and an environment that runs its .venv."""

    def ignored(folder: str, names: list[str]) -> set[str]:
        relative = Path(folder).relative_to(project.root)
        return {name for name in names if (relative / name).as_posix() in NOT_COPIED}

    shutil.copytree(project.root, destination, ignore=ignored, symlinks=True)
    env = {**project.env, "PATH": os.pathsep.join([str(project.root / ".venv" / "bin"), project.env["PATH"]])}
    return destination, env


def set_source(root: Path, source: str) -> str:
    """Point params.yaml's `ingest.source` at `source`; return the value it had."""
    params = yaml.safe_load((root / "params.yaml").read_text(encoding="utf-8"))
    before: str = params["ingest"]["source"]
    params["ingest"]["source"] = source
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    return before


def test_a_url_source_is_tracked_so_appended_rows_rerun_ingest(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, served: tuple[str, Path]
) -> None:
    root, env = copy_of(trained_project(tmp_path_factory), tmp_path / "project")
    base, folder = served
    url = f"{base}/records.csv"
    data = root / set_source(root, url)
    shutil.copy2(data, folder / "records.csv")

    output = run("dvc repro ingest", root, env)
    rows = sum(1 for _ in data.open(encoding="utf-8")) - 1
    assert f"ingest: {rows} rows from {url}" in output, output
    assert "up to date" in run("dvc status ingest", root, env)

    last = (folder / "records.csv").read_text(encoding="utf-8").splitlines()[-1]
    with (folder / "records.csv").open("a", encoding="utf-8") as upstream:
        upstream.write(last + "\n")
    status = run("dvc status ingest", root, env)
    changed = [line.split() for line in status.splitlines() if url in line]
    assert changed == [["modified:", url]], status


@pytest.mark.parametrize("source", ["file:///srv/data/records.csv", "az://container/records.csv"])
def test_make_repro_names_the_field_of_a_source_dvc_cannot_track(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, source: str
) -> None:
    root, env = copy_of(trained_project(tmp_path_factory), tmp_path / "project")
    set_source(root, source)
    # RUN= : the Makefile's own lines, run with the shared bake's .venv (first on PATH) instead of `uv run`.
    result = subprocess.run(["make", "repro", "RUN="], cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode != 0
    assert f"ingest.source={source!r}: Value error, DVC cannot track" in result.stderr, result.stderr
    assert "No such file or directory" not in result.stdout + result.stderr
