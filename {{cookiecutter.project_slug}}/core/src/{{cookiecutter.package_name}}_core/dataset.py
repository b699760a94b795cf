"""Core (Data Scientists + ML Engineers): the bundled example data, readable without pandas.

The Palmer penguins data (Gorman, Williams & Fraser 2014, CC0; as packaged by the
palmerpenguins project) ships inside this package so that every area works offline.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

MISSING = "NA"


def example_data_path() -> Path:
    """Path of the bundled CSV (344 rows, mixed numeric and categorical columns, a few gaps)."""
    return Path(__file__).with_name("data") / "penguins.csv"


def _parse(value: str) -> str | float | None:
    if value == MISSING or value == "":
        return None
    try:
        return float(value)
    except ValueError:
        return value


def iter_example_records() -> Iterator[dict[str, str | float | None]]:
    """Rows of the example data as dicts: numbers as floats, gaps as None."""
    with example_data_path().open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            yield {column: _parse(value) for column, value in row.items()}
