"""Pipelines (MLOps): export — the trained pipeline as ONNX, checked for parity, with its model card.

The ONNX graph has one input per contract column (numbers as float [N,1], categories as string [N,1];
a missing value is NaN in a number and "" in a category) and its outputs follow the contract's TASK:
classification gives `label` (string [N]) and `probabilities` (float [N, classes]); regression gives
`value` (float [N, 1]). The service feeds it straight from JSON without pandas or scikit-learn.
"""

from __future__ import annotations

import copy
import hashlib
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import pandas as pd
from onnx.helper import make_opsetid
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType, StringTensorType
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline

from {{ cookiecutter.package_name }}_core import (
    CATEGORICAL_COLUMNS,
    FEATURE_COLUMNS,
    MODEL_OUTPUTS,
    OPTIONAL_COLUMNS,
    TARGET,
    TASK,
    Features,
    ModelCard,
    find_violations,
)
from {{ cookiecutter.package_name }}_core.fingerprint import contract_fingerprint

from .converters import register_converters, supported_list
from .errors import StageFailed
from .files import read_json, sha256_file
from .params import Params
from .scoring import MISSING_CATEGORY, onnx_feed
from .trained import load_trained

# Pinned so the same model always serialises to the same bytes on every supported runtime.
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}
# The card's description of each of core's MODEL_OUTPUTS, per task.
_OUTPUT_TYPES = {"label": "string [N]", "probabilities": "float [N, classes]", "value": "float [N, 1]"}
OUTPUTS: dict[str, dict[str, str]] = {
    task: {name: _OUTPUT_TYPES[name] for name in names} for task, names in MODEL_OUTPUTS.items()
}
# What parity measures, per task: the largest difference of any class probability, or of a predicted value
# relative to the largest predicted magnitude (float32 keeps about seven significant digits of any value).
PARITY_MEASURE = {"classification": "max_abs_diff", "regression": "max_rel_diff"}


class ParityError(StageFailed):
    """The ONNX model does not reproduce the trained model's predictions."""


class UnsupportedEstimator(StageFailed):
    """The trained pipeline holds an estimator that no registered ONNX converter handles."""


def _parts(estimator: Any) -> Iterator[Any]:
    """Every fitted step of a pipeline, through nested pipelines and column transformers."""
    yield estimator
    if isinstance(estimator, Pipeline):
        for _, step in estimator.steps:
            yield from _parts(step)
    elif isinstance(estimator, ColumnTransformer):
        for _, transformer, _ in estimator.transformers_:
            yield from _parts(transformer)


def for_conversion(model: Pipeline) -> Pipeline:
    """A copy of `model` whose category imputers look for "" instead of NaN, which string tensors cannot hold.

    The fitted statistics (the most frequent category) stay as they are; the original model is untouched.
    """
    converted = copy.deepcopy(model)
    for part in _parts(converted):
        if isinstance(part, SimpleImputer) and part.statistics_.dtype == object:
            part.missing_values = MISSING_CATEGORY
    return converted


def to_onnx(model: Pipeline) -> bytes:
    """The pipeline as ONNX bytes; UnsupportedEstimator names an estimator no converter handles."""
    register_converters()
    converted = for_conversion(model)
    initial_types = [
        (column, StringTensorType([None, 1]) if column in CATEGORICAL_COLUMNS else FloatTensorType([None, 1]))
        for column in FEATURE_COLUMNS
    ]
    classify = TASK == "classification"
    try:
        with warnings.catch_warnings():
            # The HistGradientBoosting converter's bool among ints (see the protobuf cap in pyproject.toml).
            warnings.filterwarnings("ignore", "Field onnx.AttributeProto.ints: Expected an int", DeprecationWarning)
            onnx_model = convert_sklearn(
                converted,
                initial_types=initial_types,
                target_opset=TARGET_OPSET,
                options={id(converted[-1]): {"zipmap": False}} if classify else None,
                final_types=None if classify else [("value", FloatTensorType([None, 1]))],
            )
    except (RuntimeError, NotImplementedError, NameError) as error:
        # skl2onnx's MissingShapeCalculator / MissingConverter are RuntimeErrors; converters refuse
        # options or settings they cannot express with NotImplementedError / NameError.
        name = type(model[-1]).__name__
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise UnsupportedEstimator(
            f"the trained {name} cannot be converted to ONNX ({reason}); "
            f"the supported estimators (params.yaml train.estimator) are: {supported_list()}"
        ) from error
    # skl2onnx names the graph with a random UUID and lists opsets in set order (which varies with
    # the interpreter's hash seed); a fixed name and sorted opsets keep the bytes, and so the version,
    # reproducible.
    onnx_model.graph.name = f"{__package__.removesuffix('_pipelines')}_model"
    opsets = sorted((opset.domain, opset.version) for opset in onnx_model.opset_import)
    del onnx_model.opset_import[:]
    onnx_model.opset_import.extend(make_opsetid(domain, version) for domain, version in opsets)
    serialized: bytes = onnx_model.SerializeToString()
    return serialized


