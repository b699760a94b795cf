"""Service (ML Engineers): the ONNX model — loaded once and verified (core's load_verified), fed numpy arrays.

A missing optional value reaches the graph as NaN (numbers) or `MISSING_CATEGORY` (categories: a string tensor
holds no NaN), as the card's `missing_value` says; the graph fills both as the trained pipeline does.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from operator import attrgetter
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from numpy.typing import NDArray

from {{ cookiecutter.package_name }}_core import (
    CARD_NAME,
    CATEGORICAL_COLUMNS,
    NUMERIC_COLUMNS,
    OPTIONAL_COLUMNS,
    TASK,
    CardError,
    Features,
    ModelCard,
    load_verified,
)
from {{ cookiecutter.package_name }}_core.fingerprint import contract_fingerprint

from .errors import ModelLoadError
from .tasks import OUTPUTS, Answer

ONNX_TYPES = {"float": "tensor(float)", "string": "tensor(string)"}
MISSING_CATEGORY = ""


# The gate's outcome when it refuses a model (pipelines' gate.py writes it to reports/registry.json).
REFUSED = "below_floor"


def gate_refusal(model_path: Path, record_path: Path | None) -> str | None:
    """Why there is no model, when neither it nor its card exists and the gate record (`GATE_RECORD`) is a
    refusal of a model of this contract; None otherwise. An absolute record path is named by its name alone."""
    if record_path is None or model_path.exists() or model_path.with_name(CARD_NAME).exists():
        return None
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
        if record["outcome"] != REFUSED or record["contract"] != contract_fingerprint():
            return None
        reason, run_id = str(record["reason"]), record.get("run_id")
    except (OSError, ValueError, KeyError, TypeError):
        return None
    where = record_path.name if record_path.is_absolute() else record_path.as_posix()
    tracked = f" and in MLflow run {run_id}" if run_id else ""
    return f"the gate refused the model, so none has shipped: {reason}. The decision is recorded in {where}{tracked}"


def expected_inputs() -> dict[str, str]:
    """The ONNX inputs the contract implies: one per column, named as the column."""
    return {
        **dict.fromkeys(NUMERIC_COLUMNS, ONNX_TYPES["float"]),
        **dict.fromkeys(CATEGORICAL_COLUMNS, ONNX_TYPES["string"]),
    }


class OnnxModel:
    """An onnxruntime session plus its card; `predict` takes validated records, never a DataFrame."""

    _numbers = attrgetter(*NUMERIC_COLUMNS) if NUMERIC_COLUMNS else None
    _optional_categories = tuple(column for column in CATEGORICAL_COLUMNS if column in OPTIONAL_COLUMNS)

    def __init__(self, session: ort.InferenceSession, card: ModelCard) -> None:
        self._session = session
        self.card = card
        if card.task != TASK:
            raise ModelLoadError(f"the model was trained for {card.task}; the contract's task is {TASK}")
        try:
            example = card.example_features()
        except CardError as error:
            raise ModelLoadError(str(error)) from error
        self._output_names = self._check_signature()
        try:
            outputs = self.run(self.feed([example]))
        except Exception as error:  # onnxruntime raises its own types; the reason is the type, never a path
            raise ModelLoadError(f"the model cannot score its card's example: {type(error).__name__}") from error
        OUTPUTS.check(outputs, tuple(card.classes))

    @classmethod
    def load(cls, path: Path, *, threads: int = 1) -> OnnxModel:
        """The ONNX file and its sibling card, verified by core's `load_verified`; the session runs the hashed bytes."""
        try:
            onnx_bytes, card = load_verified(path)
        except CardError as error:  # its message names files by name, never by path
            raise ModelLoadError(str(error)) from error
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            session = ort.InferenceSession(onnx_bytes, sess_options=options, providers=["CPUExecutionProvider"])
        except Exception as error:  # onnxruntime raises its own exception types for unreadable files
            raise ModelLoadError(f"cannot load the ONNX model {path.name}: {type(error).__name__}") from error
        return cls(session, card)

    def _check_signature(self) -> list[str]:
        """The outputs to fetch, once the inputs are checked against the contract."""
        actual = {node.name: node.type for node in self._session.get_inputs()}
        if actual != expected_inputs():
            raise ModelLoadError(f"model inputs {actual} differ from the contract's {expected_inputs()}")
        return OUTPUTS.names([node.name for node in self._session.get_outputs()])

    def feed(self, records: Sequence[Features]) -> dict[str, NDArray[Any]]:
        """One [N, 1] array per input: float32 for numbers (None becomes NaN), strings for categories."""
        count = len(records)
        if count == 1:  # the common case, built directly
            record = records[0]
            inputs = {column: np.array([[getattr(record, column)]], dtype=np.float32) for column in NUMERIC_COLUMNS}
            for column in CATEGORICAL_COLUMNS:
                inputs[column] = np.array([[getattr(record, column)]], dtype=object)
        else:
            inputs = {}
            if self._numbers is not None:
                rows = [self._numbers(record) for record in records]
                numbers = np.array(rows, dtype=np.float32).reshape(count, -1)
                columns = np.ascontiguousarray(numbers.T)
                inputs = {column: columns[index].reshape(count, 1) for index, column in enumerate(NUMERIC_COLUMNS)}
            for column in CATEGORICAL_COLUMNS:
                strings = np.array([getattr(record, column) for record in records], dtype=object)
                inputs[column] = strings.reshape(count, 1)
        for column in self._optional_categories:
            strings = inputs[column]
            strings[strings == None] = MISSING_CATEGORY  # noqa: E711 (element-wise comparison)
        return inputs

    def run(self, inputs: dict[str, NDArray[Any]]) -> list[NDArray[Any]]:
        """The model's outputs that the task reads (`tasks.py`), for these inputs."""
        outputs: list[NDArray[Any]] = self._session.run(self._output_names, inputs)
        return outputs

    def predict(self, records: Sequence[Features]) -> list[Answer]:
        """One answer per record, as the API sends it (without the model version)."""
        return OUTPUTS.answers(self.run(self.feed(records)), tuple(self.card.classes))
