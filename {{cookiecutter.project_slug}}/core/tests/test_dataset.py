"""Core: the data's sample is in git where the contract says, holds every contract column and mostly meets the contract.

The sample is what every test reads (the data file itself is DVC-tracked: a fresh clone has it only after
`dvc pull`). Where the data file is present, the sample's rows are rows of it.
"""

import csv
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }}_core import (
    FEATURE_COLUMNS,
    TARGET,
    LabelledRecord,
    data_path,
    find_violations,
    iter_records,
    sample_path,
)

PARAMS = Path(__file__).parents[2] / "params.yaml"


def test_the_sample_is_where_the_contract_says_next_to_the_data() -> None:
    assert sample_path().is_file()
    assert sample_path().parent == data_path().parent


def test_every_contract_column_is_in_the_sample() -> None:
    first = next(iter_records(sample=True))
    assert set(FEATURE_COLUMNS) | {TARGET} <= set(first)


def test_the_sample_passes_validation_and_its_gaps_are_reported_by_column() -> None:
    rows = list(iter_records(sample=True))
    violations = [violation for row in rows for violation in find_violations(row)]
    invalid = sum(bool(find_violations(row)) for row in rows)
    assert rows
    # The pipeline's validate stage fails above this fraction: the data must pass it.
    assert invalid / len(rows) <= yaml.safe_load(PARAMS.read_text())["validate"]["max_invalid_fraction"]
    assert {violation.column for violation in violations} <= {*FEATURE_COLUMNS, TARGET}


def _contract_rows(path: Path) -> list[tuple[str, ...]]:
    """The contract's cells of every row of a CSV, as text."""
    with path.open(newline="", encoding="utf-8") as handle:
        return [tuple(row[name] for name in LabelledRecord.model_fields) for row in csv.DictReader(handle)]


@pytest.mark.skipif(not data_path().is_file(), reason="the data file is DVC-tracked and not pulled here (dvc pull)")
def test_the_sample_rows_are_rows_of_the_data() -> None:
    data = _contract_rows(data_path())
    sample = _contract_rows(sample_path())
    assert 0 < len(sample) <= len(data)
    assert set(sample) <= set(data)
