"""Research (Data Scientists): load the example data through core's contract and summarise it."""

from __future__ import annotations

import pandas as pd
from sklearn.model_selection import StratifiedKFold, cross_val_score

from {{ cookiecutter.package_name }}_core import (
    CATEGORICAL_COLUMNS,
    FEATURE_COLUMNS,
    NUMERIC_COLUMNS,
    TARGET,
    find_violations,
    iter_example_records,
)
from {{ cookiecutter.package_name }}_core.features import build_model


def load_examples() -> pd.DataFrame:
    """The bundled example data, with a `valid` column saying whether each row meets the contract."""
    rows = list(iter_example_records())
    frame = pd.DataFrame(rows)
    frame["valid"] = [not find_violations(row) for row in rows]
    return frame


def numeric_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Count, mean, spread and range of every numeric contract column, per class of the target."""
    return frame.groupby(TARGET)[list(NUMERIC_COLUMNS)].agg(["mean", "std", "min", "max"]).round(1)


def category_shares(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Share of each category of `column` within each class of the target."""
    if column not in CATEGORICAL_COLUMNS:
        raise KeyError(f"{column!r} is not a categorical contract column; choose one of {sorted(CATEGORICAL_COLUMNS)}")
    return pd.crosstab(frame[TARGET], frame[column], normalize="index").round(3)


def baseline_scores(frame: pd.DataFrame, *, folds: int = 5, seed: int = 0) -> pd.Series:
    """Cross-validated macro F1 of core's training recipe on the valid rows: the number to beat."""
    valid = frame[frame["valid"]]
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    scores = cross_val_score(
        build_model(seed=seed), valid[list(FEATURE_COLUMNS)], valid[TARGET], cv=splitter, scoring="f1_macro"
    )
    return pd.Series(scores, name="f1_macro")