def parity(model: Pipeline, onnx_bytes: bytes, frame: pd.DataFrame) -> dict[str, float]:
    """How far the ONNX model's predictions on `frame` are from the trained model's (see PARITY_MEASURE).

    The graph reads numbers as float32, so a row's difference is the smaller of two: from the trained model's answer on
    the record as it is (a tree split exactly at a record's value, e.g. 10.59) and on its float32 rounding (a split
    between two values float32 cannot tell apart).
    """
    session = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    numbers = [column for column in FEATURE_COLUMNS if column not in CATEGORICAL_COLUMNS]
    records = frame[list(FEATURE_COLUMNS)]
    rounded = records.astype(dict.fromkeys(numbers, np.float32)).astype(dict.fromkeys(numbers, np.float64))
    if TASK == "classification":
        (probabilities,) = session.run(["probabilities"], onnx_feed(frame))
        rows = [np.max(np.abs(probabilities - model.predict_proba(x)), axis=1) for x in (records, rounded)]
        return {"max_abs_diff": float(np.max(np.minimum(*rows)))}
    (values,) = session.run(["value"], onnx_feed(frame))
    served = np.asarray(values, dtype=np.float64)[:, 0]
    expected = [np.asarray(model.predict(x), dtype=np.float64) for x in (records, rounded)]
    difference = float(np.max(np.minimum(*(np.abs(served - e) for e in expected))))
    scale = float(np.max(np.abs(expected[0])))
    return {"max_abs_diff": difference, "max_rel_diff": difference / scale if scale > 0 else difference}


def first_valid_record(frame: pd.DataFrame) -> dict[str, Any]:
    """The first row of `frame` that is a valid request (the card's example); gaps read as None."""
    for row in frame[list(FEATURE_COLUMNS)].to_dict(orient="records"):
        if not find_violations(row, labelled=False):
            return Features.model_validate(
                {column: None if pd.isna(value) else value for column, value in row.items()}
            ).model_dump()
    raise StageFailed("no row of the test split is a valid request for the card's example")


def export_model(
    model: Pipeline,
    test_frame: pd.DataFrame,
    onnx_path: Path,
    card_path: Path,
    *,
    name: str = "model",
    metrics: dict[str, float] | None = None,
    training_data_sha256: str = "",
    training_rows: int = 0,
    params: dict[str, Any] | None = None,
    tolerance: float = 1e-5,
) -> ModelCard:
    """Write the ONNX model and its card (core's ModelCard); refuse (and write nothing) when parity fails.

    `tolerance` bounds the task's parity measure (PARITY_MEASURE): params.yaml `export.max_abs_diff`
    for classification, `export.max_rel_diff` for regression.
    """
    onnx_bytes = to_onnx(model)
    measured = parity(model, onnx_bytes, test_frame)
    measure = PARITY_MEASURE[TASK]
    if not measured[measure] <= tolerance:
        what = "probabilities" if TASK == "classification" else "predictions (relative to the largest)"
        raise ParityError(
            f"the ONNX {what} of {type(model[-1]).__name__} differ from the trained model's by "
            f"{measured[measure]:.2e} on the test split, above export.{measure}={tolerance:.0e}; "
            "the model was not exported"
        )
    digest = hashlib.sha256(onnx_bytes).hexdigest()
    card = ModelCard(
        name=name,
        sha256=digest,
        version=digest[:12],
        contract=contract_fingerprint(),
        task=TASK,
        target=TARGET,
        estimator=type(model[-1]).__name__,
        classes=[str(label) for label in model.classes_] if TASK == "classification" else [],
        metrics=metrics or {},
        training_data={"sha256": training_data_sha256, "rows": training_rows},
        input_schema=Features.model_json_schema(),
        inputs={column: "string" if column in CATEGORICAL_COLUMNS else "float" for column in FEATURE_COLUMNS},
        optional=list(OPTIONAL_COLUMNS),
        missing_value={"float": "NaN", "string": MISSING_CATEGORY},
        outputs=OUTPUTS[TASK],
        example=first_valid_record(test_frame),
        params=params or {},
        parity={key: round(value, 12) for key, value in measured.items()},
    )
    onnx_path.parent.mkdir(parents=True, exist_ok=True)
    onnx_path.write_bytes(onnx_bytes)
    card.write(card_path)
    return card


def run(
    model_path: Path,
    train: Path,
    test: Path,
    metrics_path: Path,
    onnx_path: Path,
    card_path: Path,
    *,
    name: str,
    params: dict[str, Any],
    tolerance: float,
) -> ModelCard:
    model = load_trained(model_path)
    card = export_model(
        model,
        pd.read_parquet(test),
        onnx_path,
        card_path,
        name=name,
        metrics=read_json(metrics_path),
        training_data_sha256=sha256_file(train),
        training_rows=len(pd.read_parquet(train)),
        params=params,
        tolerance=tolerance,
    )
    measure = PARITY_MEASURE[TASK]
    print(f"export: {onnx_path} version {card.version}, parity {measure} {card.parity[measure]:.1e}")
    return card


def stage(p: Params) -> None:
    run(
        p.paths.model,
        p.paths.train,
        p.paths.test,
        p.paths.reports / "metrics.json",
        p.paths.onnx,
        p.paths.card,
        name=p.export.model_name,
        params=p.train.recipe(),
        tolerance=p.export.max_abs_diff if TASK == "classification" else p.export.max_rel_diff,
    )
