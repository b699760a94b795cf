"""Core (ML Engineers + MLOps): the model card export writes beside the ONNX model, and its hash check.

Every reader (gate, `make champion`, scoring, monitoring, service) loads a model through `load_verified`.
In core, with pydantic alone, so the service reads it without the `features` extra.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from .contract import Features

CARD_NAME = "model_card.json"
MODEL_NAME = "model.onnx"
HEX_SHA256 = r"^[0-9a-f]{64}$"


class CardError(ValueError):
    """A model or its card is refused: `file` is the file's name (never its path), `field` the card field at fault."""

    def __init__(self, file: str, field: str | None, reason: str) -> None:
        super().__init__(reason)
        self.file, self.field = file, field


def _reasons(error: ValidationError, prefix: str = "") -> tuple[str | None, str]:
    """The first failing field and the first three `field: reason`s, without pydantic's docs URL."""
    items = error.errors(include_url=False, include_input=False)
    fields = [prefix + ".".join(map(str, item["loc"])) for item in items]
    reasons = "; ".join(f"{field}: {item['msg']}" for field, item in zip(fields, items[:3], strict=False))
    return fields[0] or None, reasons  # a JSON syntax error has no field


class TrainingData(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    sha256: str  # of the train split's file
    rows: int = Field(ge=0)


class ModelCard(BaseModel):
    """One exported model: its hash, its contract, what it takes and gives, and how it was made."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    sha256: str = Field(pattern=HEX_SHA256)  # of the ONNX file's bytes
    version: str  # the sha256's first 12 characters: what the service reports
    contract: str = Field(pattern=HEX_SHA256)  # contract_fingerprint() of the code that trained it
    format: Literal["onnx"] = "onnx"
    task: Literal["classification", "regression"]
    target: str
    estimator: str
    classes: list[str]  # classification: the order of `probabilities`; regression: none
    metrics: dict[str, float]
    training_data: TrainingData
    input_schema: dict[str, Any]
    inputs: dict[str, Literal["float", "string"]]
    optional: list[str]  # columns a record may leave out; `missing_value` is how the graph reads a gap
    missing_value: dict[str, str]
    outputs: dict[str, str]
    example: dict[str, Any]  # a valid request of its contract (`example_features`)
    params: dict[str, Any]
    parity: dict[str, float]

    @field_validator("version")
    @classmethod
    def _version_is_the_hash(cls, version: str, info: ValidationInfo) -> str:
        sha256 = info.data.get("sha256")
        if sha256 is not None and version != sha256[:12]:
            raise ValueError(f"{version!r} is not the sha256's first 12 characters")
        return version

    @classmethod
    def read(cls, path: Path) -> ModelCard:
        """The card at `path`; CardError when it is missing, not JSON, or not of this shape."""
        try:
            return cls.model_validate_json(path.read_bytes())
        except OSError as error:
            raise CardError(path.name, None, f"cannot read the model card {path.name}: {error.strerror}") from error
        except ValidationError as error:
            field, reasons = _reasons(error)
            raise CardError(path.name, field, f"the model card {path.name} is malformed: {reasons}") from error

    def write(self, path: Path) -> None:
        """Stable JSON (sorted keys): the same model always writes the same bytes."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.model_dump(mode="json"), indent=2, sort_keys=True) + "\n", encoding="utf-8")

    def verify(self, onnx_bytes: bytes, name: str = MODEL_NAME) -> None:
        """Refuse bytes that are not the ones this card vouches for (changed or swapped after export)."""
        digest = hashlib.sha256(onnx_bytes).hexdigest()
        if not hmac.compare_digest(digest, self.sha256):
            raise CardError(
                name,
                "sha256",
                f"{name} does not match its card: sha256 {digest[:12]}..., the card records {self.sha256[:12]}...; "
                "the file was changed after export and is refused",
            )

    def example_features(self) -> Features:
        """The card's example as a request of this code's contract; CardError when it is not one."""
        try:
            return Features.model_validate(self.example)
        except ValidationError as error:
            field, reasons = _reasons(error, "example.")
            reason = f"the example on {CARD_NAME} is not a valid request: {reasons}"
            raise CardError(CARD_NAME, field, reason) from error


def load_verified(onnx_path: Path, card_path: Path | None = None) -> tuple[bytes, ModelCard]:
    """The ONNX bytes and their card (`CARD_NAME` beside them unless given), refused unless they match.

    The one way to load a model: build the inference session from these very bytes, so what runs is what was hashed.
    """
    card = ModelCard.read(card_path or onnx_path.with_name(CARD_NAME))
    try:
        onnx_bytes = onnx_path.read_bytes()
    except OSError as error:
        raise CardError(onnx_path.name, None, f"cannot read the model {onnx_path.name}: {error.strerror}") from error
    card.verify(onnx_bytes, onnx_path.name)
    return onnx_bytes, card
