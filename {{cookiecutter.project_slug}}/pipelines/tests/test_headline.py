"""Pipelines: `make metrics` prints the headline of the last run's reports, a line each, or says to run the pipeline."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from {{ cookiecutter.package_name }}_pipelines.__main__ import main
from {{ cookiecutter.package_name }}_pipelines.headline import EVERY_FIGURE
from {{ cookiecutter.package_name }}_pipelines.monitor import SIMULATED, SOURCE_KEY
from {{ cookiecutter.package_name }}_pipelines.params import load_params


def write_reports(reports: Path, metric: str) -> None:
    """The reports a run writes, with only the fields the headline reads (and one it does not)."""
    reports.mkdir(parents=True, exist_ok=True)
    figures = {
        "metrics.json": {metric: 0.8125, f"baseline_{metric}": 0.25, "not_a_headline": 7},
        "registry.json": {"outcome": "kept", "reason": "the champion scores higher"},
        "validation.json": {"rows": 100, "valid_rows": 97, "quarantined_rows": 3},
        "drift.json": {"dataset_drift": True, "drifted_features": 2, "features": 5},
    }
    for name, content in figures.items():
        (reports / name).write_text(json.dumps(content))


def test_the_headline_is_one_line_per_report(params_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = load_params(params_file)
    metric = p.register_.task_metric
    write_reports(p.paths.reports, metric)
    assert main(["metrics", "--params", str(params_file)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"model  {metric} 0.8125 on the test split (baseline 0.25)",
        "gate   kept: the champion scores higher",
        f"data   97 of 100 rows kept, 3 quarantined ({p.paths.quarantine})",
        f"drift  drifted: 2 of 5 features in {p.monitor.current}",
        EVERY_FIGURE,
    ]


def test_drift_in_the_simulated_batch_says_so(params_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = load_params(params_file)
    write_reports(p.paths.reports, p.register_.task_metric)
    p.monitor.current.parent.mkdir(parents=True, exist_ok=True)
    table = pa.table({"x": [1.0]}).replace_schema_metadata({SOURCE_KEY: SIMULATED.encode()})
    pq.write_table(table, p.monitor.current)
    assert main(["metrics", "--params", str(params_file)]) == 0
    drift = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("drift"))
    assert drift.endswith("(the simulated batch: drift is what it is made for)"), drift


def test_without_reports_it_says_to_run_the_pipeline(params_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["metrics", "--params", str(params_file)]) == 1
    assert "run `make repro` first" in capsys.readouterr().err
