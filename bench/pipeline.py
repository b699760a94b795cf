"""Pipeline figures: cold and no-op `make repro` on the defaults, and the pipelines member's
installed size with and without MLflow (each in an environment of its own).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import _paths  # noqa: F401 - the harness on the import path, as pytest's pythonpath
from harness import bake, project_env, run


def folder_size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink()) / 1e6


def timed(command: str, root: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    run(command, root, env)
    return time.perf_counter() - started


def pipelines_env_size(root: Path, env: dict[str, str]) -> float:
    """Install the pipelines member alone (with core) into a fresh environment and measure it."""
    target = root / ".bench-pipelines-env"
    run(f"uv sync --package {root.name}-pipelines --no-dev", root, {**env, "UV_PROJECT_ENVIRONMENT": str(target)})
    return folder_size_mb(target)


def main() -> None:
    env = project_env("3.12")
    with tempfile.TemporaryDirectory() as folder:
        root = bake(Path(folder) / "mlflow")
        run("make setup", root, env)
        run("git -c user.name=bench -c user.email=bench@example.com commit -qm 'First commit'", root, env)
        cold = timed("make repro", root, env)
        noop = timed("make repro", root, env)
        print(f"make repro (defaults): cold {cold:.1f} s, no-op {noop:.1f} s")
        with_mlflow = pipelines_env_size(root, env)
        plain = bake(Path(folder) / "none", experiment_tracking="none")
        without_mlflow = pipelines_env_size(plain, env)
        print(f"pipelines environment: {with_mlflow:.0f} MB with MLflow, {without_mlflow:.0f} MB without")


if __name__ == "__main__":
    main()
