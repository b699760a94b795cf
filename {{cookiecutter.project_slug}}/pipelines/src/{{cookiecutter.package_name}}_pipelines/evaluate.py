"""Pipelines (MLOps): evaluate — metrics JSON, PNG plots a person can open offline, and DVC plot data.

One prediction over the whole test split gives the headline metrics and the confusion matrix;
everything else costs a constant: permutation importance runs on a seeded sample of at most
`evaluate.importance_rows` rows, and the plot data holds at most `evaluate.plot_points` points.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance
from sklearn.metrics import (
    ConfusionMatrixDisplay,
    confusion_matrix,
    f1_score,
    roc_curve,
)
from sklearn.pipeline import Pipeline

from {{ cookiecutter.package_name }}_core import FEATURE_COLUMNS, TARGET

from .files import write_frame, write_json
from .params import Params
from .scoring import classification_metrics, label_codes
from .trained import load_trained


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
    """One-vs-rest ROC curve of every class over the whole split, at most `limit` points each, long format."""
    parts = []
    for index, label in enumerate(classes):
        fpr, tpr, _ = roc_curve(truth == label, probabilities[:, index])
        parts.append(thin(pd.DataFrame({"class": label, "fpr": fpr.round(6), "tpr": tpr.round(6)}), limit))
    return pd.concat(parts, ignore_index=True)


def macro_f1(model: Pipeline, features: pd.DataFrame, truth: pd.Series) -> float:
    """The permutation scorer: F1 (macro) on integer label codes, as in scoring.py."""
    actual = label_codes(truth, model.classes_)
    return float(f1_score(actual, model.predict_proba(features).argmax(axis=1), average="macro"))


def feature_importance(model: Pipeline, frame: pd.DataFrame, seed: int, rows: int) -> pd.DataFrame:
    """Permutation importance on a seeded sample of at most `rows` test rows, in the contract's column names.

    Ten shuffles of each column cost ten predictions per column: on the sample they take constant time.
    """
    sample = frame.iloc[sample_rows(len(frame), rows, seed)]
    result = permutation_importance(
        model,
        sample[list(FEATURE_COLUMNS)],
        sample[TARGET],
        n_repeats=10,
        random_state=seed,
        scoring=macro_f1,
    )
    importance = pd.DataFrame({"feature": list(FEATURE_COLUMNS), "importance": result.importances_mean.round(6)})
    return importance.sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)


def save_plots(
    roc: pd.DataFrame, confusion: np.ndarray, classes: Sequence[str], importance: pd.DataFrame, folder: Path
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    figure, axis = plt.subplots(figsize=(5, 4))
    for label, points in roc.groupby("class", sort=False):
        axis.plot(points["fpr"], points["tpr"], label=str(label))
    axis.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=0.8)
    axis.set(xlabel="False positive rate", ylabel="True positive rate", title="ROC curve (one vs rest)")
    axis.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(folder / "roc_curve.png", dpi=100)
    plt.close(figure)

    figure, axis = plt.subplots(figsize=(5, 4))
    ConfusionMatrixDisplay(confusion, display_labels=list(classes)).plot(ax=axis, colorbar=False)
    axis.set_title("Confusion matrix (test split)")
    figure.tight_layout()
    figure.savefig(folder / "confusion_matrix.png", dpi=100)
    plt.close(figure)

    figure, axis = plt.subplots(figsize=(5, 4))
    ordered = importance.iloc[::-1]
    axis.barh(ordered["feature"], ordered["importance"])
    axis.set(xlabel="Mean drop in F1 (macro) when shuffled", title="Permutation feature importance (sample)")
    figure.tight_layout()
    figure.savefig(folder / "feature_importance.png", dpi=100)
    plt.close(figure)


def run(
    model_path: Path, test: Path, reports: Path, *, seed: int, importance_rows: int, plot_points: int
) -> dict[str, float]:
    model = load_trained(model_path)
    frame = pd.read_parquet(test, columns=[*FEATURE_COLUMNS, TARGET])
    truth = frame[TARGET]
    probabilities = model.predict_proba(frame[list(FEATURE_COLUMNS)])  # the one pass over the whole split
    predicted = probabilities.argmax(axis=1)
    # From the predictions already made: the whole split, no second pass through the model.
    confusion = confusion_matrix(label_codes(truth, model.classes_), predicted, labels=range(len(model.classes_)))
    metrics = classification_metrics(truth, probabilities, model.classes_)
    roc = roc_points(truth, probabilities, model.classes_, plot_points)
    importance = feature_importance(model, frame, seed, importance_rows)
    plots = reports / "plots"
    shown = sample_rows(len(frame), plot_points, seed)  # DVC's confusion plot draws every row it is given
    labels = np.asarray(model.classes_)
    write_frame(
        pd.DataFrame({"actual": truth.to_numpy()[shown], "predicted": labels[predicted[shown]]}),
        plots / "predictions.csv",
    )
    write_frame(roc, plots / "roc.csv")
    write_frame(importance, plots / "feature_importance.csv")
    save_plots(roc, confusion, model.classes_, importance, plots)
    write_json(metrics, reports / "metrics.json")
    print("evaluate: " + ", ".join(f"{name}={value:.4f}" for name, value in metrics.items()))
    return metrics


def stage(p: Params) -> None:
    run(
        p.paths.model,
        p.paths.test,
        p.paths.reports,
        seed=p.train.seed,
        importance_rows=p.evaluate.importance_rows,
        plot_points=p.evaluate.plot_points,
    )
