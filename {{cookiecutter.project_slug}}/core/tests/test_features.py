"""Core: the feature transformer encodes exactly the contract's columns; every model family learns the data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import is_classifier, is_regressor
from sklearn.dummy import DummyClassifier, DummyRegressor

from {{ cookiecutter.package_name }}_core import (
    CATEGORICAL_COLUMNS,
    FEATURE_COLUMNS,
    NUMERIC_COLUMNS,
    TARGET,
    TASK,
    features,
    find_violations,
    iter_records,
)
from {{ cookiecutter.package_name }}_core.features import ESTIMATORS, Estimator, build_model, build_preprocessor

# Small models keep the test quick; the defaults in params.yaml are what the pipeline trains.
SMALL: dict[str, dict[str, int]] = {
    "linear": {},
    "random_forest": {"n_estimators": 20},
    "hist_gradient_boosting": {"max_iter": 20},
    "lightgbm": {"n_estimators": 20},
}


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    """The sample's rows that keep the contract."""
    return pd.DataFrame([row for row in iter_records(sample=True) if not find_violations(row)])


def with_synthetic_columns(
    frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch, *, numeric: int = 1, categorical: int = 1
) -> pd.DataFrame:
    """`frame` with synthetic features added until it has at least `numeric` numeric and `categorical` categorical
    ones, and the feature code patched to see them: a test of what a kind of column goes through runs on a
    contract that lacks that kind too. The contract's own columns come first and are used when there are enough."""
    rng = np.random.default_rng(0)
    numbers = {
        f"synthetic_number_{index}": rng.normal(size=len(frame)) for index in range(numeric - len(NUMERIC_COLUMNS))
    }
    words = ("a", "b", "c")
    categories = {
        f"synthetic_category_{index}": rng.choice(words, len(frame))
        for index in range(categorical - len(CATEGORICAL_COLUMNS))
    }
    monkeypatch.setattr(features, "NUMERIC_COLUMNS", (*NUMERIC_COLUMNS, *numbers))
    monkeypatch.setattr(features, "CATEGORICAL_COLUMNS", {**CATEGORICAL_COLUMNS, **dict.fromkeys(categories, words)})
    return frame.assign(**numbers, **categories)


def with_gaps(frame: pd.DataFrame, columns: tuple[str, ...], seed: int = 0) -> pd.DataFrame:
    """A copy of `frame` with about a fifth of the values of `columns` missing, as a data file's gaps read."""
    rng = np.random.default_rng(seed)
    gapped = frame.copy()
    for column in columns:
        gapped.loc[rng.random(len(gapped)) < 0.2, column] = None
    return gapped


def test_the_preprocessor_outputs_one_column_per_number_and_category(frame: pd.DataFrame) -> None:
    preprocessor = build_preprocessor()
    transformed = preprocessor.fit_transform(frame)
    expected = len(NUMERIC_COLUMNS) + sum(len(categories) for categories in CATEGORICAL_COLUMNS.values())
    assert transformed.shape == (len(frame), expected)
    # Standardised numeric columns are centred on zero.
    names = list(preprocessor.get_feature_names_out())
    for column in NUMERIC_COLUMNS:
        assert abs(float(transformed[:, names.index(column)].mean())) < 1e-9, column


def test_trees_get_raw_numbers(frame: pd.DataFrame) -> None:
    """Every number the data holds reaches a tree as it is (the gaps of optional columns are imputed, see below)."""
    preprocessor = build_preprocessor(scale=False)
    transformed = preprocessor.fit_transform(frame)
    names = list(preprocessor.get_feature_names_out())
    for column in NUMERIC_COLUMNS:
        raw = frame[column].to_numpy(dtype=float)
        present = ~np.isnan(raw)
        assert present.any(), column
        np.testing.assert_array_equal(transformed[present, names.index(column)], raw[present])


