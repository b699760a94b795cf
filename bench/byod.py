"""Bring your own data: time from a team's CSV to the first served prediction, per bundled test dataset.

Bakes the defaults (with the dataset's task) into a scratch folder, runs `make setup` and commits
the bake (not timed: a team has done this on day one), then times each step a team runs:

    make dataset CSV=… TARGET=…   ->  make repro  ->  make serve (until /readyz)  ->  POST /v1/predict

and, beside that path, `make check` (CI's verdict on the swap). It prints the seconds per step, the
total from CSV to the first served prediction, and the files the swap changed (`git status`).
The machine's load is printed too: on a shared machine every figure follows it.

    python bench/byod.py                              # both datasets of tests/data
    python bench/byod.py --cases regression-mpg --skip-check
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

import _paths  # noqa: F401 - the harness on the import path, as pytest's pythonpath
import harness
from test_byod import CASES, DATA, _get, _post


def timed(label: str, figures: dict[str, float], action: object) -> object:
    started = time.perf_counter()
    result = action() if callable(action) else None
    figures[label] = time.perf_counter() - started
    print(f"  {label:<28} {figures[label]:7.1f} s", flush=True)
    return result


def measure(case: str, workdir: Path, skip_check: bool) -> None:
    csv, target, _, _, answers = CASES[case]
    env = harness.project_env(harness.DEFAULTS["python_version"])
    root = harness.bake(workdir / case, **answers)
    harness.git_init(root)
    harness.run("make setup", root, env, timeout=1800)
    subprocess.run(["git", "add", "--all"], cwd=root, check=True)
    subprocess.run(
        ["git", "-c", "user.name=b", "-c", "user.email=b@example.com", "commit", "-qm", "bake", "--no-verify"],
        cwd=root,
        check=True,
    )
    print(f"{case}: {csv} TARGET={target} (load {os.getloadavg()[0]:.2f})")
    figures: dict[str, float] = {}
    timed(
        "make dataset",
        figures,
        lambda: harness.run(["make", "dataset", f"CSV={DATA / csv}", f"TARGET={target}"], root, env),
    )
    status = subprocess.run(
        ["git", "status", "--short", "--untracked-files=all"], cwd=root, capture_output=True, text=True
    )
    timed("make repro", figures, lambda: harness.run("make repro", root, env, timeout=1800))
    port = harness.free_port()
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    with harness.serve(["make", "serve", f"PORT={port}"], root, env, ready_url=f"{base}/readyz"):
        figures["make serve until ready"] = time.perf_counter() - started
        print(f"  {'make serve until ready':<28} {figures['make serve until ready']:7.1f} s")
        example = _get(f"{base}/v1/model")["example"]
        code, body = timed("first POST /v1/predict", figures, lambda: _post(f"{base}/v1/predict", example))  # type: ignore[misc]
    total = sum(figures.values())
    print(f"  {'CSV to first prediction':<28} {total:7.1f} s   (answer {code}: {body})")
    if not skip_check:
        timed("make check (beside the path)", figures, lambda: harness.run("make check", root, env, timeout=1800))
    print("  files the swap changed (git status):")
    print("".join(f"    {line}\n" for line in status.stdout.splitlines()), end="")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", choices=list(CASES), default=list(CASES))
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--skip-check", action="store_true", help="leave out `make check` (minutes)")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="byod-"))
    for case in args.cases:
        measure(case, workdir, args.skip_check)


if __name__ == "__main__":
    main()
