"""Pipelines: evaluate scores the whole test split once; importance and plot data stay within their bounds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.metrics import accuracy_score, f1_score, log_loss, roc_auc_score

from {{ cookiecutter.package_name }}_core import FEATURE_COLUMNS, TARGET
from {{ cookiecutter.package_name }}_pipelines import evaluate
from {{ cookiecutter.package_name }}_pipelines.__main__ import main
from {{ cookiecutter.package_name }}_pipelines.params import load_params
from {{ cookiecutter.package_name }}_pipelines.trained import load_trained


def with_evaluate(params_file: Path, **values: int) -> None:
    params = yaml.safe_load(params_file.read_text())
    params["evaluate"].update(values)
    params_file.write_text(yaml.safe_dump(params))


@pytest.fixture
def evaluated(params_file: Path) -> Path:
    """The pipeline up to evaluate, with bounds far below the test split's size so the sampling paths run."""
    with_evaluate(params_file, importance_rows=25, plot_points=12)
    for stage in ("ingest", "validate", "split", "train", "evaluate"):
        assert main([stage, "--params", str(params_file)]) == 0, stage
    return params_file


def test_headline_metrics_use_the_whole_test_split(evaluated: Path) -> None:
    p = load_params(evaluated)
    test = pd.read_parquet(p.paths.test)
    assert len(test) > p.evaluate.importance_rows
    assert len(test) > p.evaluate.plot_points
    model = load_trained(p.paths.model)
    probabilities = model.predict_proba(test[list(FEATURE_COLUMNS)])
    labels = list(model.classes_)
    predicted = model.predict(test[list(FEATURE_COLUMNS)])
    # scikit-learn's own string-label path is the reference for the integer-coded metrics.
    expected = {
        "accuracy": accuracy_score(test[TARGET], predicted),
        "f1_macro": f1_score(test[TARGET], predicted, average="macro"),
        "roc_auc_ovr": roc_auc_score(test[TARGET], probabilities, multi_class="ovr", labels=labels),
        "log_loss": log_loss(test[TARGET], probabilities, labels=labels),
    }
    metrics = json.loads((p.paths.reports / "metrics.json").read_text())
    assert metrics == pytest.approx({name: round(value, 6) for name, value in expected.items()}, abs=1e-6)


def test_plot_data_is_bounded_in_points(evaluated: Path) -> None:
    p = load_params(evaluated)
    plots = p.paths.reports / "plots"
    roc = pd.read_csv(plots / "roc.csv")
    for _, curve in roc.groupby("class"):
        assert 2 <= len(curve) <= p.evaluate.plot_points
        # The curve still runs from (0, 0) to (1, 1).
        assert curve.iloc[0][["fpr", "tpr"]].tolist() == [0.0, 0.0]
        assert curve.iloc[-1][["fpr", "tpr"]].tolist() == [1.0, 1.0]
    predictions = pd.read_csv(plots / "predictions.csv")
    assert len(predictions) == p.evaluate.plot_points
    test = pd.read_parquet(p.paths.test)
    assert set(predictions["actual"]) <= set(test[TARGET])
    importance = pd.read_csv(plots / "feature_importance.csv")
    assert sorted(importance["feature"]) == sorted(FEATURE_COLUMNS)
    for image in ("roc_curve.png", "confusion_matrix.png", "feature_importance.png"):
        assert (plots / image).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_rerun_gives_the_same_sample_and_the_same_files(evaluated: Path) -> None:
    plots = load_params(evaluated).paths.reports / "plots"
    before = {name: (plots / name).read_bytes() for name in ("roc.csv", "predictions.csv", "feature_importance.csv")}
    assert main(["evaluate", "--params", str(evaluated)]) == 0
    assert {name: (plots / name).read_bytes() for name in before} == before


def test_sample_rows_is_seeded_bounded_and_ordered() -> None:
    rows = evaluate.sample_rows(10_000, 100, seed=7)
    assert len(rows) == 100 == len(set(rows.tolist()))
    assert np.all(np.diff(rows) > 0)
    assert np.array_equal(rows, evaluate.sample_rows(10_000, 100, seed=7))
    assert not np.array_equal(rows, evaluate.sample_rows(10_000, 100, seed=8))
    assert np.array_equal(evaluate.sample_rows(50, 100, seed=7), np.arange(50))


def test_thin_keeps_the_ends_and_the_limit() -> None:
    curve = pd.DataFrame({"fpr": np.linspace(0, 1, 1001), "tpr": np.linspace(0, 1, 1001) ** 0.5})
    thinned = evaluate.thin(curve, 50)
    assert len(thinned) == 50
    assert thinned.iloc[0].tolist() == curve.iloc[0].tolist()
    assert thinned.iloc[-1].tolist() == curve.iloc[-1].tolist()
    assert evaluate.thin(curve.head(10), 50).equals(curve.head(10))


@pytest.mark.parametrize(("name", "value"), [("importance_rows", 0), ("plot_points", 1)])
def test_a_bound_out_of_range_is_named(
    params_file: Path, capsys: pytest.CaptureFixture[str], name: str, value: int
) -> None:
    with_evaluate(params_file, **{name: value})
    assert main(["evaluate", "--params", str(params_file)]) == 1
    assert f"evaluate.{name}={value}" in capsys.readouterr().err
