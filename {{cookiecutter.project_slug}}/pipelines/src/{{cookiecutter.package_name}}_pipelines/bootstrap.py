"""Pipelines (MLOps): the gate's paired bootstrap — is the challenger clearly better than the baseline on these rows?

Each seeded resample scores both models on the same drawn rows; the share on which the challenger is
strictly better answers params.yaml's `register.beat_baseline`. Vectorised over chunks of resamples, on at
most MAX_ROWS rows; a resample where the metric is undefined (AUC without both classes, R² of a constant
target) is left out of the share (`Bootstrap.scored`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

# The rows the resamples draw from at most, and the index entries one chunk of resamples holds at most.
MAX_ROWS = 20_000
CHUNK_ENTRIES = 1 << 18  # 2 MB of indices, so a chunk stays in cache (bench/gate.py measures it)
SEED = 0

Floats = NDArray[np.float64]
Indices = NDArray[np.intp]


@dataclass(frozen=True)
class Bootstrap:
    """How often the challenger beat the baseline on paired resamples of the same rows."""

    share: float  # of the scored resamples on which the challenger was strictly better (0 when none was scored)
    scored: int  # resamples on which the metric was defined for both models
    resamples: int  # resamples drawn
    rows: int  # rows each resample drew (the split's, or MAX_ROWS of them)


def _mean(values: Floats) -> Callable[[Indices], Floats]:
    return lambda drawn: values[drawn].mean(axis=1)


def _f1_macro(truth: Indices, predicted: Indices, classes: int) -> Callable[[Indices], Floats]:
    """Macro F1 over the classes present among the drawn rows' labels or predictions (scikit-learn's labels)."""
    cells = truth * classes + predicted

    def scores(drawn: Indices) -> Floats:
        count = len(drawn)
        offsets = (np.arange(count) * classes * classes)[:, None]
        flat = (cells[drawn] + offsets).ravel()
        confusion = np.bincount(flat, minlength=count * classes * classes).reshape(count, classes, classes)
        hits = np.diagonal(confusion, axis1=1, axis2=2)
        either = confusion.sum(axis=2) + confusion.sum(axis=1)  # true count + predicted count, per class
        present = either > 0
        f1 = np.divide(2.0 * hits, either, out=np.zeros(either.shape), where=present)
        result: Floats = f1.sum(axis=1) / present.sum(axis=1)
        return result

    return scores


def _auc(scores_of_rows: Floats, positive: NDArray[np.bool_]) -> Callable[[Indices], Floats]:
    """ROC AUC (Mann-Whitney, ties counted half) of one score per row; NaN where a class is absent."""
    _, level = np.unique(scores_of_rows, return_inverse=True)
    levels = int(level.max()) + 1
    weight = positive.astype(np.float64)

    def scores(drawn: Indices) -> Floats:
        count = len(drawn)
        flat = (level[drawn] + (np.arange(count) * levels)[:, None]).ravel()
        size = count * levels
        positives = np.bincount(flat, weights=weight[drawn].ravel(), minlength=size).reshape(count, levels)
        negatives = np.bincount(flat, minlength=size).reshape(count, levels) - positives
        below = np.cumsum(negatives, axis=1) - negatives
        pairs = (positives * (below + 0.5 * negatives)).sum(axis=1)
        total = positives.sum(axis=1) * negatives.sum(axis=1)
        result: Floats = np.divide(pairs, total, out=np.full(count, np.nan), where=total > 0)
        return result

    return scores


def _roc_auc_ovr(truth: Indices, probabilities: Floats) -> Callable[[Indices], Floats]:
    """The positive (second) class's AUC for two classes; the macro mean of one-vs-rest AUCs for more."""
    classes = probabilities.shape[1]
    if classes == 2:
        return _auc(probabilities[:, 1], truth == 1)
    each = [_auc(probabilities[:, code], truth == code) for code in range(classes)]
    return lambda drawn: np.mean([auc(drawn) for auc in each], axis=0)


