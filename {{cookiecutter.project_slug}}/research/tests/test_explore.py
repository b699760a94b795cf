"""Research: the exploration helpers load, summarise and score the contract's data, for its task."""

from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}_core import (
    CATEGORICAL_COLUMNS,
    NUMERIC_COLUMNS,
    TARGET,
    TARGET_CLASSES,
    find_violations,
    iter_records,
    sample_path,
)
from {{ cookiecutter.package_name }}_research import explore
from {{ cookiecutter.package_name }}_research.explore import (
    baseline_scores,
    category_shares,
    guessing_scores,
    load_examples,
    numeric_summary,
)


def test_examples_flag_the_rows_that_break_the_contract() -> None:
    frame = load_examples(sample=True)
    rows = list(iter_records(sample=True))
    assert len(frame) == len(rows)
    assert int((~frame["valid"]).sum()) == sum(bool(find_violations(row)) for row in rows)


def test_numeric_summary_has_a_row_per_class_or_per_column() -> None:
    summary = numeric_summary(load_examples(sample=True))
    if TARGET_CLASSES:
        assert set(summary.index) <= set(TARGET_CLASSES)
        assert {column for column, _ in summary.columns} == set(NUMERIC_COLUMNS)
    else:
        assert list(summary.index) == [*NUMERIC_COLUMNS, TARGET]


def test_category_shares_sum_to_one_per_class_or_count_every_row() -> None:
    """On the contract's first categorical column, or (a contract without one) a synthetic column of its own."""
    frame = load_examples(sample=True)
    column = next(iter(CATEGORICAL_COLUMNS), "synthetic_colour")
    if column == "synthetic_colour":
        frame[column] = [("red", "green", "blue")[index % 3] for index in range(len(frame))]
    categories = CATEGORICAL_COLUMNS.get(column, ("red", "green", "blue"))
    shares = category_shares(frame, column, categorical=(column,))
    if TARGET_CLASSES:
        # Each share is rounded to three decimals: a row's sum is off by at most half a unit per category.
        assert (shares.sum(axis=1) - 1).abs().max() <= 0.0005 * len(categories) + 1e-9
    else:
        assert shares["count"].sum() == len(frame.dropna(subset=[column, TARGET]))


def test_category_shares_refuses_a_numeric_column() -> None:
    """The contract's first numeric column, or (a contract without one) a synthetic column of its own."""
    frame = load_examples(sample=True)
    column = next(iter(NUMERIC_COLUMNS), "synthetic_number")
    if column == "synthetic_number":
        frame[column] = [float(index) for index in range(len(frame))]
    with pytest.raises(KeyError, match=f"'{column}' is not a categorical contract column"):
        category_shares(frame, column)


def test_the_training_recipe_beats_guessing() -> None:
    frame = load_examples(sample=True)
    scores = baseline_scores(frame, folds=3)
    assert len(scores) == 3
    assert scores.mean() > guessing_scores(frame, folds=3).mean()


def test_without_the_data_file_the_examples_are_the_sample(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A fresh clone has no DVC-tracked data file until `dvc pull`: the notebook explores the sample in git."""
    monkeypatch.setattr(explore, "data_path", lambda: tmp_path / "not pulled.csv")
    frame = load_examples()
    assert frame.attrs["source"] == sample_path().name
    assert len(frame) == sum(1 for _ in iter_records(sample=True))
