"""Pipelines (MLOps): validate — check every row against core's contract; quarantine, never drop silently."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd

from {{ cookiecutter.package_name }}_core import FEATURE_COLUMNS, TARGET, Violation, find_violations
from {{ cookiecutter.package_name }}_pipelines.errors import StageFailed
from {{ cookiecutter.package_name }}_pipelines.files import write_frame, write_json
from {{ cookiecutter.package_name }}_pipelines.params import Params


class ContractError(StageFailed):
    """Too many rows break the data contract to train on this data."""


def split_valid(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, list[Violation]]:
    """Valid rows (contract columns only), quarantined rows with a reason each, and every violation."""
    valid_rows, bad_rows, violations = [], [], []
    for index, row in enumerate(frame.to_dict(orient="records")):
        problems = find_violations(row)
        if problems:
            violations.extend(problems)
            bad_rows.append({**row, "row": index, "reason": "; ".join(str(p) for p in problems)})
        else:
            valid_rows.append({column: row[column] for column in (*FEATURE_COLUMNS, TARGET)})
    columns = [*FEATURE_COLUMNS, TARGET]
    quarantine_columns = ["row", *frame.columns, "reason"]
    return (
        pd.DataFrame(valid_rows, columns=columns),
        pd.DataFrame(bad_rows, columns=quarantine_columns),
        violations,
    )


def describe_worst(violations: list[Violation]) -> str:
    """The most frequent (column, rule) with one example value, for the failure message."""
    (column, rule), count = Counter((v.column, v.rule) for v in violations).most_common(1)[0]
    example = next(v for v in violations if (v.column, v.rule) == (column, rule))
    return f"column {column!r} breaks rule {rule!r} in {count} rows (e.g. value {example.value!r}: {example.message})"


def run(raw: Path, validated: Path, quarantine: Path, report: Path, max_invalid_fraction: float) -> dict[str, float]:
    frame = pd.read_parquet(raw)
    valid, bad, violations = split_valid(frame)
    fraction = len(bad) / len(frame) if len(frame) else 1.0
    metrics = {
        "rows": len(frame),
        "valid_rows": len(valid),
        "quarantined_rows": len(bad),
        "quarantined_fraction": round(fraction, 6),
    }
    # Write everything first: the quarantine file is what a person reads when this stage fails.
    write_frame(bad, quarantine)
    write_json(metrics, report)
    if fraction > max_invalid_fraction:
        raise ContractError(
            f"validate: {len(bad)} of {len(frame)} rows ({fraction:.1%}) break the data contract, above "
            f"validate.max_invalid_fraction={max_invalid_fraction:.1%}; {describe_worst(violations)}. "
            f"Every bad row and its reason is in {quarantine}."
        )
    write_frame(valid, validated)
    print(f"validate: {len(valid)} valid, {len(bad)} quarantined -> {quarantine}")
    return metrics


def stage(p: Params) -> None:
    run(
        p.paths.raw,
        p.paths.validated,
        p.paths.quarantine,
        p.paths.reports / "validation.json",
        p.validate_.max_invalid_fraction,
    )
