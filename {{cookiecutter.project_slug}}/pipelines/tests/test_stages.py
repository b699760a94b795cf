"""Pipelines: each stage on small data, through the same command line DVC uses."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from typing import Any, get_args

import pandas as pd
import pytest
import yaml

from {{ cookiecutter.package_name }}_core import (
    CATEGORICAL_COLUMNS,
    FEATURE_COLUMNS,
    NUMERIC_COLUMNS,
    NUMERIC_RANGES,
    OPTIONAL_COLUMNS,
    RULES,
    TARGET,
    TASK,
    LabelledRecord,
    find_violations,
    iter_records,
)
from {{ cookiecutter.package_name }}_core.features import ESTIMATORS, Estimator
from {{ cookiecutter.package_name }}_pipelines.__main__ import main
from {{ cookiecutter.package_name }}_pipelines.converters import SUPPORTED
from {{ cookiecutter.package_name }}_pipelines.export import PARITY_MEASURE
from {{ cookiecutter.package_name }}_pipelines.gate import install
from {{ cookiecutter.package_name }}_pipelines.params import Params, Train, load_params

# The slow tier (`make test-slow`): every stage through its command line, the whole pipeline among them.
pytestmark = pytest.mark.slow

# The PNG files evaluate draws for each task (the feature importance for both).
IMAGES = {
    "classification": ("roc_curve.png", "confusion_matrix.png", "feature_importance.png"),
    "regression": ("predicted_vs_actual.png", "residuals.png", "feature_importance.png"),
}

CORE_STAGES = ["ingest", "validate", "split", "train", "evaluate", "export"]


def run_stages(params_file: Path, *stages: str) -> Params:
    for stage in stages:
        assert main([stage, "--params", str(params_file)]) == 0, stage
    return load_params(params_file)


def broken_records() -> list[dict[str, Any]]:
    """The sample's rows in the contract's columns, one column broken in every tenth row: a number past its range
    (a required one if there is one), else a category the contract does not list, else a gap in a required column
    (a feature, else the target, which every contract requires)."""
    records = [{name: record.get(name) for name in LabelledRecord.model_fields} for record in iter_records(sample=True)]
    bounded = [column for column in NUMERIC_COLUMNS if math.isfinite(NUMERIC_RANGES[column][1])]
    bounded.sort(key=lambda column: column in OPTIONAL_COLUMNS)  # required columns first
    required = [column for column, rule in RULES.items() if rule.required]  # the target, at least
    for record in records[::10]:
        if bounded:
            low, high = NUMERIC_RANGES[bounded[0]]
            record[bounded[0]] = high + (high - low if math.isfinite(low) else abs(high)) + 1.0
        elif CATEGORICAL_COLUMNS:
            record[next(iter(CATEGORICAL_COLUMNS))] = "not one of the categories"
        else:
            record[required[0]] = None
    return records


def with_visible_shift(params_file: Path) -> None:
    """A simulated shift the monitor's tests see at any test split's size: the default 0.15 is within what a small
    dataset's split (Cars93: 24 rows) can show at p < 0.01, so its verdict would be the sample's, not the code's."""
    params = yaml.safe_load(params_file.read_text())
    params["monitor"]["simulated_shift"] = 0.5
    params_file.write_text(yaml.safe_dump(params))


