"""Pipelines (MLOps): the headline metrics of a classifier, from its probabilities — one definition for evaluate and the gate."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score, log_loss, roc_auc_score


def classification_metrics(truth: pd.Series, probabilities: np.ndarray, classes: Sequence[str]) -> dict[str, float]:
    """accuracy, macro F1, one-vs-rest ROC AUC and log loss; `probabilities` has one column per class."""
    labels = list(classes)
    predicted = np.asarray(labels, dtype=object)[probabilities.argmax(axis=1)]
    if len(labels) == 2:  # scikit-learn's binary form: the score of the positive (second) class
        auc = roc_auc_score(truth == labels[1], probabilities[:, 1])
    else:
        auc = roc_auc_score(truth, probabilities, multi_class="ovr", labels=labels)
    return {
        "accuracy": round(float(accuracy_score(truth, predicted)), 6),
        "f1_macro": round(float(f1_score(truth, predicted, average="macro")), 6),
        "roc_auc_ovr": round(float(auc), 6),
        "log_loss": round(float(log_loss(truth, probabilities, labels=labels)), 6),
    }
