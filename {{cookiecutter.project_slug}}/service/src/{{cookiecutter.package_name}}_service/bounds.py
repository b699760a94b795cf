"""Service (ML Engineers): cheap bounds on a body's shape, checked before pydantic validates it.

pydantic-core builds one error per unknown key while holding the GIL (and /healthz waits behind it),
so a body is bounded cheaply first:

1. Byte scans count colons (keys) and commas (values): a body with more than a full batch is refused.
2. Each JSON object is counted as it is parsed: one with more keys than a record has fields (plus
   KEY_SLACK, so a typo is still named) is refused.
3. A batch's records' keys are compared with the contract's fields by core's `key_errors` (its
   rules): missing and unknown fields answered here, as pydantic would name them. Types and ranges
   are pydantic's, once every record has the right keys.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic_core import PydanticKnownError

from {{ cookiecutter.package_name }}_core.rules import key_errors

from .errors import ServiceError
from .schemas import ErrorDetail, PredictRequest

# Keys beyond the contract's fields that pydantic may still see and name (typos, stale fields).
KEY_SLACK = 8
MAX_KEYS = len(PredictRequest.model_fields) + KEY_SLACK


class ShapeError(ServiceError, ValueError):
    """The body's shape breaks a bound or the contract's fields; `details` are the first errors, `count` all."""

    def __init__(self, detail: ErrorDetail | list[ErrorDetail], count: int = 1) -> None:
        self.details = detail if isinstance(detail, list) else [detail]
        super().__init__(self.details[0].reason)
        self.count = count


def _refusal(field: str, reason: str, kind: str) -> ShapeError:
    return ShapeError(ErrorDetail(field=field, reason=reason, type=kind))


class _TooManyKeys(Exception):
    """An object of more than MAX_KEYS keys; its count is the argument."""


def _bounded_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # The parser calls this for each object once its pairs are read, duplicates kept.
    if len(pairs) > MAX_KEYS:
        raise _TooManyKeys(len(pairs))
    return dict(pairs)


def _parse(body: bytes, field: str) -> Any:
    """The document, or None when it is not JSON (pydantic then names the syntax error)."""
    try:
        return json.loads(body, object_pairs_hook=_bounded_object)
    except _TooManyKeys as error:
        reason = f"An object with {error.args[0]} keys; a record has {MAX_KEYS - KEY_SLACK} fields."
        raise _refusal(field, reason, "too_many_keys") from None
    except (ValueError, RecursionError):  # deeper than the parser goes: pydantic refuses it as JSON too
        return None


def check_record(body: bytes) -> None:
    """Raise ShapeError if the single record's body holds an object of too many keys (parsed only when its
    colons, one per key, say it might)."""
    if body.count(b":") > MAX_KEYS:
        _parse(body, "body")


def _field_errors(records: list[Any], limit: int, record_model: type[PredictRequest]) -> tuple[list[ErrorDetail], int]:
    """The records' missing and unknown fields, in body order: the first `limit`, and how many in all.
    The reason is pydantic's text for the error type, so a reply reads the same whoever found it."""
    details: list[ErrorDetail] = []
    count = 0
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            continue  # not an object: pydantic names it (one error)
        errors = key_errors(record_model, record)
        count += len(errors)
        details += [
            ErrorDetail(field=f"records.{index}.{name}", reason=PydanticKnownError(kind).message(), type=kind)
            for name, kind in errors[: limit - len(details)]
        ]
    return details, count


def check_batch(body: bytes, max_records: int, limit: int, record_model: type[PredictRequest] = PredictRequest) -> None:
    """Raise ShapeError if a batch holds an object of too many keys, more than `max_records` records,
    or records with missing or unknown fields of `record_model` (the first `limit` of those errors, and the count)."""
    most = max_records * MAX_KEYS + 1  # +1: the key "records"
    for separator, kind in ((b":", "keys"), (b",", "values")):
        seen = body.count(separator)
        if seen > most:
            reason = f"{seen} {kind} or more; a batch of {max_records} records has at most {most}."
            raise _refusal("body", reason, f"too_many_{kind}")
    document = _parse(body, "records")
    records = document.get("records") if isinstance(document, dict) else None
    if isinstance(records, list) and len(records) > max_records:
        reason = f"{len(records)} records; at most {max_records} are scored in one call."
        raise _refusal("records", reason, "too_long")
    if isinstance(records, list):
        details, count = _field_errors(records, limit, record_model)
        if count:
            raise ShapeError(details, count)
