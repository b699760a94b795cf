"""Pipelines (MLOps): evaluate — metrics JSON, offline PNG plots and DVC plot data, per task.

One prediction over the test split gives the metrics and plots, beside the baseline's metrics; permutation
importance and plot data read bounded seeded samples (`evaluate.importance_rows`, `evaluate.plot_points`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance
from sklearn.metrics import ConfusionMatrixDisplay, confusion_matrix, f1_score, roc_curve
from sklearn.pipeline import Pipeline

from {{ cookiecutter.package_name }}_core import FEATURE_COLUMNS, TARGET, TASK

from .files import write_frame, write_json
from .params import Params
from .scoring import BASELINE_PREFIX, baseline_metrics, label_codes, task_metrics
from .trained import load_trained

# The same plots for the same data every time: stroke dashes that tell overlapping ROC curves apart.
DASHES = ["solid", "dashed", "dashdot", "dotted"]


def sample_rows(rows: int, limit: int, seed: int) -> np.ndarray:
    """At most `limit` row numbers out of `rows`, seeded and in order: the same sample on every rerun."""
    if rows <= limit:
        return np.arange(rows)
    return np.sort(np.random.default_rng(seed).choice(rows, size=limit, replace=False))


def thin(curve: pd.DataFrame, limit: int) -> pd.DataFrame:
    """At most `limit` points of a curve, evenly spaced along it; the first and last points always stay."""
    if len(curve) <= limit:
        return curve
    return curve.iloc[np.unique(np.linspace(0, len(curve) - 1, limit).round().astype(int))]


def roc_points(truth: pd.Series, probabilities: np.ndarray, classes: Sequence[str], limit: int) -> pd.DataFrame:
    """ROC curves (class, fpr, tpr) of at most `limit` points: the positive class's for two classes, else one-vs-rest."""
    shown = [len(classes) - 1] if len(classes) == 2 else range(len(classes))
    parts = []
    for index in shown:
        label = classes[index]
        fpr, tpr, _ = roc_curve(truth == label, probabilities[:, index])
        parts.append(thin(pd.DataFrame({"class": label, "fpr": fpr.round(6), "tpr": tpr.round(6)}), limit))
    return pd.concat(parts, ignore_index=True)


def task_scorer(classes: Sequence[str]) -> Callable[[Pipeline, pd.DataFrame, pd.Series], float]:
    """The permutation scorer (higher is better): macro F1 on integer label codes, or minus the RMSE."""

    def macro_f1(model: Pipeline, features: pd.DataFrame, truth: pd.Series) -> float:
        actual = label_codes(truth, classes)
        return float(f1_score(actual, model.predict_proba(features).argmax(axis=1), average="macro"))

    def negative_rmse(model: Pipeline, features: pd.DataFrame, truth: pd.Series) -> float:
        return -float(np.sqrt(np.mean((truth.to_numpy(dtype=float) - model.predict(features)) ** 2)))

    return negative_rmse if TASK == "regression" else macro_f1


IMPORTANCE_LABEL = {
    "classification": "Mean drop in F1 (macro) when shuffled",
    "regression": "Mean rise in RMSE when shuffled",
}


def feature_importance(model: Pipeline, frame: pd.DataFrame, seed: int, rows: int) -> pd.DataFrame:
    """Permutation importance (ten shuffles per column) on a seeded sample of at most `rows` test rows."""
    sample = frame.iloc[sample_rows(len(frame), rows, seed)]
    result = permutation_importance(
        model,
        sample[list(FEATURE_COLUMNS)],
        sample[TARGET],
        n_repeats=10,
        random_state=seed,
        scoring=task_scorer(list(getattr(model, "classes_", []))),
    )
    importance = pd.DataFrame({"feature": list(FEATURE_COLUMNS), "importance": result.importances_mean.round(6)})
    return importance.sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)


def _save(figure: Any, path: Path) -> None:
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def save_importance(importance: pd.DataFrame, folder: Path) -> None:
    figure, axis = plt.subplots(figsize=(5, 4))
    ordered = importance.iloc[::-1]
    axis.barh(ordered["feature"], ordered["importance"])
    axis.set(xlabel=IMPORTANCE_LABEL[TASK], title="Permutation feature importance (sample)")
    _save(figure, folder / "feature_importance.png")


def save_classification_plots(roc: pd.DataFrame, confusion: np.ndarray, classes: Sequence[str], folder: Path) -> None:
    """ROC curves one panel per class (curves that overlap stay visible), and the confusion matrix."""
    curves = list(roc.groupby("class", sort=False))
    figure, axes = plt.subplots(1, len(curves), figsize=(3.2 * len(curves) + 0.8, 3.4), sharey=True, squeeze=False)
    for position, (axis, (label, points)) in enumerate(zip(axes[0], curves, strict=True)):
        axis.plot(points["fpr"], points["tpr"], linestyle=DASHES[position % len(DASHES)], color=f"C{position}")
        axis.plot([0, 1], [0, 1], linestyle=":", color="grey", linewidth=0.8)
        axis.set(xlabel="False positive rate", title=f"{label} vs rest" if len(classes) > 2 else str(label))
        axis.set_aspect("equal")
    axes[0][0].set_ylabel("True positive rate")
    figure.suptitle("ROC curves (test split)")
    _save(figure, folder / "roc_curve.png")

    figure, axis = plt.subplots(figsize=(5, 4))
    ConfusionMatrixDisplay(confusion, display_labels=list(classes)).plot(ax=axis, colorbar=False)
    axis.set_title("Confusion matrix (test split)")
    _save(figure, folder / "confusion_matrix.png")


