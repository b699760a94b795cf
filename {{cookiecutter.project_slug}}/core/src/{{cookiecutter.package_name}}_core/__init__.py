"""Core (Data Scientists + ML Engineers): the one data contract every area derives from."""

from .contract import (
    CATEGORICAL_COLUMNS,
    FEATURE_COLUMNS,
    NUMERIC_COLUMNS,
    TARGET,
    TARGET_CLASSES,
    Features,
    LabelledRecord,
    Violation,
    find_violations,
)
from .dataset import example_data_path, iter_example_records

__all__ = [
    "CATEGORICAL_COLUMNS",
    "FEATURE_COLUMNS",
    "NUMERIC_COLUMNS",
    "TARGET",
    "TARGET_CLASSES",
    "Features",
    "LabelledRecord",
    "Violation",
    "example_data_path",
    "find_violations",
    "iter_example_records",
]
