"""Generated tier: the pipeline on a resampled frame larger than evaluate's bounds, so every sampling path runs.

The frame is the bundled example resampled with noise (plus rows broken on purpose), a few tens of
thousands of rows: seconds of pipeline, enough that the test split is bigger than
`evaluate.importance_rows` and `evaluate.plot_points`. The big sizes are bench/pipeline_scale.py's job.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from harness import baked_path, find_interpreter, project_env, run, setup

pytestmark = pytest.mark.generated

# Runs in the bake's environment. Resamples the example with noise, breaks every 97th row on its
# first numeric column (ten times its upper bound, from the contract), writes Parquet, and records
# which rows core's per-row check rejects and why: the reference the pipeline must match.
RESAMPLE = """
import json, sys
import numpy as np
import pandas as pd
from {pkg}_core import NUMERIC_COLUMNS, LabelledRecord, data_path, find_violations

rows, target, reference = int(sys.argv[1]), sys.argv[2], sys.argv[3]
example = pd.read_csv(data_path())
rng = np.random.default_rng(14)
frame = example.iloc[rng.integers(0, len(example), rows)].reset_index(drop=True)
for column in NUMERIC_COLUMNS:
    frame[column] = (frame[column] + rng.normal(0.0, 0.05 * example[column].std(), rows)).round(2)
column = NUMERIC_COLUMNS[0]
upper = next(getattr(item, "le") for item in LabelledRecord.model_fields[column].metadata if hasattr(item, "le"))
frame.loc[::97, column] = upper * 10
frame.to_parquet(target, index=False)
bad = {{}}
for row, record in enumerate(frame.to_dict(orient="records")):
    found = find_violations(record)
    if found:
        bad[row] = "; ".join(map(str, found))
json.dump({{"rows": rows, "bad": bad}}, open(reference, "w"))
"""
ROWS = 48_000  # test split of 12,000 rows: above evaluate.importance_rows (10,000) and plot_points (1,000)


@pytest.fixture(scope="module")
def scaled(cookies_session) -> tuple[Path, dict[str, Any]]:  # noqa: ANN001 - pytest-cookies fixture
    if find_interpreter("3.12") is None:
        pytest.skip("no Python 3.12 interpreter on this machine (`uv python find`)")
    root = baked_path(cookies_session.bake(extra_context={"experiment_tracking": "none"}))
    env = project_env("3.12")
    setup(root, env)
    package = root.name.replace("-", "_")
    source, reference = root.parent / "resampled.parquet", root.parent / "reference.json"
    resample = ["uv", "run", "--no-sync", "python", "-c", RESAMPLE.format(pkg=package)]
    run([*resample, str(ROWS), str(source), str(reference)], root, env)
    params = root / "params.yaml"
    # ingest.source names the bundled data file (a path DVC tracks); point it at the resampled one.
    params.write_text(re.sub(r"(?m)^  source: .*$", f"  source: {source}", params.read_text(), count=1))
    run("make repro", root, env)
    return root, json.loads(reference.read_text())


def test_validation_matches_the_per_row_contract_on_every_row(scaled: tuple[Path, dict[str, Any]]) -> None:
    root, reference = scaled
    report = json.loads((root / "reports/validation.json").read_text())
    assert report["rows"] == reference["rows"]
    # The rows broken on purpose, and the example's own gaps.
    assert report["quarantined_rows"] == len(reference["bad"]) > reference["rows"] // 97
    with (root / "data/quarantine/rows.csv").open(newline="", encoding="utf-8") as handle:
        quarantined = {line["row"]: line["reason"] for line in csv.DictReader(handle)}
    assert quarantined == reference["bad"]


def test_evaluate_samples_importance_and_bounds_plot_data(scaled: tuple[Path, dict[str, Any]]) -> None:
    root, _ = scaled
    params = yaml.safe_load((root / "params.yaml").read_text())
    bounds = params["evaluate"]
    test_rows = json.loads((root / "reports/validation.json").read_text())["valid_rows"] * params["split"]["test_size"]
    assert test_rows > bounds["importance_rows"]
    assert test_rows > bounds["plot_points"]
    plots = root / "reports/plots"
    with (plots / "predictions.csv").open(newline="", encoding="utf-8") as handle:
        assert len(list(csv.DictReader(handle))) == bounds["plot_points"]
    with (plots / "roc.csv").open(newline="", encoding="utf-8") as handle:
        per_class = Counter(line["class"] for line in csv.DictReader(handle))
    assert per_class
    assert max(per_class.values()) <= bounds["plot_points"]
    card = json.loads((root / "models/model_card.json").read_text())
    with (plots / "feature_importance.csv").open(newline="", encoding="utf-8") as handle:
        assert sorted(line["feature"] for line in csv.DictReader(handle)) == sorted(card["inputs"])
    metrics = json.loads((root / "reports/metrics.json").read_text())
    assert set(metrics) >= {"accuracy", "f1_macro", "roc_auc_ovr", "log_loss"}
