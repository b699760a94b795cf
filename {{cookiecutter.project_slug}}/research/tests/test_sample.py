"""Research: the data's sample in git is bounded, stratified, shows every category and gap, and is drawn the same twice.

The data here is the project's own sample, repeated past the sample's size with a few gaps punched in, so
the tests hold for whatever dataset the project has; both tasks are drawn, with a target of each kind.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}_core import TARGET, TARGET_CLASSES, sample_path
from {{ cookiecutter.package_name }}_research.infer import Plan, infer_plan, read_csv, survey_frame
from {{ cookiecutter.package_name }}_research.sample import SAMPLE_ROWS, TARGET_BINS, sample_rows

# Each task's target: the contract's own, or (for the other task) a synthetic column added to its sample,
# so that both tasks are drawn from whatever contract the project has.
SYNTHETIC = {"classification": "synthetic_class", "regression": "synthetic_value"}
TARGETS = {
    task: TARGET if (task == "classification") == bool(TARGET_CLASSES) else SYNTHETIC[task] for task in SYNTHETIC
}


def _large(target: str) -> pd.DataFrame:
    """The sample repeated to three times SAMPLE_ROWS, rows with a target only, a gap in one feature every 50 rows,
    and the synthetic target when `target` is one: three classes of unequal size, or seeded numbers."""
    small = read_csv(sample_path())
    small = small[small[TARGET] != ""]
    frame = pd.concat([small] * (3 * SAMPLE_ROWS // len(small) + 1), ignore_index=True)
    if target == SYNTHETIC["classification"]:
        frame[target] = [("a", "b", "b", "c", "c", "c")[index % 6] for index in range(len(frame))]
    elif target == SYNTHETIC["regression"]:
        frame[target] = [f"{value:.3f}" for value in np.random.default_rng(0).lognormal(size=len(frame))]
    gapped = next(column for column in frame.columns if column != target)
    frame.loc[::50, gapped] = ""
    return frame


def _plan(frame: pd.DataFrame, task: str) -> Plan:
    return infer_plan(survey_frame(frame, TARGETS[task]), TARGETS[task], task=task)  # type: ignore[arg-type]


@pytest.fixture(params=list(TARGETS))
def case(request: pytest.FixtureRequest) -> tuple[pd.DataFrame, Plan]:
    frame = _large(TARGETS[request.param])
    return frame, _plan(frame, request.param)


def test_the_sample_is_bounded_and_its_rows_are_the_datas_in_order(case: tuple[pd.DataFrame, Plan]) -> None:
    frame, drawn = case
    sample = sample_rows(frame, drawn)
    assert 0 < len(sample) <= SAMPLE_ROWS
    assert list(sample.index) == sorted(sample.index)
    assert sample.equals(frame.loc[sample.index, list(sample.columns)])
    assert list(sample.columns) == [*(column.name for column in drawn.features), drawn.target.name]


def test_the_same_data_gives_the_same_sample(case: tuple[pd.DataFrame, Plan]) -> None:
    frame, drawn = case
    assert sample_rows(frame, drawn).equals(sample_rows(frame.copy(), drawn))


def test_every_category_and_every_gap_is_in_the_sample(case: tuple[pd.DataFrame, Plan]) -> None:
    frame, drawn = case
    sample = sample_rows(frame, drawn)
    for column in drawn.features:
        if column.kind == "categorical":
            assert set(sample[column.name]) == set(frame[column.name]), column.name
        if column.optional:
            assert (sample[column.name] == "").any(), column.name


def test_each_class_keeps_its_share_and_a_regression_target_its_range(case: tuple[pd.DataFrame, Plan]) -> None:
    frame, drawn = case
    target = drawn.target.name
    sample = sample_rows(frame, drawn)
    if drawn.task == "classification":
        # Rows that show a category or a gap are drawn first, whatever their class: the shares may move by that much.
        shown = sum(len(column.categories) + column.optional for column in drawn.features)
        data, drawn_shares = frame[target].value_counts(normalize=True), sample[target].value_counts(normalize=True)
        assert set(drawn_shares.index) == set(data.index)
        assert (sample[target].value_counts() >= 2).all()
        assert ((drawn_shares - data).abs() <= 0.02 + shown / SAMPLE_ROWS).all()
    else:
        bins = pd.qcut(frame[target].astype(float), q=TARGET_BINS, labels=False, duplicates="drop")
        assert set(bins[sample.index]) == set(bins)


def test_data_within_the_size_is_its_own_sample(case: tuple[pd.DataFrame, Plan]) -> None:
    frame, drawn = case
    small = frame.iloc[: SAMPLE_ROWS // 2]
    assert sample_rows(small, drawn).equals(small[[*(c.name for c in drawn.features), drawn.target.name]])
