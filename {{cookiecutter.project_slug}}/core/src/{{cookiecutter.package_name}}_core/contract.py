"""Core (Data Scientists + ML Engineers): the data contract — what schema.py declares, and what follows from it.

schema.py holds the declarations (`TASK`, `TARGET`, `Features`, `LabelledRecord`); this module derives the
column lists, categories and ranges from each field's rule (rules.py), for every area to read.
"""

from __future__ import annotations

from typing import Any

from .rules import Violation, field_rules, violations
from .schema import TARGET, TASK, Features, LabelledRecord

__all__ = [
    "CATEGORICAL_COLUMNS",
    "FEATURE_COLUMNS",
    "NUMERIC_COLUMNS",
    "NUMERIC_RANGES",
    "OPTIONAL_COLUMNS",
    "RULES",
    "TARGET",
    "TARGET_CLASSES",
    "TASK",
    "Features",
    "LabelledRecord",
    "Violation",
    "find_violations",
]

# Each field's rule (kind, bounds, categories, optional): every checker of a row derives from these.
RULES = field_rules(LabelledRecord)
# The exported model's output tensors, per task (pipelines' export writes them, the service reads them). The ONNX
# graph's inputs and outputs share one namespace, so no feature may take one of these names (make dataset avoids them).
MODEL_OUTPUTS: dict[str, tuple[str, ...]] = {"classification": ("label", "probabilities"), "regression": ("value",)}
TARGET_CLASSES: tuple[str, ...] = RULES[TARGET].categories if TASK == "classification" else ()
FEATURE_COLUMNS: tuple[str, ...] = tuple(Features.model_fields)
CATEGORICAL_COLUMNS: dict[str, tuple[str, ...]] = {
    name: RULES[name].categories for name in FEATURE_COLUMNS if RULES[name].categories
}
NUMERIC_COLUMNS: tuple[str, ...] = tuple(name for name in FEATURE_COLUMNS if name not in CATEGORICAL_COLUMNS)
# Features a record may leave out (typed `X | None` in schema.py): the feature code imputes them.
OPTIONAL_COLUMNS: tuple[str, ...] = tuple(name for name in FEATURE_COLUMNS if not RULES[name].required)
# (low, high) of every numeric column of a labelled record: the numeric features, and a regression target.
NUMERIC_RANGES: dict[str, tuple[float, float]] = {
    name: rule.range
    for name, rule in RULES.items()
    if name in NUMERIC_COLUMNS or (name == TARGET and not TARGET_CLASSES)
}


def find_violations(row: dict[str, Any], *, labelled: bool = True) -> list[Violation]:
    """Every contract violation in one row (none: valid); a gap is rule `missing` unless the column is optional.
    Columns the contract does not name are ignored (raw data may carry more)."""
    return violations(LabelledRecord if labelled else Features, row)
