"""Model-family figures: ONNX parity, fit and export time, graph size, per family and task, on the bundled example.

Bakes one project per task (the `task` option), syncs it, runs the pipeline's ingest, validate and split stages,
then fits every family of core's build_model() with the hyperparameters of params.yaml on the train split and
exports it as the export stage does. Parity is measured on the test split as the export stage checks it
(classification: largest probability difference; regression: largest value difference relative to the largest
prediction, and in the target's units), and again with a fifth of every column missing, every column optional.

    python bench/model_parity.py                                # bakes one project per task
    python bench/model_parity.py --quick --project DIR/<slug>   # that bake's task only, its own environment

With `--project` the bake is used as it is (its split from `make repro` when there is one; the stages
run only when the split is missing), so a trained bake is left as it was.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import _paths  # noqa: F401 - the harness on the import path, as pytest's pythonpath
from harness import DEFAULTS, answers_of, bake, project_env, run

MEASURE = """
import json, time
import numpy as np
import pandas as pd
from {package}_core import FEATURE_COLUMNS, TARGET, TASK, features
from {package}_pipelines import export
from {package}_pipelines.__main__ import main
from {package}_pipelines.params import load_params
from {package}_pipelines.train import fit

from pathlib import Path
p = load_params()
if not (Path(p.paths.train).is_file() and Path(p.paths.test).is_file()):
    for stage in ("ingest", "validate", "split"):
        assert main([stage]) == 0, stage
    p = load_params()
train, test = pd.read_parquet(p.paths.train), pd.read_parquet(p.paths.test)


def gaps(frame):
    rng = np.random.default_rng(0)
    gapped = frame.copy()
    for column in FEATURE_COLUMNS:
        gapped.loc[rng.random(len(gapped)) < 0.2, column] = None
    return gapped


for family in features.ESTIMATORS:
    hyperparameters = getattr(p.train, family).model_dump()
    started = time.perf_counter()
    model = fit(train, family, seed=p.train.seed, **hyperparameters)
    fitted = time.perf_counter()
    onnx_bytes = export.to_onnx(model)
    measured = export.parity(model, onnx_bytes, test)
    exported = time.perf_counter()
    features.OPTIONAL_COLUMNS = FEATURE_COLUMNS
    gapped = fit(gaps(train), family, seed=p.train.seed, **hyperparameters)
    with_gaps = export.parity(gapped, export.to_onnx(gapped), gaps(test))
    features.OPTIONAL_COLUMNS = ()
    print(json.dumps({{
        "task": TASK, "family": family, "estimator": type(model[-1]).__name__,
        "measure": export.PARITY_MEASURE[TASK], "parity": measured, "parity_with_gaps": with_gaps,
        "score": model.score(test[list(FEATURE_COLUMNS)], test[TARGET]),
        "fit_s": fitted - started, "export_s": exported - fitted, "onnx_kb": len(onnx_bytes) / 1024,
        "train_rows": len(train), "test_rows": len(test),
    }}))
"""


def measure_families(root: Path, env: dict[str, str]) -> list[dict[str, object]]:
    """One row per model family, measured in the bake's own environment."""
    package = root.name.replace("-", "_")
    output = run(["uv", "run", "--no-sync", "python", "-c", MEASURE.format(package=package)], root, env)
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, help="a bake that already ran make setup (and make repro)")
    parser.add_argument(
        "--quick", action="store_true", help="one task only: the --project bake's, else the default task"
    )
    options = parser.parse_args()
    env = project_env(DEFAULTS["python_version"])
    rows: list[dict[str, object]] = []
    tasks = ["classification", "regression"]
    if options.project:  # its task is measured there; --quick measures no other
        rows = measure_families(options.project.resolve(), env)
        tasks = [] if options.quick else [task for task in tasks if task != answers_of(options.project)["task"]]
    elif options.quick:
        tasks = [DEFAULTS["task"]]
    with tempfile.TemporaryDirectory() as folder:
        for task in tasks:
            root = bake(Path(folder) / task, task=task)
            run("uv sync --all-packages --quiet", root, env)
            rows += measure_families(root, env)
    print(
        f"ONNX parity per model family on the bundled example ({rows[0]['train_rows']} train / {rows[0]['test_rows']} test rows)"
    )
    print(
        "| task | family | estimator | parity measure | on the test split | with 20% gaps | abs. diff (regression, target units) | test score | fit s | export s | ONNX KB |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        measure = str(row["measure"])
        parity, gapped = row["parity"], row["parity_with_gaps"]
        assert isinstance(parity, dict) and isinstance(gapped, dict)
        absolute = f"{parity['max_abs_diff']:.1e}" if row["task"] == "regression" else "-"
        print(
            f"| {row['task']} | {row['family']} | {row['estimator']} | {measure} | {parity[measure]:.1e} | "
            f"{gapped[measure]:.1e} | {absolute} | {row['score']:.3f} | {row['fit_s']:.2f} | {row['export_s']:.2f} | "
            f"{row['onnx_kb']:.0f} |"
        )
    print("test score: accuracy (classification) or R² (regression) of the scikit-learn model on the test split")
    worst = {str(row["task"]): 0.0 for row in rows}
    for row in rows:
        parity = row["parity"]
        assert isinstance(parity, dict)
        worst[str(row["task"])] = max(worst[str(row["task"])], float(parity[str(row["measure"])]))
    figures = " ".join(f"worst_parity_{task}={value:.1e}" for task, value in worst.items())
    print(f"summary model_parity: families={len({row['family'] for row in rows})} rows={len(rows)} {figures}")


if __name__ == "__main__":
    main()
