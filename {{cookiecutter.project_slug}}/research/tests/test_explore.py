"""Research: the exploration helpers load, summarise and score the example data."""

import pytest

from {{ cookiecutter.package_name }}_core import NUMERIC_COLUMNS, TARGET_CLASSES
from {{ cookiecutter.package_name }}_research.explore import (
    baseline_scores,
    category_shares,
    load_examples,
    numeric_summary,
)


def test_examples_flag_the_rows_that_break_the_contract() -> None:
    frame = load_examples()
    assert len(frame) == 344
    assert int((~frame["valid"]).sum()) == 11


def test_numeric_summary_has_one_row_per_class() -> None:
    summary = numeric_summary(load_examples())
    assert list(summary.index) == list(TARGET_CLASSES)
    assert {column for column, _ in summary.columns} == set(NUMERIC_COLUMNS)


def test_category_shares_sum_to_one_per_class() -> None:
    shares = category_shares(load_examples(), "island")
    # Shares are rounded to three decimals, so a row may sum to 0.999.
    assert (shares.sum(axis=1) - 1).abs().max() <= 0.002


def test_category_shares_refuses_a_numeric_column() -> None:
    with pytest.raises(KeyError, match="not a categorical contract column"):
        category_shares(load_examples(), "body_mass_g")


def test_baseline_beats_guessing_by_far() -> None:
    scores = baseline_scores(load_examples(), folds=3)
    assert len(scores) == 3
    assert scores.mean() > 0.9
