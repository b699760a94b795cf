"""Pipeline figures: cold and no-op `make repro` on the defaults, and the pipelines member's
installed size with and without MLflow (each in an environment of its own).

    python bench/pipeline.py                                 # bakes the defaults (and one without MLflow)
    python bench/pipeline.py --quick --project DIR/<slug>    # a trained bake: no-op repro and one size only

With `--project` the bake already ran `make setup && make repro`, so there is no cold figure; the
size is measured for that bake's own tracking answer only. The environments are made in a scratch
folder, never inside the bake.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import _paths  # noqa: F401 - the harness on the import path, as pytest's pythonpath
from harness import DEFAULTS, answers_of, bake, project_env, run


def folder_size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink()) / 1e6


def timed(command: str, root: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    run(command, root, env)
    return time.perf_counter() - started


def pipelines_env_size(root: Path, env: dict[str, str], scratch: Path) -> float:
    """Install the pipelines member alone (with core) into a fresh environment under `scratch` and measure it."""
    target = scratch / f"pipelines-env-{len(list(scratch.glob('pipelines-env-*')))}"
    run(f"uv sync --package {root.name}-pipelines --no-dev", root, {**env, "UV_PROJECT_ENVIRONMENT": str(target)})
    return folder_size_mb(target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, help="a bake that already ran make setup && make repro")
    parser.add_argument("--quick", action="store_true", help="no second bake: the size with this bake's tracking")
    options = parser.parse_args()
    env = project_env(DEFAULTS["python_version"])
    summary: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        if options.project:
            root = options.project.resolve()
        else:
            root = bake(scratch / "mlflow")
            run("make setup", root, env)
            run("git -c user.name=bench -c user.email=bench@example.com commit -qm 'First commit'", root, env)
            summary["cold_repro_s"] = f"{timed('make repro', root, env):.1f}"
        noop = timed("make repro", root, env)
        summary["noop_repro_s"] = f"{noop:.1f}"
        cold = f"cold {summary['cold_repro_s']} s, " if "cold_repro_s" in summary else ""
        print(f"make repro ({root.name}): {cold}no-op {noop:.1f} s")
        tracking = answers_of(root).get("experiment_tracking", "mlflow")
        sizes = {tracking: pipelines_env_size(root, env, scratch)}
        if not options.quick and tracking != "none":
            plain = bake(scratch / "none", experiment_tracking="none")
            sizes["none"] = pipelines_env_size(plain, env, scratch)
        print("pipelines environment: " + ", ".join(f"{mb:.0f} MB with tracking {name}" for name, mb in sizes.items()))
        summary.update({f"env_mb_{name}": f"{mb:.0f}" for name, mb in sizes.items()})
    print("summary pipeline: " + " ".join(f"{key}={value}" for key, value in summary.items()))


if __name__ == "__main__":
    main()
