"""Core (Data Scientists + ML Engineers): the one data contract every area derives from."""

from .card import CARD_NAME, MODEL_NAME, CardError, ModelCard, load_verified
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
from .dataset import data_path, iter_records, sample_path
from .rules import MISSING_TOKENS

__all__ = [
    "CARD_NAME",
    "CATEGORICAL_COLUMNS",
    "FEATURE_COLUMNS",
    "MISSING_TOKENS",
    "MODEL_NAME",
    "MODEL_OUTPUTS",
    "NUMERIC_COLUMNS",
    "NUMERIC_RANGES",
    "OPTIONAL_COLUMNS",
    "RULES",
    "TARGET",
    "TARGET_CLASSES",
    "TASK",
    "CardError",
    "Features",
    "LabelledRecord",
    "ModelCard",
    "Violation",
    "data_path",
    "find_violations",
    "iter_records",
    "load_verified",
    "sample_path",
]
