"""Bring your own data: per dataset shape, the check result, the gate's decision and the time to a prediction.

The default runs the dataset-shape tier (tests/test_shapes.py) on two xdist workers, as CI does, and prints
one row per case from the rows the tier writes to $SHAPES_REPORT: `make check`'s result, the gate's decision
with the challenger's and the baseline's score on the same test split, and the seconds from the CSV to the
first served prediction (make dataset + make repro + make serve until /readyz + the first POST /v1/predict;
`make check` runs beside that path and has its own column). Then the tier's wall time. On a shared machine
every figure follows its load, which is printed too.

    python bench/byod.py                           # the whole tier (tens of minutes)
    python bench/byod.py -k "sixty-rows or fair"   # some cases (pytest's -k)
    python bench/byod.py --steps binary-cars93     # tests/test_byod.py's case, step by step
    python bench/byod.py --quick                   # write every case's CSV (real ones checked by sha256): seconds
    python bench/byod.py --rows shapes.jsonl       # the table of a tier run that set SHAPES_REPORT=shapes.jsonl
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _paths  # noqa: F401 - the harness on the import path, as pytest's pythonpath
import harness
from shapes import CASES
from test_byod import CASES as BYOD_CASES
from test_byod import DATA
from test_shapes import REPORT_ENV, commit, get_json, post_json


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _prediction(row: dict[str, Any]) -> str:
    """The served answer: a class as it is, a regression value to four significant digits."""
    if not row["prediction"]:
        return "-"
    return f"{float(row['prediction']):.4g}" if row["task"] == "regression" else str(row["prediction"])


def table(rows: list[dict[str, Any]]) -> str:
    """The tier's rows as a Markdown table, in the tier's order of cases."""
    order = {case: index for index, case in enumerate(CASES)}
    lines = [
        "| case | rows × columns | task | make check | gate | metric: challenger vs baseline | CSV to prediction (s) "
        "| make check (s) | prediction |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in sorted(rows, key=lambda row: order.get(row["case"], len(order))):
        check = row["check"] if row["dataset"] == "ok" else row["dataset"]
        scores = f"{row['metric']}: {_score(row['challenger'])} vs {_score(row['baseline'])}" if row["metric"] else "-"
        if row.get("beat_share") is not None:
            scores += f" (beat it in {row['beat_share']:.1%} of resamples)"
        lines.append(
            f"| {row['case']} | {row['rows']} × {row['columns']} | {row['task']} | {check} | {row['gate']} | {scores} "
            f"| {_seconds(row['to_prediction'])} | {_seconds(row['seconds'].get('check'))} "
            f"| {_prediction(row)} |"
        )
    return "\n".join(lines)


def tier(selection: str | None, workers: int) -> None:
    """Run tests/test_shapes.py as CI does and print the table, the failures and the summary line."""
    report = Path(tempfile.mkdtemp(prefix="byod-")) / "shapes.jsonl"
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "tests/test_shapes.py"]
    command += ["-n", str(workers), "--dist", "loadgroup"] if workers > 1 else ["-p", "no:xdist"]
    command += ["-k", selection] if selection else []
    print(f"{' '.join(command[2:])} (load {os.getloadavg()[0]:.2f})", flush=True)
    started = time.perf_counter()
    result = subprocess.run(command, cwd=harness.TEMPLATE_DIR, env={**os.environ, REPORT_ENV: str(report)})
    wall = time.perf_counter() - started
    print(
        f"\ntier wall time {wall:.0f} s on {workers} workers (load {os.getloadavg()[0]:.2f}); exit {result.returncode}"
    )
    print_rows(report, wall)


def print_rows(report: Path, wall: float | None) -> None:
    """The table of a tier run's rows ($SHAPES_REPORT), each failing case's failures, and the summary line."""
    rows = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()] if report.exists() else []
    print(table(rows))
    for row in rows:
        if row["failures"]:
            print(f"\n{row['case']}:\n" + "\n".join(f"  {line}" for line in row["failures"]))
    times = [row["to_prediction"] for row in rows if row["to_prediction"] is not None]
    failed = sum(bool(row["failures"]) for row in rows)
    print(
        f"summary byod: cases={len(rows)} passed={len(rows) - failed} failed={failed}"
        + (f" wall_s={wall:.0f}" if wall is not None else "")
        + f" median_to_prediction_s={statistics.median(times) if times else 0:.0f}"
        f" max_to_prediction_s={max(times, default=0):.0f}"
    )


def quick() -> None:
    """Write every case's CSV into a scratch folder (the real ones checked by sha256): the tier's inputs, in seconds."""
    folder = Path(tempfile.mkdtemp(prefix="byod-quick-"))
    started = time.perf_counter()
    rows = 0
    for case_id, case in CASES.items():
        path = case.write(folder)
        lines = path.read_text(encoding="utf-8").count("\n") - 1
        rows += lines
        print(f"  {case_id:<32} {lines:6d} rows {path.stat().st_size:9d} bytes  target {case.target!r} ({case.task})")
    seconds = time.perf_counter() - started
    print(f"summary byod: cases={len(CASES)} rows={rows} seconds={seconds:.2f}")


def timed(label: str, figures: dict[str, float], action: Any) -> Any:
    started = time.perf_counter()
    result = action()
    figures[label] = time.perf_counter() - started
    print(f"  {label:<28} {figures[label]:7.1f} s", flush=True)
    return result


def steps(case: str, workdir: Path, skip_check: bool) -> float:
    """tests/test_byod.py's case step by step on its own bake: the seconds of each command a team runs."""
    csv, target, _, _, answers = BYOD_CASES[case]
    env = harness.project_env(answers.get("python_version", harness.DEFAULTS["python_version"]))
    root = harness.bake(workdir / case, **answers)
    harness.git_init(root)
    harness.setup(root, env, timeout=1800)
    commit(root, "bake")
    print(f"{case}: {csv} TARGET={target} (load {os.getloadavg()[0]:.2f})")
    figures: dict[str, float] = {}
    timed(
        "make dataset",
        figures,
        lambda: harness.run(["make", "dataset", f"CSV={DATA / csv}", f"TARGET={target}"], root, env),
    )
    timed("make repro", figures, lambda: harness.run("make repro", root, env, timeout=1800))
    port = harness.free_port()
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    with harness.serve(["make", "serve", f"PORT={port}"], root, env, ready_url=f"{base}/readyz"):
        figures["make serve until ready"] = time.perf_counter() - started
        print(f"  {'make serve until ready':<28} {figures['make serve until ready']:7.1f} s")
        example = get_json(f"{base}/v1/model")["example"]
        code, body = timed("first POST /v1/predict", figures, lambda: post_json(f"{base}/v1/predict", example))
    total = sum(figures.values())
    print(f"  {'CSV to first prediction':<28} {total:7.1f} s   (answer {code}: {body})")
    if not skip_check:
        timed("make check (beside the path)", figures, lambda: harness.run("make check", root, env, timeout=1800))
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only write the tier's CSVs (seconds)")
    parser.add_argument("-k", dest="selection", help="the tier's cases to run, as pytest's -k expression")
    parser.add_argument("--workers", type=int, default=2, help="xdist workers for the tier (CI: 2)")
    parser.add_argument("--steps", nargs="+", choices=list(BYOD_CASES), help="tests/test_byod.py's cases, step by step")
    parser.add_argument("--rows", type=Path, help="print the table of a tier run's $SHAPES_REPORT file, run nothing")
    parser.add_argument("--skip-check", action="store_true", help="with --steps: leave out `make check` (minutes)")
    args = parser.parse_args()
    if args.quick:
        quick()
    elif args.rows:
        print_rows(args.rows, None)
    elif args.steps:
        workdir = Path(tempfile.mkdtemp(prefix="byod-"))
        totals = [steps(case, workdir, args.skip_check) for case in args.steps]
        print(f"summary byod: cases={len(totals)} max_to_prediction_s={max(totals):.0f}")
    else:
        tier(args.selection, args.workers)


if __name__ == "__main__":
    main()
