"""Research (Data Scientists): infer a data contract from a CSV — types, ranges, categories, gaps, left-out columns.

Every rule is a named constant here, so a Data Scientist can see (and change) why a column was kept,
typed or left out. Statistics come from every labelled row (survey.py); the pattern rules read its pool.
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

from {{ cookiecutter.package_name }}_core import MODEL_OUTPUTS

from .errors import ColumnError, SourceError, TargetError
from .survey import LIMIT, ColumnStats, Survey, read_chunks, read_header, survey

Task = Literal["classification", "regression"]

# A numeric target with at most this many distinct whole numbers is a label (0/1, ratings 1-5).
MAX_NUMERIC_CLASSES = 10
# More distinct labels than this is not a classification target (the survey counts exactly up to LIMIT).
MAX_CLASSES = LIMIT
# A text column with more distinct values than this, or than this share of its rows, is free text.
MAX_CATEGORIES = LIMIT
MAX_CATEGORY_SHARE = 0.5
# A numeric feature of at most this many distinct whole numbers may be codes (sex 1/2): the report says so.
MAX_CODES = 10
# Rows a column needs before "every value is different" says identifier rather than "small sample".
MIN_ROWS_FOR_IDENTIFIER = 10
# Observed bounds: the seen [min, max] widened on each side by this share of its span, and at least by this
# share of its largest magnitude (a year 2007-2009 may be 2010 tomorrow), to round numbers; data that
# never went below 0 keeps 0 as its lower bound.
RANGE_MARGIN = 1.0
MAGNITUDE_MARGIN = 0.1
_TIME = r"\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(\s?[ap]\.?m\.?)?"
_ZONE = r"(\s?(z|utc|[+-]\d{2}:?\d{2}))?"
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_DAY = (
    r"\d{4}[-/.]\d{1,2}([-/.]\d{1,2})?"  # 2012-01-31, 2012/01/31, 2012.01.31, 2012-01
    r"|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}"  # 31/01/2012, 01/31/12, 31.01.2012, 31-01-2012
    r"|\d\d?[- ]" + _MONTH + r"[- ,]*\d\d\d?\d?"  # 31 Jan 2012, 31-Jan-12
    r"|" + _MONTH + r" \d\d?,? \d\d\d\d"  # January 31, 2012
)
# A date, or a date and time (ISO's T, a zone); a time of day alone (13:30, 1:30 pm, 13:30:05.25).
DATE = re.compile(rf"^\s*({_DAY})([ t]{_TIME}{_ZONE})?\s*$", re.IGNORECASE)
TIME_OF_DAY = re.compile(rf"^\s*{_TIME}\s*$", re.IGNORECASE)
IDENTIFIER_NAME = re.compile(r"^(id|uuid|guid|key|index|row|rownames|row_id)$|_id$")
# Names a feature cannot take: pydantic model attributes, and the exported model's output tensors.
RESERVED = frozenset(dir(BaseModel)) | {name for names in MODEL_OUTPUTS.values() for name in names}
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
    # "observed": `low`/`high` widened from the seen values by make dataset; "physical": written by a person.
    bounds: Literal["observed", "physical"] = "observed"


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
    # Numeric features of a few whole numbers (contract name -> the values): maybe codes, not amounts.
    codes: dict[str, tuple[str, ...]] = field(default_factory=dict)


def read_csv(path: Path) -> pd.DataFrame:
    """A whole (small) CSV as text cells, gaps as "": for tests and notebooks. `make dataset` streams instead."""
    headers = read_header(path)
    chunks = list(read_chunks(path, headers))
    if not chunks:
        raise SourceError(None, f"{path} has a header but no data rows")
    return pd.concat(chunks)


def snake_name(header: str) -> str:
    """A Python identifier for a CSV header: `Min.Price` -> `min_price`, `EngineSize` -> `engine_size`, `2nd` -> `col_2nd`."""
    name = slugify(CAMEL_HUMP.sub("_", header), separator="_", lowercase=True) or "column"
    if name[0].isdigit() or keyword.iskeyword(name) or name in RESERVED or name.startswith("model_"):
        name = f"col_{name}"
    return name


def contract_names(headers: list[str]) -> dict[str, str]:
    """CSV header -> contract name for every column; two headers that map to one name are an error naming both."""
    names: dict[str, str] = {}
    for header in headers:
        name = snake_name(header)
        clash = next((other for other, taken in names.items() if taken == name), None)
        if clash is not None:
            raise ColumnError(header, f"maps to {name!r} like column {clash!r}: rename one of them in the CSV")
        names[header] = name
    return names


def _header(headers: list[str], names: dict[str, str], given: str) -> str | None:
    """The CSV header `given` names, by header or by contract name."""
    return given if given in headers else next((header for header, name in names.items() if name == given), None)


def target_header(headers: list[str], target: str) -> str:
    """The CSV header TARGET names (by header or by contract name), or a TargetError listing the columns."""
    header = _header(headers, contract_names(headers), target)
    if header is None:
        raise TargetError(target, f"not a column of the CSV (columns: {', '.join(headers)})")
    return header


def observed_bounds(low: float, high: float) -> tuple[float, float]:
    """The seen [low, high] widened by RANGE_MARGIN of its span (at least MAGNITUDE_MARGIN of its magnitude),
    rounded outward to the margin's order of magnitude (`0.3`, not `0.30000000000000004`); >= 0 if the data is."""
    margin = max(RANGE_MARGIN * (high - low), MAGNITUDE_MARGIN * max(abs(low), abs(high))) or 1.0
    digits = -math.floor(math.log10(margin))
    step = 10.0**-digits
    wide_low = math.floor(round((low - margin) / step, 6)) * step
    wide_high = math.ceil(round((high + margin) / step, 6)) * step
    if low >= 0 > wide_low:
        wide_low = 0.0
    return round(wide_low, max(digits, 0)), round(wide_high, max(digits, 0))


