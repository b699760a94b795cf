"""Core: the data contract accepts good rows and names the column and rule of every bad one."""

import math

import pytest
from pydantic import ValidationError

from {{ cookiecutter.package_name }}_core import (
    CATEGORICAL_COLUMNS,
    FEATURE_COLUMNS,
    NUMERIC_COLUMNS,
    TARGET_CLASSES,
    Features,
    find_violations,
)

GOOD = {
    "island": "Biscoe",
    "bill_length_mm": 45.2,
    "bill_depth_mm": 14.8,
    "flipper_length_mm": 212.0,
    "body_mass_g": 5200.0,
    "sex": "female",
    "species": "Gentoo",
}


def test_columns_are_derived_from_the_model() -> None:
    assert set(FEATURE_COLUMNS) == set(NUMERIC_COLUMNS) | set(CATEGORICAL_COLUMNS)
    assert CATEGORICAL_COLUMNS["island"] == ("Biscoe", "Dream", "Torgersen")
    assert TARGET_CLASSES == ("Adelie", "Chinstrap", "Gentoo")


def test_a_good_row_has_no_violations() -> None:
    assert find_violations(GOOD) == []


@pytest.mark.parametrize(
    ("column", "value", "rule"),
    [
        ("bill_length_mm", 7.1, "greater_than_equal"),
        ("body_mass_g", 52000.0, "less_than_equal"),
        ("island", "Atlantis", "literal_error"),
        ("sex", math.nan, "missing"),
        ("species", None, "missing"),
        ("flipper_length_mm", "long", "float_type"),
    ],
)
def test_each_bad_value_is_named(column: str, value: object, rule: str) -> None:
    violations = find_violations({**GOOD, column: value})
    assert [(v.column, v.rule) for v in violations] == [(column, rule)]


def test_unlabelled_rows_do_not_need_the_target() -> None:
    features = {key: value for key, value in GOOD.items() if key != "species"}
    assert find_violations(features, labelled=False) == []


def test_the_request_model_rejects_unknown_fields_and_strings_for_numbers() -> None:
    features = {key: value for key, value in GOOD.items() if key != "species"}
    with pytest.raises(ValidationError):
        Features.model_validate({**features, "colour": "black"})
    with pytest.raises(ValidationError):
        Features.model_validate({**features, "body_mass_g": "5200"})
