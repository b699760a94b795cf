"""Seconds from bake to a passing `make check` in the baked project, step by step, cold and warm.

Cold checkout: a fresh bake with an empty pre-commit home (no hook environments yet) and the
machine's uv cache as it is (a warm package cache): what a new team member's first day costs.
Warm: the same checkout again, `make setup` and each verb of `make check` re-run (caches filled).
`--cold-cache` also empties the uv cache, so every package is downloaded (slow, network-bound).
The machine may be shared: the load average is printed before and after, read the figures with it.
Usage: python bench/time_to_green.py [--cold-cache] [--python 3.12] [--skip test]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import _paths  # noqa: F401 - the harness on the import path, as pytest's pythonpath
from harness import DEFAULTS, bake, project_env, run

# `make check` is these verbs in this order; timing them one by one gives the breakdown.
CHECK_VERBS = ("lint", "typecheck", "imports", "test", "hooks")


def timed(step: str, times: dict[str, float], action: object) -> None:
    started = time.perf_counter()
    action()  # type: ignore[operator]
    times[step] = time.perf_counter() - started


def steps(root: Path, env: dict[str, str], skip: frozenset[str]) -> dict[str, float]:
    """`make setup`, then each verb of `make check` (less `skip`), timed."""
    times: dict[str, float] = {}
    timed("setup", times, lambda: run("make setup", root, env))
    verbs = [verb for verb in CHECK_VERBS if verb not in skip]
    for verb in verbs:
        timed(verb, times, lambda verb=verb: run(f"make {verb}", root, env))
    times["check" if not skip else "check less " + ",".join(sorted(skip))] = sum(times[verb] for verb in verbs)
    return times


def report(label: str, times: dict[str, float]) -> None:
    total = sum(seconds for step, seconds in times.items() if step not in CHECK_VERBS)
    parts = ", ".join(f"{step} {seconds:.1f}" for step, seconds in times.items())
    print(f"time to green ({label}): {total:.1f} s  [{parts}]", flush=True)


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("--cold-cache", action="store_true", help="empty uv cache too (downloads every package)")
    cli.add_argument("--python", default=DEFAULTS["python_version"], help="python_version to bake")
    cli.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=CHECK_VERBS,
        help="leave out a verb (e.g. test, for an A/B of the rest)",
    )
    arguments = cli.parse_args()
    print(f"load average before: {load()} ({os.cpu_count()} cores)", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        env = {**project_env(arguments.python), "PRE_COMMIT_HOME": os.path.join(folder, "pre-commit")}
        if arguments.cold_cache:
            env["UV_CACHE_DIR"] = os.path.join(folder, "uv-cache")
        cold: dict[str, float] = {}
        timed("bake", cold, lambda: bake(Path(folder) / "out", python_version=arguments.python))
        root = next((Path(folder) / "out").iterdir())
        cold.update(steps(root, env, frozenset(arguments.skip)))
        report("cold checkout" + (", cold cache" if arguments.cold_cache else ", warm package cache"), cold)
        report("warm, same checkout again", steps(root, env, frozenset(arguments.skip)))
    print(f"load average after: {load()}", flush=True)


if __name__ == "__main__":
    main()
