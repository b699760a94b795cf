"""Pipelines (MLOps): validate — check core's contract column by column; quarantine bad rows with their reasons."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from types import UnionType
from typing import Any, Union, get_args, get_origin

import annotated_types
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pydantic import BaseModel, TypeAdapter, ValidationError, create_model

from {{ cookiecutter.package_name }}_core import LabelledRecord, Violation, find_violations

from .errors import StageFailed
from .files import BATCH_ROWS, write_batches, write_json
from .params import Params

# Bound constraints a column-wise comparison can check: constraint -> (attribute, "value is bad" comparison).
BOUNDS: dict[type, tuple[str, Callable[..., Any]]] = {
    annotated_types.Ge: ("ge", pc.less),
    annotated_types.Gt: ("gt", pc.less_equal),
    annotated_types.Le: ("le", pc.greater),
    annotated_types.Lt: ("lt", pc.greater_equal),
}
# pydantic-core schema types that call a Python function while validating (pydantic_core.core_schema).
VALIDATOR_FUNCTIONS = frozenset({"function-before", "function-after", "function-wrap", "function-plain"})
# Distinct bad values whose explanation is remembered (they repeat: gaps, a misspelt category).
EXPLAINED_VALUES = 1 << 16


class ContractError(StageFailed):
    """Too many rows break the data contract to train on this data."""


def _single_field_model(name: str) -> type[BaseModel]:
    """The contract reduced to one field, with the contract's config (strict, no inf/NaN): the same errors."""
    info = LabelledRecord.model_fields[name]
    model: type[BaseModel] = create_model(  # type: ignore[call-overload]
        f"{LabelledRecord.__name__}_{name}", __config__=LabelledRecord.model_config, **{name: (info.annotation, info)}
    )
    return model


def explain(name: str, value: Any) -> tuple[Violation, ...]:
    """What the contract says about one value of one column, in the words of core's find_violations()."""
    # The repr is part of the key: -0.0 and 0.0 are equal (and 1 and 1.0), but a reason quotes the value as given.
    return _explain(name, value, repr(value))


@lru_cache(maxsize=EXPLAINED_VALUES, typed=True)
def _explain(name: str, value: Any, _key: str) -> tuple[Violation, ...]:
    if isinstance(value, float) and math.isnan(value):
        value = None  # a CSV gap is NaN; the contract calls it a missing value
    try:
        _field_models()[name].model_validate({name: value})
    except ValidationError as error:
        return tuple(
            Violation(
                column=".".join(str(part) for part in issue["loc"]),
                rule="missing" if issue["input"] is None else issue["type"],
                value=issue["input"],
                message="missing value" if issue["input"] is None else issue["msg"],
            )
            for issue in error.errors(include_url=False)
        )
    return ()


@cache
def _field_models() -> dict[str, type[BaseModel]]:
    return {name: _single_field_model(name) for name in LabelledRecord.model_fields}


def clear_caches() -> None:
    """Forget the per-field models and explanations derived from the contract (when it changes, as in tests)."""
    _explain.cache_clear()
    _field_models.cache_clear()


@dataclass(frozen=True)
class ColumnRule:
    """One contract field as column-wise checks: which values are bad, found without a Python object per row."""

    name: str
    number: type | None  # float or int: bounds are compared column-wise; None: check the distinct values
    text: bool  # a plain string: only a gap can be bad
    bounds: tuple[tuple[Callable[..., Any], float], ...] = field(default=())

    def bad(self, column: pa.ChunkedArray | pa.Array) -> np.ndarray:
        """A boolean per value: True where the contract rejects it."""
        kind = column.type
        integers = self.number is not None and pa.types.is_integer(kind)
        if integers or (self.number is float and pa.types.is_floating(kind)):
            mask = self._bad_numbers(column)
        elif self.text and (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
            mask = self._gaps(column)
        else:
            mask = self._bad_distinct_values(column)
        return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)

    def _gaps(self, column: pa.ChunkedArray | pa.Array) -> Any:
        gaps = pc.is_null(column, nan_is_null=True)
        return gaps if explain(self.name, None) else pc.and_(gaps, pa.scalar(False))

    def _bad_numbers(self, column: pa.ChunkedArray | pa.Array) -> Any:
        # Comparisons with a gap give a gap: each is filled with False before it joins the mask.
        mask = self._gaps(column)
        if pa.types.is_floating(column.type):
            for infinity in (math.inf, -math.inf):
                if explain(self.name, infinity):
                    mask = pc.or_(mask, pc.fill_null(pc.equal(column, infinity), False))
        for compare, bound in self.bounds:
            if pa.types.is_integer(column.type) and isinstance(bound, float):
                # Integers against the nearest integer bound: exact even past 2**53, where floats are not.
                bound = math.ceil(bound) if compare in (pc.less, pc.greater_equal) else math.floor(bound)
            mask = pc.or_(mask, pc.fill_null(compare(column, bound), False))
        return mask

    def _bad_distinct_values(self, column: pa.ChunkedArray | pa.Array) -> Any:
        """Any other field or column type: pydantic judges each distinct value once."""
        distinct = pc.unique(column).to_pylist()
        bad = [value for value in distinct if value is not None and explain(self.name, value)]
        bad = [value for value in bad if not (isinstance(value, float) and math.isnan(value))]
        mask = pc.is_in(column, value_set=pa.array(bad, type=column.type))
        return pc.or_(pc.fill_null(mask, False), self._gaps(column))


