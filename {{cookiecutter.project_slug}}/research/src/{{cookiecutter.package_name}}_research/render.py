"""Research (Data Scientists): write an inferred contract as core's schema.py, formatted by the project's ruff
(so `make lint` passes and a second run writes the same bytes).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from .infer import Column, Plan
from .workspace import run_tool

HEADER = '''"""Core (Data Scientists): the contract's declarations — target, feature columns, types, ranges, categories.

Data source: {source} ({rows} rows), inferred by `make dataset`{options}.
Bounds marked `"bounds": "observed"` are the seen values widened by their span (at least a tenth of
their size, to round numbers; 0 stays the floor of data that was never negative): a unit mistake
fails validation, next year's ordinary rows pass. Where the domain fixes a bound (a share <= 1, a
count >= 0), write it and mark it `"physical"`. A column typed `X | None` may be missing.
`make dataset` rewrites this file (keeping physical bounds); contract.py derives the rest from it.
"""

from __future__ import annotations

from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

TASK: Final[Literal["classification", "regression"]] = {task}
TARGET: Final = {target}
# The data file this contract describes, in core's data/ folder (params.yaml `ingest.source` reads it).
DATA_FILE: Final = {data_file}
# What the tests read, committed to git in the same folder: a fresh clone (CI) has no DVC-tracked data
# file. {sample_rows} of its rows, chosen by `make dataset` (research's sample.py).
SAMPLE_FILE: Final = {sample_file}


class Features(BaseModel):
    """One record as the model sees it: what the pipeline validates and the service accepts."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)

'''

LABELLED = '''

class LabelledRecord(Features):
    """A training row: the features plus the {what} the model learns to predict."""

'''


def _text(value: str) -> str:
    """A Python string literal (double quotes, like the formatter's)."""
    return json.dumps(value, ensure_ascii=False)


def _number(value: float) -> str:
    return repr(float(value))


def _plain(value: float) -> str:
    """A seen value as a reader writes it: `3.2581`, `2009`, `0.3` (no float noise)."""
    return f"{value:.15g}"


def _description(column: Column, *, target: bool = False) -> str:
    source = f"CSV column {column.header!r}" if column.header != column.name else "CSV column of that name"
    seen = f"; seen {_plain(column.seen[0])} to {_plain(column.seen[1])}" if column.kind == "numeric" else ""
    return source + seen + (" (the target)" if target else "") + "."


def field_line(column: Column, *, target: bool = False) -> str:
    """One pydantic field: `Literal[...]` for categories, a float with a range for numbers; `| None` if optional."""
    kind = "float" if column.kind == "numeric" else f"Literal[{', '.join(_text(value) for value in column.categories)}]"
    arguments = ["default=None"] if column.optional else []
    if column.kind == "numeric":
        arguments += [f"ge={_number(column.low)}"] if math.isfinite(column.low) else []
        arguments += [f"le={_number(column.high)}"] if math.isfinite(column.high) else []
        arguments.append(f"json_schema_extra={json.dumps({'bounds': column.bounds})}")
    arguments.append(f"description={_text(_description(column, target=target))}")
    annotation = f"{kind} | None" if column.optional else kind
    return f"    {column.name}: {annotation} = Field({', '.join(arguments)})\n"


def schema_source(
    plan: Plan, *, source: str, rows: int, data_file: str, sample_file: str, sample_rows: int, options: str = ""
) -> str:
    """The unformatted text of schema.py for `plan`."""
    text = HEADER.format(
        source=source,
        rows=rows,
        options=f" ({options})" if options else "",
        task=_text(plan.task),
        target=_text(plan.target.name),
        data_file=_text(data_file),
        sample_file=_text(sample_file),
        sample_rows="All" if sample_rows == rows else f"{sample_rows} of {rows}",
    )
    text += "".join(field_line(column) for column in plan.features)
    text += LABELLED.format(what="label" if plan.task == "classification" else "value")
    text += field_line(plan.target, target=True)
    return text


def formatted(text: str, project: Path, path: Path) -> str:
    """`text` as the project's ruff would format it (its pyproject settings apply through --stdin-filename)."""
    return run_tool(project, "ruff", "format", "--stdin-filename", str(path), "-", stdin=text)
