"""Pipelines: evaluate scores the whole test split once, per task; importance and plot data stay within their bounds."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    log_loss,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
    root_mean_squared_error,
)

from {{ cookiecutter.package_name }}_core import FEATURE_COLUMNS, TARGET, TASK
from {{ cookiecutter.package_name }}_pipelines import evaluate
from {{ cookiecutter.package_name }}_pipelines.__main__ import main
from {{ cookiecutter.package_name }}_pipelines.params import DIRECTIONS, load_params
from {{ cookiecutter.package_name }}_pipelines.scoring import classification_metrics, prior_probabilities
from {{ cookiecutter.package_name }}_pipelines.trained import load_trained


def with_evaluate(params_file: Path, **values: int) -> None:
    params = yaml.safe_load(params_file.read_text())
    params["evaluate"].update(values)
    params_file.write_text(yaml.safe_dump(params))


@pytest.fixture(scope="module")
def evaluated_once(tmp_path_factory: pytest.TempPathFactory, params_in: Callable[[Path], Path]) -> Path:
    """The pipeline up to evaluate, with bounds below the test split's size (half and a quarter of it, whatever
    the dataset's size) so the sampling paths run. Run once for the module; each test gets a copy (`evaluated`)."""
    params_file = params_in(tmp_path_factory.mktemp("evaluated"))
    for stage in ("ingest", "validate", "split"):
        assert main([stage, "--params", str(params_file)]) == 0, stage
    rows = len(pd.read_parquet(load_params(params_file).paths.test))
    with_evaluate(params_file, importance_rows=max(1, rows // 2), plot_points=max(1, rows // 4))
    for stage in ("train", "evaluate"):
        assert main([stage, "--params", str(params_file)]) == 0, stage
    return params_file


@pytest.fixture
def evaluated(evaluated_once: Path, tmp_path: Path) -> Path:
    """The test's own copy of the evaluated pipeline's files, its params pointing at the copy."""
    shutil.copytree(evaluated_once.parent, tmp_path, dirs_exist_ok=True)
    params = (tmp_path / "params.yaml").read_text().replace(str(evaluated_once.parent), str(tmp_path))
    (tmp_path / "params.yaml").write_text(params)
    return tmp_path / "params.yaml"


def reference_metrics(truth: pd.Series, features: pd.DataFrame, model: object) -> dict[str, float]:
    """scikit-learn's own path (string labels, its own argmax) as the reference for scoring.py's."""
    if TASK == "regression":
        values = model.predict(features)  # type: ignore[attr-defined]
        return {
            "rmse": root_mean_squared_error(truth, values),
            "mae": mean_absolute_error(truth, values),
            "r2": r2_score(truth, values),
        }
    probabilities = model.predict_proba(features)  # type: ignore[attr-defined]
    labels = list(model.classes_)  # type: ignore[attr-defined]
    binary = len(labels) == 2
    return {
        "accuracy": accuracy_score(truth, model.predict(features)),  # type: ignore[attr-defined]
        "f1_macro": f1_score(truth, model.predict(features), average="macro"),  # type: ignore[attr-defined]
        "roc_auc_ovr": roc_auc_score(truth == labels[1], probabilities[:, 1])
        if binary
        else roc_auc_score(truth, probabilities, multi_class="ovr", labels=labels),
        "log_loss": log_loss(truth, probabilities, labels=labels),
    }


@pytest.mark.slow  # runs the pipeline up to evaluate (once per module), plots included
def test_headline_metrics_use_the_whole_test_split(evaluated: Path) -> None:
    p = load_params(evaluated)
    test = pd.read_parquet(p.paths.test)
    assert len(test) > p.evaluate.importance_rows
    assert len(test) > p.evaluate.plot_points
    model = load_trained(p.paths.model)
    expected = reference_metrics(test[TARGET], test[list(FEATURE_COLUMNS)], model)
    metrics = json.loads((p.paths.reports / "metrics.json").read_text())
    model_metrics = {name: value for name, value in metrics.items() if not name.startswith("baseline_")}
    assert set(model_metrics) == set(DIRECTIONS[TASK])
    assert model_metrics == pytest.approx({name: round(value, 6) for name, value in expected.items()}, abs=1e-6)


@pytest.mark.slow  # runs the pipeline up to evaluate (once per module), plots included
def test_the_baseline_is_a_dummy_model_fitted_on_the_train_split(evaluated: Path) -> None:
    p = load_params(evaluated)
    train, test = pd.read_parquet(p.paths.train), pd.read_parquet(p.paths.test)
    dummy = (DummyRegressor(strategy="mean") if TASK == "regression" else DummyClassifier(strategy="prior")).fit(
        train[list(FEATURE_COLUMNS)], train[TARGET]
    )
    expected = reference_metrics(test[TARGET], test[list(FEATURE_COLUMNS)], dummy)
    metrics = json.loads((p.paths.reports / "metrics.json").read_text())
    baseline = {
        name.removeprefix("baseline_"): value for name, value in metrics.items() if name.startswith("baseline_")
    }
    assert baseline == pytest.approx({name: round(value, 6) for name, value in expected.items()}, abs=1e-6)
    # Whether the recipe beats the baseline is the gate's question on the team's data (test_gate.py), not this test's.
    assert set(baseline) == set(DIRECTIONS[TASK])


@pytest.mark.slow  # runs the pipeline up to evaluate (once per module), plots included
def test_plot_data_is_bounded_in_points(evaluated: Path) -> None:
    p = load_params(evaluated)
    plots = p.paths.reports / "plots"
    test = pd.read_parquet(p.paths.test)
    if TASK == "regression":
        values = pd.read_csv(plots / "values.csv")
        assert len(values) == p.evaluate.plot_points
        assert set(values["actual"]) <= set(test[TARGET].astype(float))
        assert (values["actual"] - values["predicted"] - values["residual"]).abs().max() < 1e-5
        images = ["predicted_vs_actual.png", "residuals.png"]
        assert not (plots / "roc.csv").exists()
    else:
        # Class labels are text in the contract, even when they look like numbers ("1", "2").
        roc = pd.read_csv(plots / "roc.csv", dtype={"class": str})
        classes = sorted(test[TARGET].unique())
        # Two classes: the positive class's curve alone; more: one curve per class.
        assert sorted(roc["class"].unique()) == (classes[-1:] if len(classes) == 2 else classes)
        for _, curve in roc.groupby("class"):
            assert 2 <= len(curve) <= p.evaluate.plot_points
            # The curve still runs from (0, 0) to (1, 1).
            assert curve.iloc[0][["fpr", "tpr"]].tolist() == [0.0, 0.0]
            assert curve.iloc[-1][["fpr", "tpr"]].tolist() == [1.0, 1.0]
        predictions = pd.read_csv(plots / "predictions.csv", dtype={"actual": str})
        assert len(predictions) == p.evaluate.plot_points
        assert set(predictions["actual"]) <= set(test[TARGET])
        images = ["roc_curve.png", "confusion_matrix.png"]
        assert not (plots / "values.csv").exists()
    importance = pd.read_csv(plots / "feature_importance.csv")
    assert sorted(importance["feature"]) == sorted(FEATURE_COLUMNS)
    for image in [*images, "feature_importance.png"]:
        assert (plots / image).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow  # runs the pipeline up to evaluate (once per module), plots included
def test_a_rerun_gives_the_same_sample_and_the_same_files(evaluated: Path) -> None:
    plots = load_params(evaluated).paths.reports / "plots"
    before = {path.name: path.read_bytes() for path in plots.glob("*.csv")}
    assert "feature_importance.csv" in before
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


def test_binary_classification_has_one_roc_curve_and_scikit_learns_metrics() -> None:
    """Two classes, whatever the contract's task: the positive (second) class's curve and binary ROC AUC."""
    rng = np.random.default_rng(0)
    classes = ["no", "yes"]
    truth = pd.Series(rng.choice(classes, size=200, p=[0.7, 0.3]))
    signal = (truth == "yes").to_numpy() * 0.4 + rng.random(200) * 0.6
    probabilities = np.column_stack([1 - signal, signal])
    roc = evaluate.roc_points(truth, probabilities, classes, limit=50)
    assert set(roc["class"]) == {"yes"}
    assert len(roc) <= 50
    metrics = classification_metrics(truth, probabilities, classes)
    predicted = np.asarray(classes)[probabilities.argmax(axis=1)]
    assert metrics == pytest.approx(
        {
            "accuracy": round(accuracy_score(truth, predicted), 6),
            "f1_macro": round(f1_score(truth, predicted, average="macro"), 6),
            "roc_auc_ovr": round(roc_auc_score(truth == "yes", signal), 6),
            "log_loss": round(log_loss(truth, probabilities, labels=classes), 6),
        },
        abs=1e-6,
    )
    # The prior baseline: the train part's class shares for every row, so ROC AUC 0.5.
    rest = truth.iloc[100:]
    baseline = classification_metrics(rest, prior_probabilities(truth.iloc[:100], len(rest), classes), classes)
    assert baseline["roc_auc_ovr"] == 0.5
    assert baseline["accuracy"] == round(float((truth.iloc[100:] == truth.iloc[:100].mode()[0]).mean()), 6)
