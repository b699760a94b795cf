"""Research (Data Scientists): the physical bounds a person wrote in schema.py, which `make dataset` keeps.

A field marked `json_schema_extra={"bounds": "physical"}` keeps its ge/le on a re-run (schema.py is parsed,
not run), and data outside them is refused rather than widening them.
"""

from __future__ import annotations

import ast
import math
from dataclasses import replace
from pathlib import Path

from .errors import ColumnError
from .infer import Column, Plan

Bounds = tuple[float | None, float | None]


def _keywords(call: ast.Call) -> dict[str, object]:
    """A `Field(...)` call's literal keyword arguments (others left out)."""
    found: dict[str, object] = {}
    for keyword in call.keywords:
        if keyword.arg is not None:
            try:
                found[keyword.arg] = ast.literal_eval(keyword.value)
            except ValueError:
                continue
    return found


def physical_bounds(schema: Path) -> dict[str, Bounds]:
    """Field name -> (ge, le) of every field schema.py marks `"bounds": "physical"`; {} when it does not parse."""
    try:
        tree = ast.parse(schema.read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return {}
    bounds: dict[str, Bounds] = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        if not (isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Name)):
            continue
        arguments = _keywords(node.value)
        extra = arguments.get("json_schema_extra")
        if isinstance(extra, dict) and extra.get("bounds") == "physical":
            ends = (arguments.get("ge"), arguments.get("le"))
            low, high = (float(end) if isinstance(end, (int, float)) else None for end in ends)
            bounds[node.target.id] = (low, high)
    return bounds


def _kept(column: Column, bounds: Bounds) -> Column:
    """`column` with its physical bounds, or a ColumnError when the data goes beyond one."""
    low, high = bounds
    (seen_low, seen_high), fix = column.seen, "in schema.py: fix the data, or the bound"
    if low is not None and seen_low < low:
        raise ColumnError(column.header, f"has {seen_low:.15g}, below its physical bound ge={low:.15g} {fix}")
    if high is not None and seen_high > high:
        raise ColumnError(column.header, f"has {seen_high:.15g}, above its physical bound le={high:.15g} {fix}")
    low, high = -math.inf if low is None else low, math.inf if high is None else high
    return replace(column, low=low, high=high, bounds="physical")


def keep_physical(plan: Plan, bounds: dict[str, Bounds]) -> Plan:
    """`plan` with the physical bounds of its numeric columns that schema.py marked so."""
    if not bounds:
        return plan

    def kept(column: Column) -> Column:
        return _kept(column, bounds[column.name]) if column.kind == "numeric" and column.name in bounds else column

    return replace(plan, target=kept(plan.target), features=tuple(kept(column) for column in plan.features))
