"""Core (Data Scientists + ML Engineers): the one data contract every area derives from."""

from .contract import (
    CATEGORICAL_COLUMNS,
    FEATURE_COLUMNS,
    MODEL_OUTPUTS,
    NUMERIC_COLUMNS,
    NUMERIC_RANGES,
    OPTIONAL_COLUMNS,
    RULES,
    TARGET,
    TARGET_CLASSES,
    TASK,
    Features,
    LabelledRecord,
    Violation,
    find_violations,
)
from .dataset import MISSING_TOKENS, data_path, iter_records, sample_path

__all__ = [
    "CATEGORICAL_COLUMNS",
    "FEATURE_COLUMNS",
    "MISSING_TOKENS",
    "MODEL_OUTPUTS",
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
    "data_path",
    "find_violations",
    "iter_records",
    "sample_path",
]