def test_the_whole_pipeline_produces_every_artefact(params_file: Path) -> None:
    with_visible_shift(params_file)
    p = run_stages(params_file, *CORE_STAGES)
    # The monitor compares the champion's output too: the exported model stands in (register is tested apart).
    install(p.paths.onnx, p.paths.card, p.paths.champion)
    run_stages(params_file, "simulate_drift", "monitor")
    records = list(iter_records(sample=True))
    expected = {row: find_violations(record) for row, record in enumerate(records)}
    assert pd.read_parquet(p.paths.raw).shape[0] == len(records)
    # The quarantine keeps its meaning: each bad row, numbered as in the source, with the contract's reasons.
    quarantine = pd.read_csv(p.paths.quarantine)
    assert quarantine["row"].tolist() == [row for row, found in expected.items() if found]
    assert quarantine["reason"].tolist() == ["; ".join(map(str, found)) for found in expected.values() if found]
    validation = json.loads((p.paths.reports / "validation.json").read_text())
    assert validation["quarantined_rows"] == len(quarantine)
    assert validation["valid_rows"] + validation["quarantined_rows"] == validation["rows"] == len(records)
    assert set(pd.read_parquet(p.paths.validated).columns) == {*FEATURE_COLUMNS, TARGET}
    metrics = json.loads((p.paths.reports / "metrics.json").read_text())
    # The gate's metric for the model and for the baseline (a Dummy model on the same split), which the gate compares
    # (test_gate.py): how the two compare is the data's business, not this test's.
    metric = p.register_.task_metric
    assert all(math.isfinite(metrics[name]) for name in (metric, f"baseline_{metric}"))
    for image in IMAGES[TASK]:
        assert (p.paths.reports / "plots" / image).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    card = json.loads(p.paths.card.read_text())
    assert card["parity"][PARITY_MEASURE[TASK]] <= getattr(p.export, PARITY_MEASURE[TASK])
    assert p.paths.onnx.stat().st_size > 0
    drift = json.loads((p.paths.reports / "drift.json").read_text())
    assert drift["dataset_drift"] is True  # the simulated batch is drifted on purpose
    assert (p.paths.reports / "drift" / "drift.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # The headline only (dvc metrics show); the champion's output compared, its figures pushed.
    assert set(json.loads((p.paths.reports / "drift" / "report.json").read_text())["features"]) == set(FEATURE_COLUMNS)
    assert drift["features"] == len(FEATURE_COLUMNS)
    assert "prediction_psi" in drift
    assert "model_prediction_psi{" in (p.paths.reports / "drift" / "metrics.prom").read_text()


def test_the_split_is_deterministic(params_file: Path, tmp_path: Path) -> None:
    p = run_stages(params_file, "ingest", "validate", "split")
    first = pd.read_parquet(p.paths.test)
    assert main(["split", "--params", str(params_file)]) == 0
    pd.testing.assert_frame_equal(first, pd.read_parquet(p.paths.test))


def test_too_many_bad_rows_stop_validation_with_column_rule_and_example(
    params_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The data's own bad rows (a team's file may have none) and one column broken in every tenth row: past its
    # range (a required number) or outside its categories. The stage names the column and rule that break most.
    records = broken_records()
    source = params_file.parent / "source.csv"
    pd.DataFrame(records).to_csv(source, index=False)
    params = yaml.safe_load(params_file.read_text())
    params["validate"]["max_invalid_fraction"] = 0.01
    params["ingest"]["source"] = str(source)
    params_file.write_text(yaml.safe_dump(params))
    run_stages(params_file, "ingest")
    counts = Counter((problem.column, problem.rule) for record in records for problem in find_violations(record))
    top = max(counts.values())
    assert main(["validate", "--params", str(params_file)]) == 1
    message = capsys.readouterr().err
    assert any(
        f"column '{column}' breaks rule '{rule}' in {top} rows" in message
        for (column, rule), count in counts.items()
        if count == top
    ), message
    # Nothing is lost: every bad row is in quarantine with its reason, the validated data is not written.
    quarantine = pd.read_csv(params["paths"]["quarantine"])
    assert len(quarantine) == sum(bool(find_violations(record)) for record in records)
    assert quarantine["reason"].str.len().gt(0).all()
    assert not Path(params["paths"]["validated"]).exists()


def test_a_bad_parameter_is_named(params_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    params = yaml.safe_load(params_file.read_text())
    params["split"]["test_size"] = 1.5
    params_file.write_text(yaml.safe_dump(params))
    assert main(["split", "--params", str(params_file)]) == 1
    assert "split.test_size=1.5" in capsys.readouterr().err


def test_a_missing_source_is_reported(params_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    params = yaml.safe_load(params_file.read_text())
    params["ingest"]["source"] = "no/such/file.csv"
    params_file.write_text(yaml.safe_dump(params))
    assert main(["ingest", "--params", str(params_file)]) == 1
    assert "'no/such/file.csv' does not exist" in capsys.readouterr().err


def test_ingest_reads_a_local_csv(params_file: Path, example_frame: pd.DataFrame, tmp_path: Path) -> None:
    source = tmp_path / "batch.csv"
    example_frame.to_csv(source, index=False)
    params = yaml.safe_load(params_file.read_text())
    params["ingest"]["source"] = str(source)
    params_file.write_text(yaml.safe_dump(params))
    p = run_stages(params_file, "ingest")
    assert len(pd.read_parquet(p.paths.raw)) == len(example_frame)


def test_drift_fails_the_stage_only_when_configured(params_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with_visible_shift(params_file)
    p = run_stages(params_file, *CORE_STAGES, "simulate_drift")
    install(p.paths.onnx, p.paths.card, p.paths.champion)
    params = yaml.safe_load(params_file.read_text())
    params["monitor"]["fail_on_drift"] = True
    params_file.write_text(yaml.safe_dump(params))
    assert main(["monitor", "--params", str(params_file)]) == 1
    assert "DRIFT DETECTED" in capsys.readouterr().err


@pytest.mark.parametrize("estimator", [family for family in ESTIMATORS if family != "linear"])
def test_train_estimator_picks_the_family_that_is_trained_and_exported(
    params_file: Path, small_models: dict[str, dict[str, Any]], estimator: Estimator
) -> None:
    params = yaml.safe_load(params_file.read_text())
    params["train"]["estimator"] = estimator
    params["train"][estimator].update(small_models[estimator])
    params_file.write_text(yaml.safe_dump(params))
    p = run_stages(params_file, "ingest", "validate", "split", "train", "evaluate", "export")
    card = json.loads(p.paths.card.read_text())
    assert card["estimator"] in SUPPORTED[estimator]
    assert card["params"] == {"estimator": estimator, "seed": p.train.seed, estimator: p.train.hyperparameters()}
    assert card["parity"][PARITY_MEASURE[TASK]] <= getattr(p.export, PARITY_MEASURE[TASK])


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"estimator": "svm"}, "train.estimator='svm'"),
        (
            {"lightgbm": {"n_estimators": 10, "learning_rate": 0.1, "num_leaves": 7, "depth": 3}},
            "train.lightgbm.depth=3",
        ),
        (
            {"random_forest": {"n_estimators": 0, "max_depth": None, "min_samples_leaf": 1}},
            "train.random_forest.n_estimators=0",
        ),
    ],
)
def test_a_bad_train_parameter_is_named(
    params_file: Path, capsys: pytest.CaptureFixture[str], change: dict[str, Any], named: str
) -> None:
    params = yaml.safe_load(params_file.read_text())
    params["train"].update(change)
    params_file.write_text(yaml.safe_dump(params))
    assert main(["train", "--params", str(params_file)]) == 1
    assert named in capsys.readouterr().err


