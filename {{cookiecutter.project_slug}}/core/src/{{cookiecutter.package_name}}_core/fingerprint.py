"""Core (Data Scientists + ML Engineers): a fingerprint of the data contract, so models of different contracts never compete.

The fingerprint covers what a model's inputs and outputs mean: the feature schema (names, types,
ranges, categories), the target and its classes. Descriptions are left out, so rewording a
docstring does not start a new model line, and so is a range's provenance (`"bounds": "observed"` or
`"physical"`, research's mark): the range itself is in.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from .contract import TARGET, TARGET_CLASSES, Features

_IGNORED_KEYS = frozenset({"description", "title", "bounds"})


def _without_prose(node: Any) -> Any:
    """The JSON schema without its prose keywords; names under `properties` and `$defs` are columns, kept."""
    if isinstance(node, list):
        return [_without_prose(item) for item in node]
    if not isinstance(node, dict):
        return node
    kept: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("properties", "$defs") and isinstance(value, dict):
            kept[key] = {name: _without_prose(schema) for name, schema in value.items()}
        elif key not in _IGNORED_KEYS:
            kept[key] = _without_prose(value)
    return kept


def contract_fingerprint(
    features: type[BaseModel] = Features, target: str = TARGET, classes: Sequence[str] = TARGET_CLASSES
) -> str:
    """sha256 (hex) of the contract's canonical JSON: feature schema, target and classes."""
    contract = {
        "features": _without_prose(features.model_json_schema()),
        "target": target,
        "classes": list(classes),
    }
    canonical = json.dumps(contract, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
