"""Pipelines (MLOps): evaluate — metrics JSON, PNG plots a person can open offline, and DVC plot data."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance
from sklearn.metrics import (
    ConfusionMatrixDisplay,
    accuracy_score,
    f1_score,
    log_loss,
    roc_auc_score,
    roc_curve,
)
from sklearn.pipeline import Pipeline

from {{ cookiecutter.package_name }}_core import FEATURE_COLUMNS, TARGET
from {{ cookiecutter.package_name }}_pipelines.files import write_frame, write_json
from {{ cookiecutter.package_name }}_pipelines.params import Params

from .trained import load_trained


def compute_metrics(model: Pipeline, frame: pd.DataFrame) -> dict[str, float]:
    features, truth = frame[list(FEATURE_COLUMNS)], frame[TARGET]
    probabilities = model.predict_proba(features)
    predicted = model.classes_[probabilities.argmax(axis=1)]
    return {
        "accuracy": round(float(accuracy_score(truth, predicted)), 6),
        "f1_macro": round(float(f1_score(truth, predicted, average="macro")), 6),
        "roc_auc_ovr": round(float(roc_auc_score(truth, probabilities, multi_class="ovr", labels=model.classes_)), 6),
        "log_loss": round(float(log_loss(truth, probabilities, labels=model.classes_)), 6),
    }


def roc_points(model: Pipeline, frame: pd.DataFrame) -> pd.DataFrame:
    """One-vs-rest ROC curve of every class, long format for DVC and matplotlib."""
    probabilities = model.predict_proba(frame[list(FEATURE_COLUMNS)])
    parts = []
    for index, label in enumerate(model.classes_):
        fpr, tpr, _ = roc_curve(frame[TARGET] == label, probabilities[:, index])
        parts.append(pd.DataFrame({"class": label, "fpr": fpr.round(6), "tpr": tpr.round(6)}))
    return pd.concat(parts, ignore_index=True)


def feature_importance(model: Pipeline, frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Permutation importance on the test split: model-agnostic, in the contract's column names."""
    result = permutation_importance(
        model,
        frame[list(FEATURE_COLUMNS)],
        frame[TARGET],
        n_repeats=10,
        random_state=seed,
        scoring="f1_macro",
    )
    importance = pd.DataFrame({"feature": list(FEATURE_COLUMNS), "importance": result.importances_mean.round(6)})
    return importance.sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)


def save_plots(model: Pipeline, frame: pd.DataFrame, roc: pd.DataFrame, importance: pd.DataFrame, folder: Path) -> None:
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
    ConfusionMatrixDisplay.from_estimator(model, frame[list(FEATURE_COLUMNS)], frame[TARGET], ax=axis, colorbar=False)
    axis.set_title("Confusion matrix (test split)")
    figure.tight_layout()
    figure.savefig(folder / "confusion_matrix.png", dpi=100)
    plt.close(figure)

    figure, axis = plt.subplots(figsize=(5, 4))
    ordered = importance.iloc[::-1]
    axis.barh(ordered["feature"], ordered["importance"])
    axis.set(xlabel="Mean drop in F1 (macro) when shuffled", title="Permutation feature importance")
    figure.tight_layout()
    figure.savefig(folder / "feature_importance.png", dpi=100)
    plt.close(figure)


def run(model_path: Path, test: Path, reports: Path, seed: int) -> dict[str, float]:
    model = load_trained(model_path)
    frame = pd.read_parquet(test)
    metrics = compute_metrics(model, frame)
    roc = roc_points(model, frame)
    importance = feature_importance(model, frame, seed)
    plots = reports / "plots"
    predicted = model.predict(frame[list(FEATURE_COLUMNS)])
    write_frame(pd.DataFrame({"actual": frame[TARGET], "predicted": np.asarray(predicted)}), plots / "predictions.csv")
    write_frame(roc, plots / "roc.csv")
    write_frame(importance, plots / "feature_importance.csv")
    save_plots(model, frame, roc, importance, plots)
    write_json(metrics, reports / "metrics.json")
    print("evaluate: " + ", ".join(f"{name}={value:.4f}" for name, value in metrics.items()))
    return metrics


def stage(p: Params) -> None:
    run(p.paths.model, p.paths.test, p.paths.reports, seed=p.train.seed)
