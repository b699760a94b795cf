"""Seconds from bake to a passing `make check` in the baked project, with a warm and a cold cache.

Warm: the machine's uv and pre-commit caches as they are. Cold: empty caches in a temp
folder, so every package is downloaded and every hook environment built.
Usage: python bench/time_to_green.py [--warm-only]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from harness import bake, project_env, run  # noqa: E402


def time_to_green(extra_env: dict[str, str]) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        root = bake(Path(folder))
        baked = time.perf_counter()
        env = {**project_env("3.12"), **extra_env}
        run("make setup", root, env)
        set_up = time.perf_counter()
        run("make check", root, env)
        checked = time.perf_counter()
    return {"bake": baked - started, "setup": set_up - baked, "check": checked - set_up, "total": checked - started}


def report(label: str, times: dict[str, float]) -> None:
    parts = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in times.items())
    print(f"time to green ({label}): {parts}")


def main() -> None:
    report("warm cache", time_to_green({}))
    if "--warm-only" in sys.argv:
        return
    with tempfile.TemporaryDirectory() as caches:
        cold = {"UV_CACHE_DIR": os.path.join(caches, "uv"), "PRE_COMMIT_HOME": os.path.join(caches, "pre-commit")}
        report("cold cache", time_to_green(cold))


if __name__ == "__main__":
    main()