def test_the_preprocessor_output_is_dense_however_many_categories(
    frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Mostly-zero one-hot columns must not turn the output sparse: HistGradientBoosting refuses sparse input."""
    frame = with_synthetic_columns(frame, monkeypatch)
    column, categories = next(iter(features.CATEGORICAL_COLUMNS.items()))
    unseen = tuple(f"unseen_{index}" for index in range(20 * len(frame.columns)))
    monkeypatch.setattr(
        features, "CATEGORICAL_COLUMNS", {**features.CATEGORICAL_COLUMNS, column: (*categories, *unseen)}
    )
    transformed = build_preprocessor().fit_transform(frame)
    assert isinstance(transformed, np.ndarray)
    assert np.count_nonzero(transformed) < 0.3 * transformed.size  # sparse by scikit-learn's default threshold


def test_optional_columns_are_imputed_with_the_median_and_the_most_frequent_category(
    frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = with_synthetic_columns(frame, monkeypatch)
    numeric, categorical = features.NUMERIC_COLUMNS, features.CATEGORICAL_COLUMNS
    monkeypatch.setattr(features, "OPTIONAL_COLUMNS", (*numeric, *categorical))
    gapped = with_gaps(frame, (*numeric, *categorical))
    preprocessor = build_preprocessor(scale=False)
    transformed = preprocessor.fit_transform(gapped)
    assert not np.isnan(transformed).any()
    names = list(preprocessor.get_feature_names_out())
    for column in numeric:
        missing = gapped[column].isna().to_numpy()
        median = float(np.median(gapped[column].dropna().to_numpy(dtype=float)))
        assert missing.any(), column
        assert (transformed[missing, names.index(column)] == median).all(), column
    for column, categories in categorical.items():
        missing = gapped[column].isna().to_numpy()
        most_frequent = gapped[column].dropna().mode().iloc[0]
        encoded = transformed[missing][:, [names.index(f"{column}_{category}") for category in categories]]
        assert missing.any(), column
        assert (encoded == np.eye(len(categories))[categories.index(most_frequent)]).all(), column


def test_only_optional_columns_are_imputed(frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    """A gap in a required column breaks the contract: the recipe must not hide it by imputing."""
    frame = with_synthetic_columns(frame, monkeypatch, numeric=2)
    optional, required = features.NUMERIC_COLUMNS[0], features.NUMERIC_COLUMNS[-1]
    monkeypatch.setattr(features, "OPTIONAL_COLUMNS", (optional,))
    gapped = with_gaps(frame, (optional, required))
    preprocessor = build_preprocessor(scale=False)
    transformed = preprocessor.fit_transform(gapped)
    names = list(preprocessor.get_feature_names_out())
    assert not np.isnan(transformed[:, names.index(optional)].astype(float)).any()
    assert np.isnan(transformed[:, names.index(required)].astype(float)).sum() == gapped[required].isna().sum() > 0


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_each_family_builds_an_estimator_for_the_contracts_task(estimator: Estimator) -> None:
    final = build_model(estimator, seed=0, **SMALL[estimator])[-1]
    assert is_classifier(final) if TASK == "classification" else is_regressor(final)
    assert final.get_params()["random_state"] == 0


def test_an_unknown_family_is_refused_with_the_supported_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown estimator 'svm'; the supported ones are: linear, random_forest"):
        build_model("svm")  # type: ignore[arg-type]


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_each_family_learns_the_example_data(frame: pd.DataFrame, estimator: Estimator) -> None:
    """Each family fits its training rows better than a constant baseline (class priors, or the mean) does.

    No more than that: the gate, not this test, decides whether a model is good enough to ship, and a team's data
    may be hard. A family that learnt nothing (a broken encoder, features dropped) scores as the baseline does.
    """
    features_, target = frame[list(FEATURE_COLUMNS)], frame[TARGET]
    baseline = (DummyClassifier() if TASK == "classification" else DummyRegressor()).fit(features_, target)
    model = build_model(estimator, seed=0, **SMALL[estimator]).fit(features_, target)
    assert model.score(features_, target) > baseline.score(features_, target)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_each_family_trains_on_rows_with_gaps_in_optional_columns(
    frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch, estimator: Estimator
) -> None:
    monkeypatch.setattr(features, "OPTIONAL_COLUMNS", FEATURE_COLUMNS)
    gapped = with_gaps(frame, FEATURE_COLUMNS)
    model = build_model(estimator, seed=0, **SMALL[estimator]).fit(gapped[list(FEATURE_COLUMNS)], gapped[TARGET])
    predictions = model.predict(gapped[list(FEATURE_COLUMNS)])
    assert len(predictions) == len(gapped)
    assert not pd.isna(predictions).any()