def rule_for(name: str) -> ColumnRule:
    """Derive a column's checks from its contract field; anything unusual falls back to pydantic per distinct value."""
    info = LabelledRecord.model_fields[name]
    kinds = [info.annotation]
    if get_origin(info.annotation) in (Union, UnionType):  # float | None: the type besides None
        kinds = [arg for arg in get_args(info.annotation) if arg is not type(None)]
    plain = len(kinds) == 1 and kinds[0] in (float, int, str)
    if not plain or not all(type(constraint) in BOUNDS for constraint in info.metadata):
        return ColumnRule(name, number=None, text=False)
    if kinds[0] is str:
        # Config-wide string rules (str_min_length, ...) are left to pydantic.
        plain_text = not info.metadata and not any(key.startswith("str_") for key in LabelledRecord.model_config)
        return ColumnRule(name, number=None, text=plain_text)
    bounds = tuple(
        (BOUNDS[type(constraint)][1], getattr(constraint, BOUNDS[type(constraint)][0])) for constraint in info.metadata
    )
    return ColumnRule(name, number=float if kinds[0] is float else int, text=False, bounds=bounds)


def runs_validator_functions(schema: object) -> bool:
    """Whether a pydantic-core schema calls a function of the contract's author (a model or field validator,
    or an AfterValidator-like annotation), which may look at more than one field at a time.

    The schema is pydantic's public `TypeAdapter(...).core_schema`; its `function-*` types are pydantic-core's.
    """
    if isinstance(schema, dict):
        # A schema's own "type" is a string; a dict of fields may also hold a field named "type" (Cars93's `Type`).
        kind = schema.get("type")
        return (isinstance(kind, str) and kind in VALIDATOR_FUNCTIONS) or any(
            map(runs_validator_functions, schema.values())
        )
    if isinstance(schema, list | tuple):
        return any(map(runs_validator_functions, schema))
    return False


def column_rules() -> dict[str, ColumnRule] | None:
    """Per-column rules, or None when the contract runs validator functions (checked row by row instead)."""
    if runs_validator_functions(TypeAdapter(LabelledRecord).core_schema):
        return None
    return {name: rule_for(name) for name in LabelledRecord.model_fields}


@dataclass
class Findings:
    """What validation found in a batch: which rows are bad, each bad row's reason, and counts per (column, rule)."""

    bad: np.ndarray
    reasons: list[str]
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    examples: dict[tuple[str, str], Violation] = field(default_factory=dict)

    def add(self, violation: Violation) -> None:
        key = (violation.column, violation.rule)
        self.counts[key] += 1
        self.examples.setdefault(key, violation)


def check(table: pa.Table | pa.RecordBatch, rules: dict[str, ColumnRule] | None = None) -> Findings:
    """Check every row against the contract column-wise; reasons are built for the bad rows only.

    Row for row and reason for reason the same as core's find_violations() on each row.
    """
    rules = column_rules() if rules is None else rules
    if rules is None:
        return check_rows(table)
    masks = {name: rule.bad(table.column(name)) for name, rule in rules.items()}
    bad = np.logical_or.reduce(list(masks.values())) if masks else np.zeros(table.num_rows, dtype=bool)
    rows = np.flatnonzero(bad)
    parts: list[list[Violation]] = [[] for _ in rows]
    findings = Findings(bad, [])
    for name, mask in masks.items():
        positions = np.flatnonzero(mask[rows])
        if not len(positions):
            continue
        values = table.column(name).take(pa.array(rows[positions])).to_pylist()
        for position, value in zip(positions, values, strict=True):
            explained = explain(name, value)
            if not explained:
                raise AssertionError(f"validate: column {name!r} flagged value {value!r} that the contract accepts")
            parts[position].extend(explained)
    for row_violations in parts:
        findings.reasons.append("; ".join(str(violation) for violation in row_violations))
        for violation in row_violations:
            findings.add(violation)
    return findings


