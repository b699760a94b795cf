"""Pipelines (MLOps): a model file checked against its card's sha256 — the one rule the gate, `make champion` and batch scoring share."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import StageFailed
from .files import sha256_file


class IntegrityError(StageFailed):
    """A model file does not match the sha256 (and version) its card records."""


def verify(onnx_path: Path, card: dict[str, Any], name: str | None = None) -> None:
    """Refuse a model whose bytes are not the ones its card vouches for; `name` is how messages call it."""
    name = name or onnx_path.name
    expected = card.get("sha256")
    if not expected:
        raise IntegrityError(f"the card of {name} has no sha256: re-export the model (make repro)")
    actual = sha256_file(onnx_path)
    if actual != expected:
        raise IntegrityError(
            f"{name} does not match its card: sha256 {actual[:12]}… but the card records {str(expected)[:12]}…; "
            "the file was changed after export and is refused"
        )
    if card.get("version") != actual[:12]:
        raise IntegrityError(f"the card of {name} names version {card.get('version')!r}, not {actual[:12]!r}")
