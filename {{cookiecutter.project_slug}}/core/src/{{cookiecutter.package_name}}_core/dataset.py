"""Core (Data Scientists + ML Engineers): the data file the contract describes, readable without pandas.

The file is named by schema.py (`DATA_FILE`, in this package's data/ folder): the bundled example
until `make dataset` points the contract at a team's own CSV.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from .contract import CATEGORICAL_COLUMNS, TARGET, TARGET_CLASSES
from .schema import DATA_FILE

# Cells that mean "no value": R's NA (the bundled example) and the empty cell `make dataset` writes.
MISSING = frozenset({"NA", ""})


def data_path() -> Path:
    """Path of the contract's data file (a CSV with a header row, gaps as empty cells or NA)."""
    return Path(__file__).with_name("data") / DATA_FILE


# Columns whose values stay text even when they look like numbers (a category "4" is not the number 4).
_TEXT_COLUMNS = frozenset(CATEGORICAL_COLUMNS) | ({TARGET} if TARGET_CLASSES else set())


def _parse(column: str, value: str) -> str | float | None:
    if value in MISSING:
        return None
    if column in _TEXT_COLUMNS:
        return value
    try:
        return float(value)
    except ValueError:
        return value


def iter_records() -> Iterator[dict[str, str | float | None]]:
    """Rows of the data file as dicts: numbers as floats, categories as text, gaps as None."""
    with data_path().open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            yield {column: _parse(column, value) for column, value in row.items()}


# The names before issue 10, kept while the other areas move to the neutral ones above.
example_data_path = data_path
iter_example_records = iter_records
