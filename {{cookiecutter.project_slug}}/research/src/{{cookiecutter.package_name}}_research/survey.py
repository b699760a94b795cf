"""Research (Data Scientists): read a CSV of any size in bounded memory — its header, chunks and statistics.

Per column a few counts, the numbers' extent and at most LIMIT distinct values are kept, plus a seeded
pool of labelled rows (holding the first rows of each value and gap, so no rare class is missed).
"""

from __future__ import annotations

import csv
import math
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from {{ cookiecutter.package_name }}_core import MISSING_TOKENS

from .errors import ColumnError, SourceError

# Cells per chunk read at a time (rows = this / columns): bounds the memory of both passes.
CHUNK_CELLS = 1_000_000
# The pool: a seeded uniform sample of at most this many labelled rows, and this many cells.
POOL_ROWS = 50_000
POOL_CELLS = 2_000_000
# Distinct values counted per column, exactly, before the column counts as "more than LIMIT".
LIMIT = 50
# The seed of the pool's draw: the same file gives the same pool, so the same sample and contract.
SEED = 0
# Rows of each target value the pool holds at least, where the data has them.
LEAST_PER_CLASS = 2
# An R export's row-number column has an empty header; it gets this name (and is left out as an identifier).
ROW_NUMBERS = "row"
_TOKENS = sorted(token for token in MISSING_TOKENS if token)


def read_header(path: Path) -> list[str]:
    """The header row as written (pandas would rename a second `alcohol` to `alcohol.1`); a SourceError or
    ColumnError for an unreadable file, a repeated header, or an empty one (other than an R export's first)."""
    if not path.is_file():
        raise SourceError(None, f"{path} does not exist or is not a file")
    try:
        # utf-8-sig: a spreadsheet's "CSV UTF-8" export starts with a byte-order mark, not part of the first header.
        with path.open(encoding="utf-8-sig", newline="") as file:
            header = next(csv.reader(file), None)
    except (UnicodeDecodeError, csv.Error) as error:
        raise SourceError(None, f"{path} is not a parseable UTF-8 CSV: {error}") from error
    if not header or header == [""]:
        raise SourceError(None, f"{path} is empty: expected a header row and data rows")
    if len(header) == 1 and ";" in header[0]:
        raise SourceError(None, f"{path} looks separated by ';': save it with ',' as the separator")
    seen: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        if not name.strip() and position > 1:
            raise SourceError(f"column {position}", "a column without a header: every column needs a name")
        if name in seen:
            raise ColumnError(
                name, f"two columns have this header (columns {seen[name]} and {position}): rename one in the CSV"
            )
        seen[name] = position
    return [name if name.strip() else ROW_NUMBERS for name in header]