def save_regression_plots(points: pd.DataFrame, folder: Path) -> None:
    """Predicted against actual (with the diagonal of a perfect model), and residuals against predicted."""
    figure, axis = plt.subplots(figsize=(5, 4))
    axis.scatter(points["actual"], points["predicted"], s=10, alpha=0.6)
    low = float(min(points["actual"].min(), points["predicted"].min()))
    high = float(max(points["actual"].max(), points["predicted"].max()))
    axis.plot([low, high], [low, high], linestyle="--", color="grey", linewidth=0.8)
    axis.set(xlabel=f"Actual {TARGET}", ylabel=f"Predicted {TARGET}", title="Predicted vs actual (test split)")
    _save(figure, folder / "predicted_vs_actual.png")

    figure, axis = plt.subplots(figsize=(5, 4))
    axis.scatter(points["predicted"], points["residual"], s=10, alpha=0.6)
    axis.axhline(0.0, linestyle="--", color="grey", linewidth=0.8)
    axis.set(xlabel=f"Predicted {TARGET}", ylabel="Residual (actual - predicted)", title="Residuals (test split)")
    _save(figure, folder / "residuals.png")


def classification_outputs(
    model: Pipeline, frame: pd.DataFrame, plots: Path, *, seed: int, plot_points: int
) -> tuple[dict[str, float], list[str]]:
    truth = frame[TARGET]
    classes = [str(label) for label in model.classes_]
    probabilities = model.predict_proba(frame[list(FEATURE_COLUMNS)])  # the one pass over the whole split
    predicted = probabilities.argmax(axis=1)
    # From the predictions already made: the whole split, no second pass through the model.
    confusion = confusion_matrix(label_codes(truth, classes), predicted, labels=range(len(classes)))
    roc = roc_points(truth, probabilities, classes, plot_points)
    shown = sample_rows(len(frame), plot_points, seed)  # DVC's confusion plot draws every row it is given
    labels = np.asarray(classes)
    write_frame(
        pd.DataFrame({"actual": truth.astype(str).to_numpy()[shown], "predicted": labels[predicted[shown]]}),
        plots / "predictions.csv",
    )
    write_frame(roc, plots / "roc.csv")
    save_classification_plots(roc, confusion, classes, plots)
    return task_metrics(truth, probabilities, classes), classes


def regression_outputs(
    model: Pipeline, frame: pd.DataFrame, plots: Path, *, seed: int, plot_points: int
) -> tuple[dict[str, float], list[str]]:
    truth = frame[TARGET].astype(float)
    values = np.asarray(model.predict(frame[list(FEATURE_COLUMNS)]), dtype=float)  # the one pass
    shown = sample_rows(len(frame), plot_points, seed)
    points = pd.DataFrame({"actual": truth.to_numpy()[shown], "predicted": values[shown].round(6)})
    points["residual"] = (points["actual"] - points["predicted"]).round(6)
    write_frame(points, plots / "values.csv")
    save_regression_plots(points, plots)
    return task_metrics(truth, values, []), []


def run(
    model_path: Path, train: Path, test: Path, reports: Path, *, seed: int, importance_rows: int, plot_points: int
) -> dict[str, float]:
    model = load_trained(model_path)
    frame = pd.read_parquet(test, columns=[*FEATURE_COLUMNS, TARGET])
    plots = reports / "plots"
    plots.mkdir(parents=True, exist_ok=True)
    outputs = regression_outputs if TASK == "regression" else classification_outputs
    metrics, classes = outputs(model, frame, plots, seed=seed, plot_points=plot_points)
    baseline = baseline_metrics(pd.read_parquet(train, columns=[TARGET])[TARGET], frame[TARGET], classes)
    importance = feature_importance(model, frame, seed, importance_rows)
    write_frame(importance, plots / "feature_importance.csv")
    save_importance(importance, plots)
    # Flat, as every consumer of metrics.json (DVC, MLflow, the card, the service) expects plain numbers.
    record = {**metrics, **{f"{BASELINE_PREFIX}{name}": value for name, value in baseline.items()}}
    write_json(record, reports / "metrics.json")
    print(
        f"evaluate ({TASK}): "
        + ", ".join(f"{name}={value:.4f} (baseline {baseline[name]:.4f})" for name, value in metrics.items())
    )
    return record


def stage(p: Params) -> None:
    run(
        p.paths.model,
        p.paths.train,
        p.paths.test,
        p.paths.reports,
        seed=p.train.seed,
        importance_rows=p.evaluate.importance_rows,
        plot_points=p.evaluate.plot_points,
    )