def check_rows(table: pa.Table | pa.RecordBatch, *, labelled: bool = True) -> Findings:
    """The contract's validators see whole rows: ask core's find_violations() row by row (slow, but exact)."""
    per_row = [find_violations(row, labelled=labelled) for row in table.to_pylist()]
    findings = Findings(np.array([bool(found) for found in per_row], dtype=bool), [])
    for found in per_row:
        if found:
            findings.reasons.append("; ".join(str(violation) for violation in found))
            for violation in found:
                findings.add(violation)
    return findings


def describe_worst(counts: Counter[tuple[str, str]], examples: dict[tuple[str, str], Violation]) -> str:
    """The most frequent (column, rule) with one example value, for the failure message."""
    (column, rule), count = counts.most_common(1)[0]
    example = examples[(column, rule)]
    return f"column {column!r} breaks rule {rule!r} in {count} rows (e.g. value {example.value!r}: {example.message})"


@dataclass
class Tally:
    rows: int = 0
    quarantined: int = 0
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    examples: dict[tuple[str, str], Violation] = field(default_factory=dict)


def valid_batches(raw: Path, quarantine: Path, tally: Tally) -> Iterator[pa.RecordBatch]:
    """Yield each batch's valid rows; append its bad rows, numbered as in the raw data, to the quarantine CSV."""
    parquet = pq.ParquetFile(raw)
    rules = column_rules()
    quarantine.parent.mkdir(parents=True, exist_ok=True)
    columns = ["row", *parquet.schema_arrow.names, "reason"]
    with quarantine.open("w", encoding="utf-8", newline="") as handle:
        pd.DataFrame(columns=columns).to_csv(handle, index=False)
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
            findings = check(batch, rules)
            if findings.reasons:
                rows = np.flatnonzero(findings.bad)
                bad = batch.take(pa.array(rows)).to_pandas()
                bad.insert(0, "row", rows + tally.rows)
                bad["reason"] = findings.reasons
                bad.to_csv(handle, index=False, header=False)
            tally.rows += batch.num_rows
            tally.quarantined += len(findings.reasons)
            tally.counts.update(findings.counts)
            for key, example in findings.examples.items():
                tally.examples.setdefault(key, example)
            yield batch.filter(pa.array(~findings.bad))


def run(raw: Path, validated: Path, quarantine: Path, report: Path, max_invalid_fraction: float) -> dict[str, float]:
    """Stream the raw data through the checks: memory follows the batch size, not the row count."""
    tally = Tally()
    pending = validated.with_name(f".{validated.name}.pending")
    valid = write_batches(valid_batches(raw, quarantine, tally), pending)
    fraction = tally.quarantined / tally.rows if tally.rows else 1.0
    metrics = {
        "rows": tally.rows,
        "valid_rows": valid,
        "quarantined_rows": tally.quarantined,
        "quarantined_fraction": round(fraction, 6),
    }
    # The quarantine file is already complete: it is what a person reads when this stage fails.
    write_json(metrics, report)
    if fraction > max_invalid_fraction or not valid:
        pending.unlink(missing_ok=True)
        worst = f"; {describe_worst(tally.counts, tally.examples)}" if tally.counts else ""
        raise ContractError(
            f"{tally.quarantined} of {tally.rows} rows ({fraction:.1%}) break the data contract, above "
            f"validate.max_invalid_fraction={max_invalid_fraction:.1%}{worst}. "
            f"Every bad row and its reason is in {quarantine}."
        )
    pending.replace(validated)
    print(f"validate: {valid} valid, {tally.quarantined} quarantined -> {quarantine}")
    return metrics


def stage(p: Params) -> None:
    run(
        p.paths.raw,
        p.paths.validated,
        p.paths.quarantine,
        p.paths.reports / "validation.json",
        p.validate_.max_invalid_fraction,
    )
