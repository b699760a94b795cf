"""Pipelines (MLOps): validate — check core's contract column by column; quarantine bad rows with their reasons."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pydantic import BaseModel

from {{ cookiecutter.package_name }}_core import LabelledRecord, Violation
from {{ cookiecutter.package_name }}_core.rules import FieldRule, field_by_field, field_rules, violations

from .errors import StageFailed
from .files import BATCH_ROWS, write_batches, write_json
from .params import Params

# A bound of core's FieldRule as the comparison that finds the values beyond it.
BEYOND: dict[str, Callable[..., Any]] = {"ge": pc.less, "gt": pc.less_equal, "le": pc.greater, "lt": pc.greater_equal}


class ContractError(StageFailed):
    """Too many rows break the data contract to train on this data."""


def bad_values(rule: FieldRule, column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A boolean per value, True where the field's rule rejects it: found column-wise, no Python object per row.

    Numbers are compared with the rule's bounds, text with its categories; anything else (a flag, a date,
    a column of an unexpected type) is judged by pydantic once per distinct value.
    """
    kind = column.type
    if (rule.kind in ("number", "integer") and pa.types.is_integer(kind)) or (
        rule.kind == "number" and pa.types.is_floating(kind)
    ):
        mask = _bad_numbers(rule, column)
    elif rule.kind in ("category", "text") and (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        mask = _gaps(rule, column)
        if rule.categories:
            unknown = pc.invert(pc.is_in(column, value_set=pa.array(rule.categories, type=kind)))
            mask = pc.or_(mask, pc.and_(pc.is_valid(column), unknown))
    else:
        mask = _bad_distinct_values(rule, column)
    return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)


def _gaps(rule: FieldRule, column: pa.ChunkedArray | pa.Array) -> Any:
    gaps = pc.is_null(column, nan_is_null=True)
    return pc.and_(gaps, pa.scalar(not rule.nullable))


def _bad_numbers(rule: FieldRule, column: pa.ChunkedArray | pa.Array) -> Any:
    # Comparisons with a gap give a gap: each is filled with False before it joins the mask.
    mask = _gaps(rule, column)
    if pa.types.is_floating(column.type):
        for infinity in (math.inf, -math.inf):
            if rule.explain(infinity):
                mask = pc.or_(mask, pc.fill_null(pc.equal(column, infinity), False))
    for name, bound in rule.bounds:
        compare = BEYOND[name]
        if pa.types.is_integer(column.type) and isinstance(bound, float):
            # Integers against the nearest integer bound: exact even past 2**53, where floats are not.
            bound = math.ceil(bound) if compare in (pc.less, pc.greater_equal) else math.floor(bound)
        mask = pc.or_(mask, pc.fill_null(compare(column, bound), False))
    return mask


def _bad_distinct_values(rule: FieldRule, column: pa.ChunkedArray | pa.Array) -> Any:
    distinct = pc.unique(column).to_pylist()
    bad = [value for value in distinct if value is not None and rule.explain(value)]
    bad = [value for value in bad if not (isinstance(value, float) and math.isnan(value))]
    mask = pc.is_in(column, value_set=pa.array(bad, type=column.type))
    return pc.or_(pc.fill_null(mask, False), _gaps(rule, column))


def column_rules(model: type[BaseModel] = LabelledRecord) -> dict[str, FieldRule] | None:
    """Core's rule per field, or None when the contract runs validator functions (checked row by row instead)."""
    return field_rules(model) if field_by_field(model) else None


@dataclass
class Findings:
    """What validation found in a batch: which rows are bad, each bad row's reason, and counts per (column, rule)."""

    bad: np.ndarray
    reasons: list[str] = field(default_factory=list)
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    examples: dict[tuple[str, str], Violation] = field(default_factory=dict)

    def add(self, row: list[Violation]) -> None:
        """One bad row's violations."""
        self.reasons.append("; ".join(str(violation) for violation in row))
        for violation in row:
            key = (violation.column, violation.rule)
            self.counts[key] += 1
            self.examples.setdefault(key, violation)


def check(table: pa.Table | pa.RecordBatch, rules: dict[str, FieldRule] | None = None) -> Findings:
    """Check every row against the contract column-wise; reasons are built for the bad rows only (the same, row for
    row and reason for reason, as core's pydantic check of each row)."""
    rules = column_rules() if rules is None else rules
    if rules is None:
        return check_rows(table)
    masks = {name: bad_values(rule, table.column(name)) for name, rule in rules.items()}
    bad = np.logical_or.reduce(list(masks.values())) if masks else np.zeros(table.num_rows, dtype=bool)
    rows = np.flatnonzero(bad)
    parts: list[list[Violation]] = [[] for _ in rows]
    findings = Findings(bad)
    for name, mask in masks.items():
        positions = np.flatnonzero(mask[rows])
        if not len(positions):
            continue
        values = table.column(name).take(pa.array(rows[positions])).to_pylist()
        for position, value in zip(positions, values, strict=True):
            explained = rules[name].explain(value)
            if not explained:
                raise AssertionError(f"validate: column {name!r} flagged value {value!r} that the contract accepts")
            parts[position].extend(explained)
    for row_violations in parts:
        findings.add(row_violations)
    return findings


def check_rows(table: pa.Table | pa.RecordBatch, model: type[BaseModel] = LabelledRecord) -> Findings:
    """The contract's validators see whole rows: ask core's pydantic check row by row (slow, but exact)."""
    per_row = [violations(model, row) for row in table.to_pylist()]
    findings = Findings(np.array([bool(found) for found in per_row], dtype=bool))
    for found in filter(None, per_row):
        findings.add(found)
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