def _numeric(name: str, header: str, stats: ColumnStats, *, optional: bool) -> Column:
    low, high = observed_bounds(stats.low, stats.high)
    return Column(name, header, "numeric", optional, low=low, high=high, seen=(stats.low, stats.high))


def _categorical(name: str, header: str, stats: ColumnStats, *, optional: bool, why: str) -> Column:
    if stats.counts is None:
        raise ColumnError(header, f"{why}, but it has more than {MAX_CATEGORIES} distinct values: too many categories")
    return Column(name, header, "categorical", optional, categories=tuple(sorted(stats.counts)))


def _all_different(stats: ColumnStats, pool: pd.Series) -> bool:
    """Every present value differs: exact while the survey counted them, else judged on the pool."""
    if stats.counts is not None:
        return len(stats.counts) == stats.present >= MIN_ROWS_FOR_IDENTIFIER
    present = pool[pool != ""]
    return len(present) >= MIN_ROWS_FOR_IDENTIFIER and present.nunique() == len(present)


def why_left_out(header: str, name: str, stats: ColumnStats, pool: pd.Series) -> str | None:
    """Why a feature column should stay out of the contract (identifier, free text, date, time, constant), or None."""
    if stats.present == 0:
        return "empty: no value in any row"
    if stats.counts is not None and len(stats.counts) == 1:
        return f"constant: every present value is {next(iter(stats.counts))!r}"
    all_different = _all_different(stats, pool)
    if stats.numeric:
        if all_different and stats.whole and (IDENTIFIER_NAME.search(name) or stats.increasing):
            return "identifier: a different whole number in every row"
        return None
    present = pool[pool != ""]
    if present.map(lambda cell: bool(TIME_OF_DAY.match(cell))).all():
        return "time of day: not a feature as it is (derive e.g. the hour or a part of the day as a new column)"
    if present.map(lambda cell: bool(DATE.match(cell))).all():
        return "date: dates are not features as they are (derive e.g. a weekday or an age as a new column)"
    if all_different:
        return "identifier: a different text in every row"
    if stats.counts is None:
        return f"free text: more than {MAX_CATEGORIES} distinct values in {stats.present} rows"
    if len(stats.counts) > MAX_CATEGORY_SHARE * stats.present:
        return f"free text: {len(stats.counts)} distinct values in {stats.present} rows (too many for categories)"
    return None


def default_task(stats: ColumnStats) -> Task:
    """Classification for text or a few whole numbers; regression for any other numbers."""
    if not stats.numeric:
        return "classification"
    few = stats.counts is not None and len(stats.counts) <= MAX_NUMERIC_CLASSES and stats.whole
    return "classification" if few else "regression"


