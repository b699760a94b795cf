"""Seconds from bake to a passing `make check` in the baked project, step by step: cold, warm, and the slow tier.

Cold (time to green): bake, `make setup` and each verb of `make check` in a new checkout, with an empty
pre-commit home and the machine's uv cache as it is (a warm package cache): a new team member's first hour.
Warm: each verb of `make check` again in the same checkout, caches filled: what a person waits for on every
change. Then the slow tier (`make test-slow`, which CI runs after `make check`), once, warm.
`--cold-cache` also empties the uv cache, so every package is downloaded (slow, network-bound).
`--quick` bakes, sets up and times `make lint` only: the script's own check, in seconds after the setup.
The machine may be shared: the load average is printed before and after; read the figures with it.
Usage: python bench/time_to_green.py [--quick] [--cold-cache] [--python 3.12] [--skip test] [--skip test-slow]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import _paths  # noqa: F401 - the harness on the import path, as pytest's pythonpath
from harness import DEFAULTS, bake, project_env, run

# `make check` is these verbs in this order; timing them one by one gives the breakdown.
CHECK_VERBS = ("lint", "typecheck", "imports", "test", "hooks")
QUICK_VERBS = ("lint",)


def timed(step: str, times: dict[str, float], action: Callable[[], object]) -> None:
    started = time.perf_counter()
    action()
    times[step] = time.perf_counter() - started


def check(root: Path, env: dict[str, str], verbs: tuple[str, ...], times: dict[str, float]) -> float:
    """Each verb of `make check` (those in `verbs`), timed into `times`; returns their sum."""
    for verb in verbs:
        timed(verb, times, lambda verb=verb: run(f"make {verb}", root, env))
    return sum(times[verb] for verb in verbs)


def report(label: str, times: dict[str, float], total: float) -> None:
    parts = ", ".join(f"{step} {seconds:.1f}" for step, seconds in times.items())
    print(f"{label}: {total:.1f} s  [{parts}]", flush=True)


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("--quick", action="store_true", help="bake, setup and `make lint` only")
    cli.add_argument("--cold-cache", action="store_true", help="empty uv cache too (downloads every package)")
    cli.add_argument("--python", default=DEFAULTS["python_version"], help="python_version to bake")
    cli.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=(*CHECK_VERBS, "test-slow"),
        help="leave out a verb (e.g. test, for an A/B of the rest; test-slow, for the check alone)",
    )
    arguments = cli.parse_args()
    verbs = tuple(verb for verb in (QUICK_VERBS if arguments.quick else CHECK_VERBS) if verb not in arguments.skip)
    slow_tier = not arguments.quick and "test-slow" not in arguments.skip
    before = load()
    print(f"load average before: {before} ({os.cpu_count()} cores)", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        env = {**project_env(arguments.python), "PRE_COMMIT_HOME": os.path.join(folder, "pre-commit")}
        if arguments.cold_cache:
            env["UV_CACHE_DIR"] = os.path.join(folder, "uv-cache")
        cold: dict[str, float] = {}
        timed("bake", cold, lambda: bake(Path(folder) / "out", python_version=arguments.python))
        root = next((Path(folder) / "out").iterdir())
        timed("setup", cold, lambda: run("make setup", root, env))
        cold_check = check(root, env, verbs, cold)
        cache = "cold package cache" if arguments.cold_cache else "warm package cache"
        report(f"time to green, cold (bake, setup, check; {cache})", cold, cold["bake"] + cold["setup"] + cold_check)
        warm: dict[str, float] = {}
        warm_check = check(root, env, verbs, warm)
        report("make check, warm (the same checkout again)", warm, warm_check)
        slow: dict[str, float] = {}
        if slow_tier:
            timed("test-slow", slow, lambda: run("make test-slow", root, env))
            report("slow tier, warm (make test-slow, CI's)", slow, slow["test-slow"])
    after = load()
    print(f"load average after: {after}", flush=True)
    figures = {
        "cold_s": cold["bake"] + cold["setup"] + cold_check,
        "bake_s": cold["bake"],
        "setup_s": cold["setup"],
        "cold_check_s": cold_check,
        "warm_check_s": warm_check,
        **{f"warm_{verb}_s": warm[verb] for verb in verbs},
        **({"slow_tier_s": slow["test-slow"]} if slow else {}),
    }
    values = " ".join(f"{key}={value:.1f}" for key, value in figures.items())
    checked = "+".join(verbs) or "none"
    minute = before.split()[0], after.split()[0]  # the one-minute load averages
    print(f"summary time_to_green: {values} verbs={checked} load_before={minute[0]} load_after={minute[1]}")


if __name__ == "__main__":
    main()
