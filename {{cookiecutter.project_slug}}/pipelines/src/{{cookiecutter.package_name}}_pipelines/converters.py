"""Pipelines (MLOps): which estimators export to ONNX, and the converters skl2onnx needs for those it lacks.

skl2onnx converts scikit-learn's estimators itself; LightGBM's converter comes from onnxmltools and is
registered here once, with the same `zipmap` option as scikit-learn's classifiers.
"""

from __future__ import annotations

from functools import cache

from lightgbm import LGBMClassifier, LGBMRegressor
from onnxmltools.convert.lightgbm.operator_converters.LightGbm import convert_lightgbm
from skl2onnx import update_registered_converter
from skl2onnx.common.shape_calculator import (
    calculate_linear_classifier_output_shapes,
    calculate_linear_regressor_output_shapes,
)

# Each family of core.features.build_model() and the estimators it builds (classification, regression):
# every one exports with parity, measured by bench/model_parity.py and documented in the handbook.
SUPPORTED: dict[str, tuple[str, str]] = {
    "linear": ("LogisticRegression", "Ridge"),
    "random_forest": ("RandomForestClassifier", "RandomForestRegressor"),
    "hist_gradient_boosting": ("HistGradientBoostingClassifier", "HistGradientBoostingRegressor"),
    "lightgbm": ("LGBMClassifier", "LGBMRegressor"),
}


def supported_list() -> str:
    """The supported estimators, as a message lists them."""
    return "; ".join(f"{family} ({', '.join(names)})" for family, names in SUPPORTED.items())


@cache
def register_converters() -> None:
    """Teach skl2onnx the LightGBM estimators (once per process)."""
    update_registered_converter(
        LGBMClassifier,
        "LightGbmLGBMClassifier",
        calculate_linear_classifier_output_shapes,
        convert_lightgbm,
        options={"nocl": [True, False], "zipmap": [True, False, "columns"]},
    )
    update_registered_converter(
        LGBMRegressor,
        "LightGbmLGBMRegressor",
        calculate_linear_regressor_output_shapes,
        convert_lightgbm,
        options={"split": None},
    )
