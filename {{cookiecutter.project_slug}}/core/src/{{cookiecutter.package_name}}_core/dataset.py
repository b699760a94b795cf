"""Core (Data Scientists + ML Engineers): the contract's data file and its sample in git, readable without pandas.

Both are named by schema.py, in this package's data/ folder. `DATA_FILE` is the data the pipeline
trains on: the bundled example, or after `make dataset` a team's CSV, tracked by DVC and so absent
from a fresh clone (CI) until `dvc pull`. `SAMPLE_FILE` is a few hundred of its rows committed to
git: what every test reads, so `make check` passes in any checkout. The bundled example is small and
in git: it is its own sample.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from .contract import RULES
from .schema import DATA_FILE, SAMPLE_FILE


def data_path() -> Path:
    """Path of the contract's data file (a CSV with a header row, gaps as MISSING_TOKENS); maybe not pulled yet."""
    return Path(__file__).with_name("data") / DATA_FILE


def sample_path() -> Path:
    """Path of the data file's sample in git (the same columns and cells, at most a few hundred rows)."""
    return Path(__file__).with_name("data") / SAMPLE_FILE


def iter_records(*, sample: bool = False) -> Iterator[dict[str, str | float | None]]:
    """Rows of the data file (or, `sample=True`, of its sample in git) as dicts: numbers as floats, categories as
    text, gaps as None. Tests read the sample: it is in every checkout, the data file only after `dvc pull`."""
    with (sample_path() if sample else data_path()).open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            yield {column: RULES[column].parse(value) if column in RULES else value for column, value in row.items()}
