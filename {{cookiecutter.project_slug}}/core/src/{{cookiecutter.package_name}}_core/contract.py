"""Core (Data Scientists + ML Engineers): the data contract — what schema.py declares, and what follows from it.

schema.py holds the declarations (`TASK`, `TARGET`, `Features`, `LabelledRecord`); this module derives
the column lists, categories, ranges and the row check from them. Pipeline validation, the feature
code, the service's request model and drift monitoring all read from here, so training and serving
cannot drift apart silently.
"""

from __future__ import annotations

import math
import types
from dataclasses import dataclass
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import ValidationError
from pydantic.fields import FieldInfo

from .schema import TARGET, TASK, Features, LabelledRecord

__all__ = [
    "CATEGORICAL_COLUMNS",
    "FEATURE_COLUMNS",
    "NUMERIC_COLUMNS",
    "NUMERIC_RANGES",
    "OPTIONAL_COLUMNS",
    "TARGET",
    "TARGET_CLASSES",
    "TASK",
    "Features",
    "LabelledRecord",
    "Violation",
    "find_violations",
]


def _without_none(annotation: Any) -> Any:
    """`X | None` -> `X`: an optional column has the type of its present values."""
    if get_origin(annotation) in (Union, types.UnionType):
        present = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(present) == 1:
            return present[0]
    return annotation


def _categories(field: FieldInfo) -> tuple[str, ...]:
    """The allowed values of a `Literal[...]` string column; empty for any other column."""
    annotation = _without_none(field.annotation)
    if get_origin(annotation) is Literal and all(isinstance(arg, str) for arg in get_args(annotation)):
        return tuple(get_args(annotation))
    return ()


def _bounds(field: FieldInfo) -> tuple[float, float]:
    """The (ge, le) range of a numeric column; an open side is +-inf."""
    low, high = -math.inf, math.inf
    for meta in field.metadata:
        low = float(getattr(meta, "ge", low))
        high = float(getattr(meta, "le", high))
    return low, high


_TARGET_FIELD = LabelledRecord.model_fields[TARGET]

# The exported model's output tensors, per task (pipelines' export writes them, the service reads them). The ONNX
# graph's inputs and outputs share one namespace, so no feature may take one of these names (make dataset avoids them).
MODEL_OUTPUTS: dict[str, tuple[str, ...]] = {"classification": ("label", "probabilities"), "regression": ("value",)}
TARGET_CLASSES: tuple[str, ...] = _categories(_TARGET_FIELD) if TASK == "classification" else ()
FEATURE_COLUMNS: tuple[str, ...] = tuple(Features.model_fields)
CATEGORICAL_COLUMNS: dict[str, tuple[str, ...]] = {
    name: _categories(field) for name, field in Features.model_fields.items() if _categories(field)
}
NUMERIC_COLUMNS: tuple[str, ...] = tuple(name for name in FEATURE_COLUMNS if name not in CATEGORICAL_COLUMNS)
# Features a record may leave out (typed `X | None` in schema.py): the feature code imputes them.
OPTIONAL_COLUMNS: tuple[str, ...] = tuple(
    name for name, field in Features.model_fields.items() if not field.is_required()
)
# (low, high) of every numeric column of a labelled record: the numeric features, and a regression target.
NUMERIC_RANGES: dict[str, tuple[float, float]] = {
    name: _bounds(field)
    for name, field in LabelledRecord.model_fields.items()
    if name in NUMERIC_COLUMNS or (name == TARGET and not TARGET_CLASSES)
}


@dataclass(frozen=True)
class Violation:
    """Why one value of one row breaks the contract."""

    column: str
    rule: str
    value: Any
    message: str

    def __str__(self) -> str:
        return f"{self.column}: {self.message} (rule {self.rule}, value {self.value!r})"


def _missing_to_none(value: Any) -> Any:
    """CSV readers give NaN for an empty cell; the contract calls that a missing value."""
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def find_violations(row: dict[str, Any], *, labelled: bool = True) -> list[Violation]:
    """Every contract violation in one row (empty when the row is valid).

    A missing value is valid in an OPTIONAL column and a violation (rule `missing`) in any other.
    Columns that the contract does not name are ignored here (raw data may carry more);
    the service, which validates requests with `Features` directly, rejects them.
    """
    model = LabelledRecord if labelled else Features
    known = {name: _missing_to_none(row.get(name)) for name in model.model_fields}
    try:
        model.model_validate(known)
    except ValidationError as error:
        return [
            Violation(
                column=".".join(str(part) for part in issue["loc"]) or "<row>",
                rule="missing" if issue["input"] is None else issue["type"],
                value=issue["input"],
                message="missing value" if issue["input"] is None else issue["msg"],
            )
            for issue in error.errors(include_url=False)
        ]
    return []
