"""Core: the data contract accepts every record it declares and names the column and rule of every bad one."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field, ValidationError, create_model

from {{ cookiecutter.package_name }}_core import (
    CATEGORICAL_COLUMNS,
    FEATURE_COLUMNS,
    NUMERIC_COLUMNS,
    NUMERIC_RANGES,
    OPTIONAL_COLUMNS,
    TARGET,
    TARGET_CLASSES,
    TASK,
    Features,
    LabelledRecord,
    find_violations,
)
from {{ cookiecutter.package_name }}_core.rules import field_rules, violations

TEXT_COLUMNS = (*CATEGORICAL_COLUMNS, *((TARGET,) if TARGET_CLASSES else ()))


def synthetic(column: str, annotation: Any) -> type[BaseModel]:
    """A one-column contract under the team's config, for a test of a kind of column the team's contract lacks."""
    model: type[BaseModel] = create_model(  # type: ignore[call-overload]
        "Synthetic", __config__=LabelledRecord.model_config, **{column: (annotation, ...)}
    )
    return model


# (contract, column) of each kind: the team's columns, else the one column of a synthetic contract.
NUMBERS = [pytest.param(LabelledRecord, column, id=column) for column in NUMERIC_RANGES] or [
    pytest.param(synthetic("length", Annotated[float, Field(ge=0.5, le=70.0)]), "length", id="synthetic-length")
]
TEXTS = [pytest.param(LabelledRecord, column, id=column) for column in TEXT_COLUMNS] or [
    pytest.param(synthetic("colour", Literal["red", "green"]), "colour", id="synthetic-colour")
]


def _values(column: str) -> st.SearchStrategy[Any]:
    """Valid values of one column: a declared category, or a finite number in the declared range."""
    if column in CATEGORICAL_COLUMNS:
        return st.sampled_from(CATEGORICAL_COLUMNS[column])
    if column == TARGET and TARGET_CLASSES:
        return st.sampled_from(TARGET_CLASSES)
    low, high = NUMERIC_RANGES[column]
    return st.floats(min_value=low, max_value=high, allow_nan=False, allow_infinity=False)


def records(*, labelled: bool = True) -> st.SearchStrategy[dict[str, Any]]:
    """Rows that meet the contract; optional columns are sometimes missing."""
    columns = (*FEATURE_COLUMNS, TARGET) if labelled else FEATURE_COLUMNS
    return st.fixed_dictionaries(
        {column: (st.none() | _values(column)) if column in OPTIONAL_COLUMNS else _values(column) for column in columns}
    )


def test_columns_are_derived_from_the_declarations() -> None:
    assert tuple(Features.model_fields) == FEATURE_COLUMNS
    assert set(FEATURE_COLUMNS) == set(NUMERIC_COLUMNS) | set(CATEGORICAL_COLUMNS)
    assert not set(NUMERIC_COLUMNS) & set(CATEGORICAL_COLUMNS)
    assert set(OPTIONAL_COLUMNS) <= set(FEATURE_COLUMNS)
    assert TARGET not in FEATURE_COLUMNS
    assert set(LabelledRecord.model_fields) == {*FEATURE_COLUMNS, TARGET}
    assert all(categories and len(set(categories)) == len(categories) for categories in CATEGORICAL_COLUMNS.values())


def test_the_target_follows_the_task() -> None:
    assert TASK in ("classification", "regression")
    if TASK == "classification":
        assert len(TARGET_CLASSES) >= 2
        assert TARGET not in NUMERIC_RANGES
    else:
        assert TARGET_CLASSES == ()
        assert TARGET in NUMERIC_RANGES


def test_every_numeric_column_has_a_range() -> None:
    assert set(NUMERIC_RANGES) == set(NUMERIC_COLUMNS) | ({TARGET} if not TARGET_CLASSES else set())
    # Both ends are declared: a range is what catches a unit mistake.
    assert all(math.isfinite(low) and math.isfinite(high) and low < high for low, high in NUMERIC_RANGES.values())


@given(records())
@settings(max_examples=60, deadline=None)
def test_every_record_the_contract_declares_is_valid(record: dict[str, Any]) -> None:
    assert find_violations(record) == []
    features = {column: value for column, value in record.items() if column != TARGET}
    assert find_violations(features, labelled=False) == []
    Features.model_validate(features)


# A synthetic contract has one column: `violations` ignores the valid row's other columns.
@pytest.mark.parametrize(("model", "column"), NUMBERS)
def test_a_value_above_or_below_the_range_is_named(
    valid_row: dict[str, Any], model: type[BaseModel], column: str
) -> None:
    low, high = field_rules(model)[column].range
    for value, rule in ((high + abs(high) + 1.0, "less_than_equal"), (low - abs(low) - 1.0, "greater_than_equal")):
        found = violations(model, {**valid_row, column: value})
        assert [(v.column, v.rule) for v in found] == [(column, rule)]


@pytest.mark.parametrize(("model", "column"), TEXTS)
def test_an_undeclared_category_is_named(valid_row: dict[str, Any], model: type[BaseModel], column: str) -> None:
    found = violations(model, {**valid_row, column: "<not a declared value>"})
    assert [(v.column, v.rule) for v in found] == [(column, "literal_error")]


@pytest.mark.parametrize(("model", "column"), NUMBERS)
def test_text_for_a_number_is_named(valid_row: dict[str, Any], model: type[BaseModel], column: str) -> None:
    found = violations(model, {**valid_row, column: "many"})
    assert [(v.column, v.rule) for v in found] == [(column, "float_type")]


@pytest.mark.parametrize("column", [*FEATURE_COLUMNS, TARGET])
@pytest.mark.parametrize("gap", [None, math.nan])
def test_a_gap_is_a_violation_only_in_a_required_column(valid_row: dict[str, Any], column: str, gap: object) -> None:
    violations = find_violations({**valid_row, column: gap})
    if column in OPTIONAL_COLUMNS:
        assert violations == []
    else:
        assert [(v.column, v.rule) for v in violations] == [(column, "missing")]


def test_unlabelled_rows_do_not_need_the_target(valid_row: dict[str, Any]) -> None:
    features = {column: value for column, value in valid_row.items() if column != TARGET}
    assert find_violations(features, labelled=False) == []
    assert [(v.column, v.rule) for v in find_violations(features)] == [(TARGET, "missing")]


def test_the_request_model_rejects_unknown_fields_and_text_for_numbers(valid_row: dict[str, Any]) -> None:
    features = {column: value for column, value in valid_row.items() if column != TARGET}
    with pytest.raises(ValidationError) as unknown:
        Features.model_validate({**features, "<undeclared column>": 1.0})
    assert [(error["loc"], error["type"]) for error in unknown.value.errors()] == [
        (("<undeclared column>",), "extra_forbidden")
    ]
    if NUMERIC_COLUMNS:
        column = NUMERIC_COLUMNS[0]
        with pytest.raises(ValidationError) as text:
            Features.model_validate({**features, column: "1.0"})
        assert [(error["loc"], error["type"]) for error in text.value.errors()] == [((column,), "float_type")]