def read_chunks(path: Path, headers: list[str], *, cells: int | None = None) -> Iterator[pd.DataFrame]:
    """The data rows as text cells (MISSING_TOKENS as ""), a bounded chunk at a time, indexed by file position."""
    rows = max((cells or CHUNK_CELLS) // max(len(headers), 1), 1)
    try:
        # index_col=False: a row with more cells than headers is an error (a ParserWarning, made one here),
        # never a silent index column.
        reader = pd.read_csv(
            path,
            header=0,
            names=headers,
            index_col=False,
            dtype=str,
            keep_default_na=False,
            na_values=_TOKENS,
            encoding="utf-8-sig",
            chunksize=rows,
        )
        start = 0
        with reader, warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            for chunk in reader:
                chunk.index = pd.RangeIndex(start, start + len(chunk))
                start += len(chunk)
                yield chunk.fillna("")
    except (pd.errors.ParserError, pd.errors.ParserWarning, UnicodeDecodeError, ValueError) as error:
        raise SourceError(None, f"{path} is not a parseable UTF-8 CSV: {error}") from error


@dataclass
class ColumnStats:
    """What one column's labelled rows showed, gathered chunk by chunk."""

    present: int = 0
    missing: int = 0
    numeric: bool = True  # every present cell so far is a finite number
    whole: bool = True  # ... and a whole one
    increasing: bool = True  # ... and each larger than the one before
    low: float = math.inf
    high: float = -math.inf
    last: float = -math.inf
    not_a_number: str | None = None  # the first present cell that is not a finite number
    counts: dict[str, int] | None = field(default_factory=dict)  # distinct cells (None: more than LIMIT)

    def add(self, cells: pd.Series) -> None:
        present = cells[cells != ""]
        self.missing += len(cells) - len(present)
        self.present += len(present)
        if present.empty:
            return
        if self.counts is not None:
            for value, count in present.value_counts(sort=False).items():
                self.counts[str(value)] = self.counts.get(str(value), 0) + int(count)
            if len(self.counts) > LIMIT:
                self.counts = None
        if self.numeric:
            self._add_numbers(present)

    def _add_numbers(self, present: pd.Series) -> None:
        try:  # the text dtype's own cast is fast, and refuses anything that is not a number
            numbers = present.astype(float).to_numpy(dtype=float)
        except (TypeError, ValueError, ArithmeticError):  # pyarrow's ArrowInvalid is a ValueError
            numbers = pd.to_numeric(present, errors="coerce").to_numpy(dtype=float)
        finite = np.isfinite(numbers)
        if not finite.all():
            self.numeric = False
            self.not_a_number = str(present.iloc[int(np.argmin(finite))])
            return
        self.low, self.high = min(self.low, float(numbers.min())), max(self.high, float(numbers.max()))
        self.whole = self.whole and bool((numbers == np.round(numbers)).all())
        steps = np.diff(numbers, prepend=self.last)
        self.increasing = self.increasing and bool((steps > 0).all())
        self.last = float(numbers[-1])


@dataclass
class Survey:
    """A CSV's statistics (labelled rows only), its pool of labelled rows, and its row counts."""

    headers: list[str]
    target: str
    columns: dict[str, ColumnStats]
    pool: pd.DataFrame
    rows: int = 0
    rows_without_target: int = 0


def survey(chunks: Iterable[pd.DataFrame], headers: list[str], target: str, *, seed: int = SEED) -> Survey:
    """Gather every column's statistics and the pool over `chunks` (text cells, gaps as "")."""
    columns = {header: ColumnStats() for header in headers}
    result = Survey(headers, target, columns, pd.DataFrame(columns=headers, dtype=str))
    size, random = max(min(POOL_ROWS, POOL_CELLS // max(len(headers), 1)), 1), np.random.default_rng(seed)
    drawn: pd.DataFrame = result.pool.assign(_key=pd.Series(dtype=float))
    shown: dict[tuple[str, str], int] = {}
    covering: list[pd.DataFrame] = []
    for chunk in chunks:
        result.rows += len(chunk)
        labelled = chunk[chunk[target] != ""]
        result.rows_without_target += len(chunk) - len(labelled)
        for header in headers:
            columns[header].add(labelled[header])
        covering.append(_first_showing(labelled, columns, target, shown))
        keys = random.random(len(labelled))
        if len(drawn) >= size:  # full: only rows with a smaller key than the largest kept can enter
            below = keys < drawn["_key"].max()
            labelled, keys = labelled[below], keys[below]
        if len(labelled):
            drawn = pd.concat([drawn, labelled.assign(_key=keys)])
            drawn = drawn.nsmallest(size, "_key") if len(drawn) > size else drawn
    pool = pd.concat([drawn.drop(columns="_key"), *covering])
    result.pool = pool[~pool.index.duplicated()].sort_index()
    return result


def _first_showing(
    labelled: pd.DataFrame, columns: dict[str, ColumnStats], target: str, shown: dict[tuple[str, str], int]
) -> pd.DataFrame:
    """The chunk's rows that are among the first to show a value (of a column with at most LIMIT of them) or a
    gap: one row each, and LEAST_PER_CLASS for a target value (a stratified split needs two per class)."""
    rows: set[int] = set()
    for header, stats in columns.items():
        cells = labelled[header]
        wanted = LEAST_PER_CLASS if header == target else 1
        values = ([] if stats.counts is None else list(stats.counts)) + ([""] if stats.missing else [])
        if all(shown.get((header, value), 0) >= wanted for value in values):
            continue  # every value (and gap) this column has shown so far already has its rows
        if stats.counts is None:
            cells = cells[cells == ""]
        candidates = cells[cells.groupby(cells, sort=False).cumcount() < wanted]
        for index, value in candidates.items():
            if shown.get((header, value), 0) < wanted:
                shown[(header, value)] = shown.get((header, value), 0) + 1
                rows.add(int(index))
    return labelled.loc[sorted(rows)]
