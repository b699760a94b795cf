"""Pipelines (MLOps): each task's metrics and baseline, and the ONNX feed — one definition for evaluate and the gate.

A classifier is scored from its probabilities, a regressor from its values; the baseline is scikit-learn's
Dummy model fitted on the train split's target (class priors, or the mean).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import onnxruntime as ort
import pandas as pd

from {{ cookiecutter.package_name }}_core import CATEGORICAL_COLUMNS, FEATURE_COLUMNS, MISSING_CATEGORY, TASK

# Rounding of every reported figure: stable JSON across reruns, far below any gate margin.
DIGITS = 6
# metrics.json and the card hold the baseline's figures beside the model's, under this prefix.
BASELINE_PREFIX = "baseline_"
# scikit-learn is imported by the functions that use it: batch scoring needs only onnx_feed, and
# importing scikit-learn would be most of its start-up time.


def label_codes(truth: pd.Series, classes: Sequence[str]) -> np.ndarray:
    """Each label's position in `classes`: metrics compare integer codes (scikit-learn sorts the labels it gets)."""
    return np.asarray(pd.Categorical(truth, categories=list(classes)).codes)


def classification_metrics(truth: pd.Series, probabilities: np.ndarray, classes: Sequence[str]) -> dict[str, float]:
    """accuracy, macro F1, ROC AUC (the positive class's for two classes, else macro one-vs-rest) and log loss."""
    from sklearn.metrics import accuracy_score, f1_score, log_loss, roc_auc_score

    codes = range(len(classes))
    actual = label_codes(truth, classes)
    predicted = probabilities.argmax(axis=1)
    if len(classes) == 2:  # scikit-learn's binary form: the score of the positive (second) class
        auc = roc_auc_score(actual == 1, probabilities[:, 1])
    else:
        auc = roc_auc_score(actual, probabilities, multi_class="ovr", labels=codes)
    return {
        "accuracy": round(float(accuracy_score(actual, predicted)), DIGITS),
        "f1_macro": round(float(f1_score(actual, predicted, average="macro")), DIGITS),
        "roc_auc_ovr": round(float(auc), DIGITS),
        "log_loss": round(float(log_loss(actual, probabilities, labels=codes)), DIGITS),
    }


def regression_metrics(truth: pd.Series, values: np.ndarray) -> dict[str, float]:
    """Root mean squared error, mean absolute error (both in the target's unit) and R²."""
    from sklearn.metrics import mean_absolute_error, r2_score, root_mean_squared_error

    actual = truth.to_numpy(dtype=float)
    predicted = np.asarray(values, dtype=float).reshape(len(actual))
    return {
        "rmse": round(float(root_mean_squared_error(actual, predicted)), DIGITS),
        "mae": round(float(mean_absolute_error(actual, predicted)), DIGITS),
        "r2": round(float(r2_score(actual, predicted)), DIGITS),
    }


def task_metrics(truth: pd.Series, outputs: np.ndarray, classes: Sequence[str]) -> dict[str, float]:
    """The contract's task's metrics: `outputs` are probabilities (classification) or values (regression)."""
    if TASK == "regression":
        return regression_metrics(truth, outputs)
    return classification_metrics(truth, outputs, classes)


def prior_probabilities(train_target: pd.Series, rows: int, classes: Sequence[str]) -> np.ndarray:
    """The train split's class priors for each of `rows` rows (scikit-learn's Dummy classifier), one column per class."""
    from sklearn.dummy import DummyClassifier

    actual = label_codes(train_target, classes)
    known = actual >= 0  # a class the train split lacks gets prior 0 (and a log loss to match)
    dummy = DummyClassifier(strategy="prior").fit(np.zeros((int(known.sum()), 1)), actual[known])
    probabilities = np.zeros((rows, len(classes)))
    probabilities[:, dummy.classes_] = dummy.predict_proba(np.zeros((rows, 1)))
    return np.clip(probabilities, 1e-15, 1.0)


def mean_values(train_target: pd.Series, rows: int) -> np.ndarray:
    """The train split's mean for each of `rows` rows (scikit-learn's Dummy regressor)."""
    from sklearn.dummy import DummyRegressor

    regressor = DummyRegressor(strategy="mean").fit(np.zeros((len(train_target), 1)), train_target.astype(float))
    return np.asarray(regressor.predict(np.zeros((rows, 1))))


def baseline_outputs(train_target: pd.Series, rows: int, classes: Sequence[str]) -> np.ndarray:
    """The Dummy model's outputs for `rows` rows, fitted on the train split's target: what every metric compares to."""
    if TASK == "regression":
        return mean_values(train_target, rows)
    return prior_probabilities(train_target, rows, classes)


def baseline_metrics(train_target: pd.Series, truth: pd.Series, classes: Sequence[str]) -> dict[str, float]:
    """The task's metrics of a Dummy model fitted on the train split's target, on the rows of `truth`."""
    return task_metrics(truth, baseline_outputs(train_target, len(truth), classes), classes)


def onnx_feed(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """The ONNX model's inputs: one [N,1] array per contract column, gaps as NaN or MISSING_CATEGORY (imputed)."""
    feed: dict[str, np.ndarray] = {}
    for column in FEATURE_COLUMNS:
        values = frame[[column]]
        if column in CATEGORICAL_COLUMNS:
            feed[column] = values.astype(object).where(values.notna(), MISSING_CATEGORY).to_numpy(dtype=object)
        else:
            feed[column] = values.to_numpy(dtype=np.float32, na_value=np.nan)
    return feed


def onnx_outputs(session: ort.InferenceSession, feed: dict[str, Any]) -> tuple[np.ndarray, np.ndarray | None]:
    """The model's first output (labels, or values) as [N], and its probabilities [N, classes] if it has them."""
    names = [node.name for node in session.get_outputs()]
    results = dict(zip(names, session.run(None, feed), strict=True))
    first = np.asarray(results[names[0]])
    probabilities = results.get("probabilities")
    return first.reshape(len(first)), None if probabilities is None else np.asarray(probabilities)