def _log_loss_rows(truth: Indices, probabilities: Floats) -> Floats:
    """Each row's log loss as scikit-learn computes it: rows normalised, clipped to [eps, 1 - eps]."""
    eps = np.finfo(probabilities.dtype).eps
    normalised = probabilities / probabilities.sum(axis=1, keepdims=True)
    chosen = np.clip(normalised[np.arange(len(truth)), truth], eps, 1 - eps)
    rows: Floats = -np.log(chosen.astype(np.float64))
    return rows


def _r2(truth: Floats, values: Floats) -> Callable[[Indices], Floats]:
    """1 - SSE/SST on the drawn rows; NaN where the drawn targets do not vary (R² is undefined)."""
    centred = truth - truth.mean()  # SST is shift-free; centring keeps its subtraction exact enough
    squared_error = (values - truth) ** 2

    def scores(drawn: Indices) -> Floats:
        picked = centred[drawn]
        spread = (picked**2).sum(axis=1)
        total = spread - picked.sum(axis=1) ** 2 / drawn.shape[1]
        varies = total > 1e-9 * spread
        result: Floats = 1.0 - np.divide(
            squared_error[drawn].sum(axis=1), total, out=np.full(len(drawn), np.nan), where=varies
        )
        return result

    return scores


def resampled_metric(
    metric: str, truth: NDArray[np.generic], outputs: NDArray[np.generic]
) -> Callable[[Indices], Floats]:
    """Drawn row indices [resamples, rows] -> `metric` per resample (NaN: undefined). `truth`: class codes or values;
    `outputs`: probabilities [rows, K] or values [rows]."""
    if metric in ("rmse", "mae", "r2"):
        actual = np.asarray(truth, dtype=np.float64)
        values = np.asarray(outputs, dtype=np.float64).reshape(len(actual))
        if metric == "rmse":
            mean_squared = _mean((values - actual) ** 2)
            return lambda drawn: np.sqrt(mean_squared(drawn))
        if metric == "mae":
            return _mean(np.abs(values - actual))
        return _r2(actual, values)
    codes = np.asarray(truth, dtype=np.intp)
    probabilities = np.asarray(outputs)
    if metric == "accuracy":
        return _mean((probabilities.argmax(axis=1) == codes).astype(np.float64))
    if metric == "f1_macro":
        return _f1_macro(codes, probabilities.argmax(axis=1).astype(np.intp), probabilities.shape[1])
    if metric == "roc_auc_ovr":
        return _roc_auc_ovr(codes, probabilities)
    if metric == "log_loss":
        return _mean(_log_loss_rows(codes, probabilities))
    raise ValueError(f"no bootstrap for the metric {metric!r}")


def paired_bootstrap(
    metric: str,
    maximize: bool,
    truth: NDArray[np.generic],
    challenger: NDArray[np.generic],
    baseline: NDArray[np.generic],
    *,
    resamples: int,
    seed: int = SEED,
) -> Bootstrap:
    """Draw `resamples` resamples of the rows (seeded) and count those on which the challenger beats the baseline."""
    rng = np.random.default_rng(seed)
    rows = len(truth)
    if rows > MAX_ROWS:
        kept = np.sort(rng.choice(rows, size=MAX_ROWS, replace=False))
        truth, challenger, baseline, rows = truth[kept], challenger[kept], baseline[kept], MAX_ROWS
    ours = resampled_metric(metric, truth, challenger)
    theirs = resampled_metric(metric, truth, baseline)
    sign = 1.0 if maximize else -1.0
    per_chunk = max(1, CHUNK_ENTRIES // max(rows, 1))
    better = scored = 0
    for start in range(0, resamples, per_chunk):
        drawn = rng.integers(0, rows, size=(min(per_chunk, resamples - start), rows))
        difference = sign * (ours(drawn) - theirs(drawn))
        defined = ~np.isnan(difference)
        scored += int(defined.sum())
        better += int((difference[defined] > 0).sum())
    return Bootstrap(share=better / scored if scored else 0.0, scored=scored, resamples=resamples, rows=rows)
