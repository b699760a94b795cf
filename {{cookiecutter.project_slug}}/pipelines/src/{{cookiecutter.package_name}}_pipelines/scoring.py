"""Pipelines (MLOps): the headline metrics of a classifier, from its probabilities — one definition for evaluate and the gate."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score, log_loss, roc_auc_score


def label_codes(truth: pd.Series, classes: Sequence[str]) -> np.ndarray:
    """Each label's position in `classes`.

    Metrics compare these integer codes: scikit-learn sorts the labels it is given, and sorting
    a million strings costs seconds where sorting integers costs milliseconds.
    """
    return np.asarray(pd.Categorical(truth, categories=list(classes)).codes)


def classification_metrics(truth: pd.Series, probabilities: np.ndarray, classes: Sequence[str]) -> dict[str, float]:
    """accuracy, macro F1, one-vs-rest ROC AUC and log loss; `probabilities` has one column per class."""
    codes = range(len(classes))
    actual = label_codes(truth, classes)
    predicted = probabilities.argmax(axis=1)
    if len(classes) == 2:  # scikit-learn's binary form: the score of the positive (second) class
        auc = roc_auc_score(actual == 1, probabilities[:, 1])
    else:
        auc = roc_auc_score(actual, probabilities, multi_class="ovr", labels=codes)
    return {
        "accuracy": round(float(accuracy_score(actual, predicted)), 6),
        "f1_macro": round(float(f1_score(actual, predicted, average="macro")), 6),
        "roc_auc_ovr": round(float(auc), 6),
        "log_loss": round(float(log_loss(actual, probabilities, labels=codes)), 6),
    }
