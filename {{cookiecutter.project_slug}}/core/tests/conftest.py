"""Core tests: a valid row of the data's sample in git, so no test names a value of the example."""

from __future__ import annotations

from typing import Any

import pytest

from {{ cookiecutter.package_name }}_core import FEATURE_COLUMNS, TARGET, find_violations, iter_records


@pytest.fixture(scope="session")
def valid_row() -> dict[str, Any]:
    """The contract's columns of the first row of the sample that meets the contract."""
    row = next(row for row in iter_records(sample=True) if not find_violations(row))
    return {column: row[column] for column in (*FEATURE_COLUMNS, TARGET)}
