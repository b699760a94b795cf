"""Pipelines (MLOps): export — the trained pipeline as ONNX, checked for parity, with its model card.

The ONNX graph has one input per contract column (numbers as float [N,1], categories as
string [N,1]) and outputs `label` and `probabilities` [N, classes], so the service feeds
it straight from JSON without pandas or scikit-learn.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import pandas as pd
from onnx.helper import make_opsetid
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType, StringTensorType
from sklearn.pipeline import Pipeline

from {{ cookiecutter.package_name }}_core import CATEGORICAL_COLUMNS, FEATURE_COLUMNS, TARGET, Features
from {{ cookiecutter.package_name }}_core.fingerprint import contract_fingerprint

from .errors import StageFailed
from .files import read_json, sha256_file, write_json
from .params import Params
from .trained import load_trained

# Pinned so the same model always serialises to the same bytes on every supported runtime.
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}


class ParityError(StageFailed):
    """The ONNX model does not reproduce the trained model's probabilities."""


def to_onnx(model: Pipeline) -> bytes:
    initial_types = [
        (column, StringTensorType([None, 1]) if column in CATEGORICAL_COLUMNS else FloatTensorType([None, 1]))
        for column in FEATURE_COLUMNS
    ]
    onnx_model = convert_sklearn(
        model,
        initial_types=initial_types,
        target_opset=TARGET_OPSET,
        options={id(model[-1]): {"zipmap": False}},
        final_types=None,
    )
    # skl2onnx names the graph with a random UUID and lists opsets in set order (which varies with
    # the interpreter's hash seed); a fixed name and sorted opsets keep the bytes, and so the version,
    # reproducible.
    onnx_model.graph.name = f"{__package__.removesuffix('_pipelines')}_model"
    opsets = sorted((opset.domain, opset.version) for opset in onnx_model.opset_import)
    del onnx_model.opset_import[:]
    onnx_model.opset_import.extend(make_opsetid(domain, version) for domain, version in opsets)
    serialized: bytes = onnx_model.SerializeToString()
    return serialized


def onnx_inputs(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """The ONNX model's feed for a frame of records: one [N,1] array per column."""
    return {
        column: frame[[column]].to_numpy(dtype=object if column in CATEGORICAL_COLUMNS else np.float32)
        for column in FEATURE_COLUMNS
    }


def max_probability_difference(model: Pipeline, onnx_bytes: bytes, frame: pd.DataFrame) -> float:
    session = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    _, onnx_probabilities = session.run(["label", "probabilities"], onnx_inputs(frame))
    expected = model.predict_proba(frame[list(FEATURE_COLUMNS)])
    return float(np.max(np.abs(np.asarray(onnx_probabilities) - expected)))


def build_card(
    *,
    name: str,
    onnx_bytes: bytes,
    model: Pipeline,
    example: dict[str, Any],
    metrics: dict[str, float],
    training_data_sha256: str,
    training_rows: int,
    params: dict[str, Any],
    max_abs_diff: float,
) -> dict[str, Any]:
    """Everything the service and a reviewer need to know about this model, and nothing time-dependent."""
    digest = hashlib.sha256(onnx_bytes).hexdigest()
    return {
        "name": name,
        # The service and the gate hash model.onnx and refuse it unless it matches `sha256`.
        "sha256": digest,
        "version": digest[:12],
        "contract": contract_fingerprint(),
        "format": "onnx",
        "target": TARGET,
        "classes": [str(label) for label in model.classes_],
        "metrics": metrics,
        "training_data": {"sha256": training_data_sha256, "rows": training_rows},
        "input_schema": Features.model_json_schema(),
        "inputs": {column: "string" if column in CATEGORICAL_COLUMNS else "float" for column in FEATURE_COLUMNS},
        "outputs": {"label": "string [N]", "probabilities": "float [N, classes]"},
        "example": example,
        "params": params,
        "parity": {"max_abs_diff": max_abs_diff},
    }


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
) -> dict[str, Any]:
    """Write the ONNX model and its card; refuse (and write nothing) when parity fails."""
    onnx_bytes = to_onnx(model)
    difference = max_probability_difference(model, onnx_bytes, test_frame)
    if not difference <= tolerance:
        raise ParityError(
            f"export: ONNX probabilities differ from the trained model's by {difference:.2e} on the test split, "
            f"above export.max_abs_diff={tolerance:.0e}; the model was not exported"
        )
    example = Features.model_validate(test_frame[list(FEATURE_COLUMNS)].iloc[0].to_dict()).model_dump()
    card = build_card(
        name=name,
        onnx_bytes=onnx_bytes,
        model=model,
        example=example,
        metrics=metrics or {},
        training_data_sha256=training_data_sha256,
        training_rows=training_rows,
        params=params or {},
        max_abs_diff=round(difference, 12),
    )
    onnx_path.parent.mkdir(parents=True, exist_ok=True)
    onnx_path.write_bytes(onnx_bytes)
    write_json(card, card_path)
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
) -> dict[str, Any]:
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
    print(f"export: {onnx_path} version {card['version']}, parity {card['parity']['max_abs_diff']:.1e}")
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
        params=p.train.model_dump(),
        tolerance=p.export.max_abs_diff,
    )
