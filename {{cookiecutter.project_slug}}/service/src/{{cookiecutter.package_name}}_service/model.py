"""Service (ML Engineers): the ONNX model — loaded once, checked against the contract, fed numpy arrays."""

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
    TARGET_CLASSES,
    Features,
)

CARD_NAME = "model_card.json"
ONNX_TYPES = {"float": "tensor(float)", "string": "tensor(string)"}
OUTPUTS = ["label", "probabilities"]


class ModelLoadError(RuntimeError):
    """The model file, its card or the two together do not fit the contract.

    Its message is shown to clients (`/readyz`): it names files by their name, never by their path.
    """


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
                target=str(data["target"]),
                classes=tuple(str(label) for label in data["classes"]),
                metrics={str(key): float(value) for key, value in data.get("metrics", {}).items()},
                input_schema=dict(data["input_schema"]),
                example=Features.model_validate(data["example"]),
                parity_max_abs_diff=_optional_float(data.get("parity", {}).get("max_abs_diff")),
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:  # any shape of bad JSON
            raise ModelLoadError(f"cannot read the model card {path.name}: {_reason(error)}") from error


def expected_inputs() -> dict[str, str]:
    """The ONNX inputs the contract implies: one per column, named as the column."""
    return {
        **dict.fromkeys(NUMERIC_COLUMNS, ONNX_TYPES["float"]),
        **dict.fromkeys(CATEGORICAL_COLUMNS, ONNX_TYPES["string"]),
    }


class OnnxModel:
    """An onnxruntime session plus its card; `predict` takes validated records, never a DataFrame."""

    _numbers = attrgetter(*NUMERIC_COLUMNS)

    def __init__(self, session: ort.InferenceSession, card: ModelCard) -> None:
        self._session = session
        self.card = card
        self._check_signature()
        if not set(card.classes) <= set(TARGET_CLASSES):
            raise ModelLoadError(f"model classes {card.classes} are not all in the contract's {TARGET_CLASSES}")
        try:
            labels, probabilities = self.predict([card.example])
        except Exception as error:  # onnxruntime raises its own types; the reason is the type, never a path
            raise ModelLoadError(f"the model cannot score its card's example: {type(error).__name__}") from error
        if probabilities.shape != (1, len(card.classes)) or labels[0] not in card.classes:
            raise ModelLoadError("the model's outputs do not match the classes on its card")

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

    def _check_signature(self) -> None:
        actual = {node.name: node.type for node in self._session.get_inputs()}
        if actual != expected_inputs():
            raise ModelLoadError(f"model inputs {actual} differ from the contract's {expected_inputs()}")
        outputs = {node.name for node in self._session.get_outputs()}
        if not set(OUTPUTS) <= outputs:
            raise ModelLoadError(f"model outputs {sorted(outputs)} lack {OUTPUTS}")

    def feed(self, records: Sequence[Features]) -> dict[str, NDArray[Any]]:
        """One [N, 1] array per input: float32 for numbers, strings for categories."""
        count = len(records)
        if count == 1:  # the common case, built directly
            record = records[0]
            inputs = {column: np.array([[getattr(record, column)]], dtype=np.float32) for column in NUMERIC_COLUMNS}
            for column in CATEGORICAL_COLUMNS:
                inputs[column] = np.array([[getattr(record, column)]], dtype=object)
            return inputs
        numbers = np.array([self._numbers(record) for record in records], dtype=np.float32).reshape(count, -1)
        columns = np.ascontiguousarray(numbers.T)
        inputs = {column: columns[index].reshape(count, 1) for index, column in enumerate(NUMERIC_COLUMNS)}
        for column in CATEGORICAL_COLUMNS:
            strings = np.array([getattr(record, column) for record in records], dtype=object)
            inputs[column] = strings.reshape(count, 1)
        return inputs

    def run(self, inputs: dict[str, NDArray[Any]]) -> tuple[list[str], NDArray[np.float32]]:
        """The labels and the [N, classes] probabilities, in the card's class order."""
        labels, probabilities = self._session.run(OUTPUTS, inputs)
        names: list[str] = labels.tolist()
        scores: NDArray[np.float32] = probabilities
        return names, scores

    def predict(self, records: Sequence[Features]) -> tuple[list[str], NDArray[np.float32]]:
        return self.run(self.feed(records))
