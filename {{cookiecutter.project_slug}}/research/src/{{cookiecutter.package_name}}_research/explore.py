"""Research (Data Scientists): load the contract's data through core and summarise it, for either task."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import pandas as pd
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score

from {{ cookiecutter.package_name }}_core import (
    CATEGORICAL_COLUMNS,
    FEATURE_COLUMNS,
    NUMERIC_COLUMNS,
    TARGET,
    TARGET_CLASSES,
    data_path,
    find_violations,
    iter_records,
    sample_path,
)
from {{ cookiecutter.package_name }}_core.features import build_model

# What `baseline_scores` reports: macro F1 for a classifier, R² for a regressor (both: higher is better).
SCORING = "f1_macro" if TARGET_CLASSES else "r2"


def load_examples(*, sample: bool = False) -> pd.DataFrame:
    """The contract's data, with a `valid` column saying whether each row meets the contract.

    The data file when it is here; its sample in git when `sample` is set or DVC has not pulled the file
    (a fresh clone, CI). `frame.attrs["source"]` names the file read.
    """
    sample = sample or not data_path().is_file()
    rows = list(iter_records(sample=sample))
    frame = pd.DataFrame(rows)
    frame["valid"] = [not find_violations(row) for row in rows]
    frame.attrs["source"] = (sample_path() if sample else data_path()).name
    return frame


def numeric_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean, spread and range of every numeric contract column: per class, or (regression) with the target's."""
    if TARGET_CLASSES:
        if not NUMERIC_COLUMNS:  # a contract of categories only: a row per class, no figures
            return pd.DataFrame(index=pd.Index(sorted(frame[TARGET].dropna().unique()), name=TARGET))
        return frame.groupby(TARGET)[list(NUMERIC_COLUMNS)].agg(["mean", "std", "min", "max"]).round(1)
    return frame[[*NUMERIC_COLUMNS, TARGET]].agg(["mean", "std", "min", "max"]).T.round(1)


def category_shares(
    frame: pd.DataFrame, column: str, *, categorical: Collection[str] = tuple(CATEGORICAL_COLUMNS)
) -> pd.DataFrame:
    """Share of each category of `column` within each class, or (regression) the target's mean per category;
    `categorical` names the category columns (the contract's, or a test's own)."""
    if column not in categorical:
        raise KeyError(f"{column!r} is not a categorical contract column; choose one of {sorted(categorical)}")
    if TARGET_CLASSES:
        return pd.crosstab(frame[TARGET], frame[column], normalize="index").round(3)
    return frame.groupby(column)[TARGET].agg(["count", "mean", "std"]).round(1)


def _cross_validated(model: Any, frame: pd.DataFrame, folds: int, seed: int) -> pd.Series:
    """SCORING of `model` on the valid rows, over seeded (stratified, for classes) folds."""
    valid = frame[frame["valid"]]
    cv = (StratifiedKFold if TARGET_CLASSES else KFold)(n_splits=folds, shuffle=True, random_state=seed)
    scores = cross_val_score(model, valid[list(FEATURE_COLUMNS)], valid[TARGET], cv=cv, scoring=SCORING)
    return pd.Series(scores, name=SCORING)


def baseline_scores(frame: pd.DataFrame, *, folds: int = 5, seed: int = 0) -> pd.Series:
    """Cross-validated SCORING of core's training recipe on the valid rows: the number to beat."""
    return _cross_validated(build_model(seed=seed), frame, folds, seed)


def guessing_scores(frame: pd.DataFrame, *, folds: int = 5, seed: int = 0) -> pd.Series:
    """The same folds scored by a model that ignores the features (the most frequent class, or the mean)."""
    dummy = DummyClassifier(strategy="most_frequent") if TARGET_CLASSES else DummyRegressor(strategy="mean")
    return _cross_validated(dummy, frame, folds, seed)
