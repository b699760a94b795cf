"""Research (Data Scientists): infer a data contract from a CSV — types, ranges, categories, gaps, left-out columns.

Every rule is a named constant here, so a Data Scientist can see (and change) why a column was
kept, typed or left out. The CSV is read as text: the data file written later keeps its cells
exactly, and numbers are parsed only to infer types and ranges.
"""

from __future__ import annotations

import keyword
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import BaseModel
from slugify import slugify

from {{ cookiecutter.package_name }}_core import MISSING_TOKENS

from .errors import ColumnError, SourceError, TargetError

Task = Literal["classification", "regression"]

# A numeric target with at most this many distinct whole numbers is a label (0/1, ratings 1-5).
MAX_NUMERIC_CLASSES = 10
# More distinct labels than this is not a classification target.
MAX_CLASSES = 50
# A text column with more distinct values than this, or than this share of its rows, is free text.
MAX_CATEGORIES = 50
MAX_CATEGORY_SHARE = 0.5
# Rows a column needs before "every value is different" says identifier rather than "small sample".
MIN_ROWS_FOR_IDENTIFIER = 10
# Declared ranges reach this share of the seen span beyond the seen minimum and maximum.
RANGE_MARGIN = 0.5
DATE = re.compile(r"^\s*(\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?|\d{1,2}[/.]\d{1,2}[/.]\d{2,4})\s*$")
IDENTIFIER_NAME = re.compile(r"^(id|uuid|guid|key|index|row|rownames|row_id)$|_id$")
RESERVED = frozenset(dir(BaseModel))
# Where camelCase words meet (`EngineSize`, `airBags`): a word boundary for the snake_case name.
CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@dataclass(frozen=True)
class Column:
    """One contract column: its name in the contract, its header in the CSV, its type and what the data showed."""

    name: str
    header: str
    kind: Literal["numeric", "categorical"]
    optional: bool
    categories: tuple[str, ...] = ()
    low: float = 0.0
    high: float = 0.0
    seen: tuple[float, float] = (0.0, 0.0)


@dataclass(frozen=True)
class LeftOut:
    """A CSV column that is not in the contract, and why (one line each in the report)."""

    header: str
    reason: str


@dataclass(frozen=True)
class Plan:
    """What `make dataset` makes of a CSV: the task, the target, the features, and what it left out."""

    task: Task
    target: Column
    features: tuple[Column, ...]
    left_out: tuple[LeftOut, ...]
    names: dict[str, str] = field(default_factory=dict)  # CSV header -> contract name, every column
    rows_without_target: int = 0


def read_csv(path: Path) -> pd.DataFrame:
    """The CSV as text cells (gaps as ""), or a SourceError saying why it cannot be read."""
    if not path.is_file():
        raise SourceError(None, f"{path} does not exist or is not a file")
    try:
        # utf-8-sig: a spreadsheet's "CSV UTF-8" export starts with a byte-order mark, not part of the first header.
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8-sig")
    except pd.errors.EmptyDataError as error:
        raise SourceError(None, f"{path} is empty: expected a header row and data rows") from error
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise SourceError(None, f"{path} is not a parseable UTF-8 CSV: {error}") from error
    if frame.empty:
        raise SourceError(None, f"{path} has a header but no data rows")
    if len(frame.columns) == 1 and ";" in str(frame.columns[0]):
        raise SourceError(None, f"{path} looks separated by ';': save it with ',' as the separator")
    unnamed = [str(header) for header in frame.columns if str(header).startswith("Unnamed: ")]
    if len(unnamed) > 1 or (unnamed and unnamed[0] != "Unnamed: 0"):
        raise SourceError(unnamed[-1], "a column without a header: every column needs a name")
    return frame.apply(lambda column: column.map(lambda cell: "" if cell in MISSING_TOKENS else cell))


def snake_name(header: str) -> str:
    """A Python identifier for a CSV header: `Min.Price` -> `min_price`, `EngineSize` -> `engine_size`, `2nd` -> `col_2nd`."""
    name = slugify(CAMEL_HUMP.sub("_", header), separator="_", lowercase=True) or "column"
    if name[0].isdigit() or keyword.iskeyword(name) or name in RESERVED or name.startswith("model_"):
        name = f"col_{name}"
    return name


def contract_names(headers: list[str]) -> dict[str, str]:
    """CSV header -> contract name for every column; two headers that map to one name are an error."""
    names: dict[str, str] = {}
    for header in headers:
        name = "row" if header == "Unnamed: 0" else snake_name(header)
        clash = next((other for other, taken in names.items() if taken == name), None)
        if clash is not None:
            raise ColumnError(header, f"maps to {name!r} like column {clash!r}: rename one of them in the CSV")
        names[header] = name
    return names


def _numbers(cells: pd.Series) -> pd.Series | None:
    """The present cells as floats, or None when any present cell is not a finite number."""
    present = cells[cells != ""]
    numbers = pd.to_numeric(present, errors="coerce")
    if numbers.isna().any() or not all(math.isfinite(value) for value in numbers):
        return None
    return numbers.astype(float)


def _rounded_range(low: float, high: float) -> tuple[float, float]:
    """The seen [low, high] widened by RANGE_MARGIN of its span, to round numbers; never below 0 for non-negative data."""
    span = high - low if high > low else max(abs(high), 1.0)
    step = 10.0 ** math.floor(math.log10(span))
    wide_low = math.floor((low - RANGE_MARGIN * span) / step) * step
    wide_high = math.ceil((high + RANGE_MARGIN * span) / step) * step
    if low >= 0 > wide_low:
        wide_low = 0.0
    return float(wide_low), float(wide_high)