def target_column(header: str, name: str, stats: ColumnStats, task: Task) -> Column:
    """The target as a contract column, or a TargetError naming what makes it unusable for `task`."""
    if stats.present == 0:
        raise TargetError(header, "every value is missing")
    counts = stats.counts
    if task == "regression":
        if not stats.numeric:
            raise TargetError(
                header, f"regression needs numbers, found {stats.not_a_number!r} (use TASK=classification for labels)"
            )
        if counts is not None and len(counts) < 2:
            raise TargetError(header, f"constant: every value is {next(iter(counts))!r}, nothing to learn")
        return _numeric(name, header, stats, optional=False)
    if counts is None:
        raise TargetError(
            header, f"more than {MAX_CLASSES} distinct values: too many classes (TASK=regression for a number)"
        )
    if len(counts) < 2:
        raise TargetError(header, f"one class only ({next(iter(counts))!r}): classification needs at least two")
    rare = sorted(label for label, count in counts.items() if count < 2)
    if rare:
        raise TargetError(
            header, f"class {rare[0]!r} has one row: a stratified split needs two per class (merge or drop it)"
        )
    return _categorical(name, header, stats, optional=False, why="the target")


def _choose(headers: list[str], names: dict[str, str], options: tuple[str, ...], option: str) -> set[str]:
    """CSV headers named in KEEP, DROP or CATEGORICAL, by header or by contract name; an unknown name is an error."""
    chosen: set[str] = set()
    for given in options:
        header = _header(headers, names, given)
        if header is None:
            raise ColumnError(given, f"named in {option} but not a column of the CSV")
        chosen.add(header)
    return chosen


def _codes(stats: ColumnStats) -> tuple[str, ...]:
    """A numeric column's values when they are a few whole numbers (maybe codes), else ()."""
    counts = stats.counts
    if not stats.whole or counts is None or not 2 <= len(counts) <= MAX_CODES:
        return ()
    return tuple(sorted(counts, key=float))


def infer_plan(
    found: Survey,
    target: str,
    *,
    task: Task | None = None,
    keep: tuple[str, ...] = (),
    drop: tuple[str, ...] = (),
    categorical: tuple[str, ...] = (),
) -> Plan:
    """The contract a surveyed CSV gives with `target`; raises a DatasetError subclass saying why not."""
    headers = found.headers
    names = contract_names(headers)
    header = target_header(headers, target)
    kept, dropped = _choose(headers, names, keep, "KEEP"), _choose(headers, names, drop, "DROP")
    as_categories = _choose(headers, names, categorical, "CATEGORICAL")
    if header in kept | dropped | as_categories:
        raise TargetError(
            header,
            "the target is always in the contract, its kind set by TASK: leave it out of KEEP, DROP, CATEGORICAL",
        )
    both = sorted(as_categories & dropped)
    if both:
        raise ColumnError(both[0], "named in both CATEGORICAL and DROP: choose one")
    stats, pool = found.columns, found.pool
    chosen_task: Task = task or default_task(stats[header])
    target_col = target_column(header, names[header], stats[header], chosen_task)
    features: list[Column] = []
    left_out: list[LeftOut] = []
    codes: dict[str, tuple[str, ...]] = {}
    for column in (column for column in headers if column != header):
        numbers, cells = stats[column], pool[column]
        forced = column in kept | as_categories
        reason = (
            "DROP" if column in dropped else None if forced else why_left_out(column, names[column], numbers, cells)
        )
        if reason is not None:
            left_out.append(LeftOut(column, reason))
            continue
        optional = numbers.missing > 0
        if numbers.present == 0:
            raise ColumnError(column, "named in KEEP or CATEGORICAL but has no value in any labelled row")
        if column in as_categories:
            features.append(_categorical(names[column], column, numbers, optional=optional, why="named in CATEGORICAL"))
        elif numbers.numeric:
            features.append(_numeric(names[column], column, numbers, optional=optional))
            codes.update({names[column]: _codes(numbers)} if _codes(numbers) else {})
        else:
            features.append(_categorical(names[column], column, numbers, optional=optional, why="named in KEEP"))
    if not features:
        raise ColumnError(None, "no feature column is left: KEEP one, or check the CSV's columns")
    return Plan(
        task=chosen_task,
        target=target_col,
        features=tuple(features),
        left_out=tuple(left_out),
        names=names,
        rows_without_target=found.rows_without_target,
        codes=codes,
    )


def survey_csv(path: Path, target: str) -> Survey:
    """Read `path` once, in bounded chunks, for what `plan` needs; a SourceError or TargetError if it cannot."""
    headers = read_header(path)
    found = survey(read_chunks(path, headers), headers, target_header(headers, target))
    if found.rows == 0:
        raise SourceError(None, f"{path} has a header but no data rows")
    return found


def survey_frame(frame: pd.DataFrame, target: str) -> Survey:
    """A survey of an in-memory frame of text cells (gaps as ""): for tests and notebooks."""
    headers = [str(column) for column in frame.columns]
    return survey([frame.set_axis(headers, axis=1)], headers, target_header(headers, target))