def test_params_offer_exactly_cores_families() -> None:
    assert get_args(Train.model_fields["estimator"].annotation) == ESTIMATORS
    assert set(ESTIMATORS) <= set(Train.model_fields)
    assert set(SUPPORTED) == set(ESTIMATORS)


def test_export_names_an_estimator_it_cannot_convert_and_lists_the_supported_ones(
    params_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As a team that swapped the estimator in the recipe would see it: the stage stops, names it, writes nothing."""
    from sklearn.kernel_ridge import KernelRidge
    from sklearn.pipeline import Pipeline
    from sklearn.semi_supervised import LabelSpreading

    from {{ cookiecutter.package_name }}_core.features import build_preprocessor
    from {{ cookiecutter.package_name }}_pipelines.trained import save_trained

    p = run_stages(params_file, "ingest", "validate", "split", "train", "evaluate")
    unsupported = LabelSpreading() if TASK == "classification" else KernelRidge()
    train = pd.read_parquet(p.paths.train)
    model = Pipeline([("features", build_preprocessor()), ("estimator", unsupported)])
    save_trained(model.fit(train[list(FEATURE_COLUMNS)], train[TARGET]), p.paths.model)
    assert main(["export", "--params", str(params_file)]) == 1
    error = capsys.readouterr().err
    assert f"error: export: the trained {type(unsupported).__name__} cannot be converted to ONNX" in error
    assert "the supported estimators (params.yaml train.estimator) are: linear (LogisticRegression, Ridge);" in error
    assert not p.paths.onnx.exists()
    assert not p.paths.card.exists()
