"""The gate's paired bootstrap: seconds per decision, for every metric, by test-split size.

    python bench/gate.py                       # bakes the defaults, syncs them, measures 1k, 20k and 200k rows
    python bench/gate.py --project DIR/<slug>  # reuse a bake that ran make setup
    python bench/gate.py --quick               # 200 and 2,000 rows, 200 resamples: seconds

Runs the baked pipeline's `bootstrap.paired_bootstrap` (what the register stage runs) on synthetic
predictions: 5 classes for the classification metrics, Gaussian targets for the regression ones, a
useful challenger against the Dummy baseline's outputs, 1000 resamples by default (params.yaml). A split
larger than the bootstrap's MAX_ROWS is sampled down first, so the largest size shows that bound.
Prints one JSON line per metric and size, then the summary line; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import _paths  # noqa: F401 - the harness on the import path, as pytest's pythonpath
from harness import DEFAULTS, answers_of, bake, project_env, run

MEASURE = """
import json, sys, time
import numpy as np
from {pkg}_pipelines.bootstrap import MAX_ROWS, paired_bootstrap
from {pkg}_pipelines.params import DIRECTIONS

sizes, resamples = [int(size) for size in sys.argv[1].split(",")], int(sys.argv[2])
rng = np.random.default_rng(0)
for rows in sizes:
    codes = rng.choice(5, size=rows, p=[0.48, 0.25, 0.15, 0.09, 0.03])
    useful = rng.dirichlet(np.ones(5), size=rows)
    useful[np.arange(rows), codes] += 1.0
    useful /= useful.sum(axis=1, keepdims=True)
    priors = np.tile([0.48, 0.25, 0.15, 0.09, 0.03], (rows, 1))
    truth = rng.normal(150.0, 75.0, size=rows)
    cases = {{"classification": (codes, useful, priors), "regression": (truth, truth + rng.normal(0, 50, rows), np.full(rows, 150.0))}}
    for task, metrics in DIRECTIONS.items():
        for metric, direction in metrics.items():
            started = time.perf_counter()
            result = paired_bootstrap(metric, direction == "maximize", *cases[task], resamples=resamples)
            seconds = time.perf_counter() - started
            print(json.dumps({{"rows": rows, "metric": metric, "seconds": round(seconds, 3), "share": result.share,
                              "resampled_rows": result.rows, "resamples": resamples, "max_rows": MAX_ROWS}}), flush=True)
"""


def measure(project: Path, env: dict[str, str], sizes: list[int], resamples: int) -> list[dict[str, object]]:
    script = MEASURE.format(pkg=answers_of(project)["package_name"])
    command = ["uv", "run", "--no-sync", "python", "-c", script, ",".join(map(str, sizes)), str(resamples)]
    output = run(command, project, env, timeout=1800)
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, help="a bake that ran make setup")
    parser.add_argument("--quick", action="store_true", help="tiny inputs: 200 and 2,000 rows, 200 resamples")
    arguments = parser.parse_args()
    sizes, resamples = ([200, 2000], 200) if arguments.quick else ([1000, 20_000, 200_000], 1000)
    env = project_env(DEFAULTS["python_version"])
    with tempfile.TemporaryDirectory() as scratch:
        if arguments.project:
            project = arguments.project.resolve()
        else:
            project = bake(Path(scratch))
            run(["uv", "sync", "--all-packages", "--quiet"], project, env, timeout=1800)
        figures = measure(project, env, sizes, resamples)
    for figure in figures:
        print(json.dumps(figure))
    largest = max(sizes)
    at_largest = [figure for figure in figures if figure["rows"] == largest]
    slowest = max(at_largest, key=lambda figure: float(str(figure["seconds"])))
    total = sum(float(str(figure["seconds"])) for figure in at_largest)
    print(
        f"summary gate: rows={largest} resamples={resamples} metrics={len(at_largest)} "
        f"all_metrics_seconds={total:.2f} slowest_metric={slowest['metric']} slowest_seconds={slowest['seconds']}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