def _numeric(name: str, header: str, numbers: pd.Series, optional: bool) -> Column:
    seen = (float(numbers.min()), float(numbers.max()))
    low, high = _rounded_range(*seen)
    return Column(name, header, "numeric", optional, low=low, high=high, seen=seen)


def _categorical(name: str, header: str, cells: pd.Series, optional: bool) -> Column:
    categories = tuple(sorted(set(cells[cells != ""])))
    return Column(name, header, "categorical", optional, categories=categories)


def why_left_out(header: str, name: str, cells: pd.Series) -> str | None:
    """Why a feature column should stay out of the contract (identifier, free text, date, constant), or None."""
    present = cells[cells != ""]
    distinct = present.nunique()
    if present.empty:
        return "empty: no value in any row"
    if distinct == 1:
        return f"constant: every present value is {present.iloc[0]!r}"
    numbers = _numbers(cells)
    all_different = distinct == len(present) and len(present) >= MIN_ROWS_FOR_IDENTIFIER
    if numbers is not None:
        whole = bool((numbers == numbers.round()).all())
        if all_different and whole and (IDENTIFIER_NAME.search(name) or numbers.is_monotonic_increasing):
            return "identifier: a different whole number in every row"
        return None
    if present.map(lambda cell: bool(DATE.match(cell))).all():
        return "date: dates are not features as they are (derive e.g. a weekday or an age as a new column)"
    if all_different:
        return "identifier: a different text in every row"
    if distinct > MAX_CATEGORIES or distinct > MAX_CATEGORY_SHARE * len(present):
        return f"free text: {distinct} distinct values in {len(present)} rows (at most {MAX_CATEGORIES} categories)"
    return None


def default_task(header: str, cells: pd.Series) -> Task:
    """Classification for text or a few whole numbers; regression for any other numbers."""
    numbers = _numbers(cells)
    if numbers is None:
        return "classification"
    few = numbers.nunique() <= MAX_NUMERIC_CLASSES and bool((numbers == numbers.round()).all())
    return "classification" if few else "regression"


def target_column(header: str, name: str, cells: pd.Series, task: Task) -> Column:
    """The target as a contract column, or a TargetError naming what makes it unusable for `task`."""
    present = cells[cells != ""]
    if present.empty:
        raise TargetError(header, "every value is missing")
    if task == "regression":
        numbers = _numbers(cells)
        if numbers is None:
            bad = next(cell for cell in present if _numbers(pd.Series([cell])) is None)
            raise TargetError(header, f"regression needs numbers, found {bad!r} (use TASK=classification for labels)")
        if numbers.nunique() < 2:
            raise TargetError(header, f"constant: every value is {numbers.iloc[0]!r}, nothing to learn")
        return _numeric(name, header, numbers, optional=False)
    counts = present.value_counts()
    if len(counts) < 2:
        raise TargetError(header, f"one class only ({counts.index[0]!r}): classification needs at least two")
    if len(counts) > MAX_CLASSES:
        raise TargetError(
            header, f"{len(counts)} distinct values, more than {MAX_CLASSES} classes (TASK=regression for a number)"
        )
    rare = counts[counts < 2]
    if not rare.empty:
        raise TargetError(
            header, f"class {rare.index[0]!r} has one row: a stratified split needs two per class (merge or drop it)"
        )
    return _categorical(name, header, present, optional=False)


def _choose(frame: pd.DataFrame, names: dict[str, str], options: tuple[str, ...], option: str) -> set[str]:
    """CSV headers named in KEEP or DROP, by header or by contract name; an unknown name is an error."""
    by_name = {name: header for header, name in names.items()}
    chosen: set[str] = set()
    for given in options:
        header = given if given in frame.columns else by_name.get(given)
        if header is None:
            raise ColumnError(given, f"named in {option} but not a column of the CSV")
        chosen.add(header)
    return chosen


def plan(
    frame: pd.DataFrame,
    target: str,
    *,
    task: Task | None = None,
    keep: tuple[str, ...] = (),
    drop: tuple[str, ...] = (),
) -> Plan:
    """The contract `frame` (text cells, gaps as "") gives with `target`; raises a DatasetError subclass."""
    names = contract_names([str(header) for header in frame.columns])
    by_name = {name: header for header, name in names.items()}
    header = target if target in frame.columns else by_name.get(target)
    if header is None:
        raise TargetError(target, f"not a column of the CSV (columns: {', '.join(map(str, frame.columns))})")
    kept, dropped = _choose(frame, names, keep, "KEEP"), _choose(frame, names, drop, "DROP")
    if header in kept | dropped:
        raise TargetError(header, "the target is always in the contract: leave it out of KEEP and DROP")
    chosen_task: Task = task or default_task(header, frame[header])
    labelled = frame[frame[header] != ""]
    target_col = target_column(header, names[header], frame[header], chosen_task)
    features: list[Column] = []
    left_out: list[LeftOut] = []
    for column in (str(column) for column in frame.columns if column != header):
        cells = labelled[column]
        reason = "DROP" if column in dropped else None if column in kept else why_left_out(column, names[column], cells)
        if reason is not None:
            left_out.append(LeftOut(column, reason))
            continue
        optional = bool((cells == "").any())
        numbers = _numbers(cells)
        if numbers is not None and not numbers.empty:
            features.append(_numeric(names[column], column, numbers, optional))
        elif not (cells != "").any():
            raise ColumnError(column, "named in KEEP but has no value in any labelled row")
        else:
            features.append(_categorical(names[column], column, cells, optional))
    if not features:
        raise ColumnError(None, "no feature column is left: KEEP one, or check the CSV's columns")
    return Plan(
        task=chosen_task,
        target=target_col,
        features=tuple(features),
        left_out=tuple(left_out),
        names=names,
        rows_without_target=len(frame) - len(labelled),
    )
