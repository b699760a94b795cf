"""Service (ML Engineers): the ONNX model — loaded once, checked against the contract, fed numpy arrays.

When there is no model at all, `gate_refusal` reads the pipeline's last gate decision: a model the
gate refused never reaches `models/champion/`, and the service says so, with the gate's numbers,
rather than that a file is missing.

A missing value in one of the contract's OPTIONAL_COLUMNS (null or left out) reaches the model as
NaN in a numeric column and as `MISSING_CATEGORY` ("") in a categorical one: a string tensor holds
no NaN, so the pipeline's export makes its category imputers look for "" (its card says so under
`missing_value`), and the graph fills both as the trained pipeline does.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from numpy.typing import NDArray
from pydantic import ValidationError

from {{ cookiecutter.package_name }}_core.contract import (
    CATEGORICAL_COLUMNS,
    NUMERIC_COLUMNS,
    OPTIONAL_COLUMNS,
    TASK,
    Features,
)
from {{ cookiecutter.package_name }}_core.fingerprint import contract_fingerprint

from .errors import ModelLoadError
from .tasks import OUTPUTS, Answer

CARD_NAME = "model_card.json"
ONNX_TYPES = {"float": "tensor(float)", "string": "tensor(string)"}
MISSING_CATEGORY = ""


def _reason(error: Exception) -> str:
    """An error's reason without the file path that OSError and friends put in their message."""
    if isinstance(error, OSError):
        return error.strerror or type(error).__name__
    if isinstance(error, ValidationError):  # the card's example: field and reason, no docs URL
        return "; ".join(
            f"example.{'.'.join(map(str, item['loc'])) or 'record'}: {item['msg']}"
            for item in error.errors(include_url=False)[:3]
        )
    if isinstance(error, KeyError):
        return f"missing field {error}"
    return str(error)


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True)
class ModelCard:
    """The parts of the pipeline's model card that the service reads."""

    name: str
    version: str
    sha256: str
    task: str
    target: str
    classes: tuple[str, ...]
    metrics: dict[str, float]
    input_schema: dict[str, Any]
    example: Features
    parity_max_abs_diff: float | None

    @classmethod
    def read(cls, path: Path) -> ModelCard:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                name=str(data["name"]),
                version=str(data["version"]),
                sha256=str(data["sha256"]).lower(),
                # Cards written before regression existed name no task: they are classifiers.
                task=str(data.get("task", "classification")),
                target=str(data["target"]),
                classes=tuple(str(label) for label in data.get("classes", [])),
                metrics={str(key): float(value) for key, value in data.get("metrics", {}).items()},
                input_schema=dict(data["input_schema"]),
                example=Features.model_validate(data["example"]),
                parity_max_abs_diff=_optional_float(data.get("parity", {}).get("max_abs_diff")),
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:  # any shape of bad JSON
            raise ModelLoadError(f"cannot read the model card {path.name}: {_reason(error)}") from error


# The gate's outcome when it refuses a model (pipelines' gate.py writes it to reports/registry.json).
REFUSED = "below_floor"


def gate_refusal(model_path: Path, record_path: Path | None) -> str | None:
    """Why there is no model, in words, when the pipeline's gate refused it; None otherwise.

    Only when neither the model nor its card exists and the record (`GATE_RECORD`) is a refusal of a
    model of this code's data contract: a record of other data, unreadable, or of a model that shipped
    explains nothing, and the load's own error stands. The record is named as configured when relative
    (the project's layout), by its name alone when absolute: a reason names no server path.
    """
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
        self._output_names = self._check_signature()
        try:
            outputs = self.run(self.feed([card.example]))
        except Exception as error:  # onnxruntime raises its own types; the reason is the type, never a path
            raise ModelLoadError(f"the model cannot score its card's example: {type(error).__name__}") from error
        OUTPUTS.check(outputs, card.classes)

    @classmethod
    def load(cls, path: Path, *, threads: int = 1) -> OnnxModel:
        """Read the ONNX file and its sibling card; fail with a clear message if they do not fit.

        The file is read once and hashed: its SHA-256 must equal the card's `sha256` (a model
        swapped or altered after the pipeline exported it is refused), and the version the
        service reports is derived from that hash, never copied from the card's text. The
        session is built from the very bytes that were hashed.
        """
        card = ModelCard.read(path.with_name(CARD_NAME))
        try:
            onnx_bytes = path.read_bytes()
        except OSError as error:
            raise ModelLoadError(f"cannot read the ONNX model {path.name}: {_reason(error)}") from error
        digest = hashlib.sha256(onnx_bytes).hexdigest()
        if not hmac.compare_digest(digest, card.sha256):
            raise ModelLoadError(
                f"the ONNX model {path.name} does not match its card: sha256 {digest[:12]}..., "
                f"the card says {card.sha256[:12]}... (altered or swapped after export)"
            )
        card = dataclasses.replace(card, version=digest[:12])
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
        return OUTPUTS.answers(self.run(self.feed(records)), self.card.classes)
