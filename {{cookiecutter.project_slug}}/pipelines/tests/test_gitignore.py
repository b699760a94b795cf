"""Pipelines: what a run writes is DVC's (git-ignored) or git's (the metrics JSON), never left for `git add -A`."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
# An output dvc.yaml keeps out of DVC's cache that is git-ignored all the same: the gate's decision depends on this
# machine's registry (its champion, its version numbers), not only on what dvc.lock records.
MACHINE_LOCAL = {"reports/registry.json"}


def outputs(dvc_pipeline: dict[str, Any]) -> dict[str, bool]:
    """Every output of dvc.yaml's stages (metrics too): path -> kept in git (`cache: false`, not MACHINE_LOCAL)."""
    found: dict[str, bool] = {}
    for stage in dvc_pipeline["stages"].values():
        for out in stage.get("outs", []) + stage.get("metrics", []):
            path, options = next(iter(out.items())) if isinstance(out, dict) else (out, {})
            found[path] = (options or {}).get("cache", True) is False and path not in MACHINE_LOCAL
    return found


def test_pipeline_outputs_are_ignored_by_git_and_core_data_is_not(tmp_path: Path, dvc_pipeline: dict[str, Any]) -> None:
    """A failed `make repro` leaves outputs behind, and DVC takes back the ignore entries of the stages it finished:
    `git add -A` must sweep in none of them. The metrics JSON (and, without a registry, the champion) stay visible
    to git, and so does core's data folder, where `make dataset` writes the team's sample."""
    declared = outputs(dvc_pipeline)
    assert any(declared.values())
    assert not all(declared.values())
    (tmp_path / ".gitignore").write_bytes((REPO_ROOT / ".gitignore").read_bytes())
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    core_data = "core/src/package_core/data/team.csv"
    files = {path: f"{path}/file" if not Path(path).suffix else path for path in [*declared, core_data]}
    for file in files.values():
        (tmp_path / file).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / file).write_text("x")
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"], cwd=tmp_path, capture_output=True, text=True
    )
    kept = [files[path] for path, in_git in declared.items() if in_git]
    assert sorted(line[3:] for line in status.stdout.splitlines()) == sorted([".gitignore", files[core_data], *kept])
