"""Core: the contract's data file is present, holds every contract column and mostly meets the contract."""

from pathlib import Path

import yaml

from {{ cookiecutter.package_name }}_core import (
    FEATURE_COLUMNS,
    TARGET,
    data_path,
    find_violations,
    iter_records,
)

PARAMS = Path(__file__).parents[2] / "params.yaml"


def test_the_data_file_is_where_the_contract_says() -> None:
    assert data_path().is_file()


def test_every_contract_column_is_in_the_data() -> None:
    first = next(iter_records())
    assert set(FEATURE_COLUMNS) | {TARGET} <= set(first)


def test_the_data_passes_validation_and_its_gaps_are_reported_by_column() -> None:
    rows = list(iter_records())
    violations = [violation for row in rows for violation in find_violations(row)]
    invalid = sum(bool(find_violations(row)) for row in rows)
    assert rows
    # The pipeline's validate stage fails above this fraction: the data must pass it.
    assert invalid / len(rows) <= yaml.safe_load(PARAMS.read_text())["validate"]["max_invalid_fraction"]
    assert {violation.column for violation in violations} <= {*FEATURE_COLUMNS, TARGET}
