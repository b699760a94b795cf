"""Service (ML Engineers): cheap bounds on a body's shape, checked before pydantic validates it.

pydantic-core validates a record key by key and builds one error per unknown key, holding the
GIL throughout: 1 MB of unknown keys in one record costs it about 0.6 s of CPU, on a worker
thread or not, and /healthz waits behind it. Any C call that holds the GIL that long starves
the event loop (it releases the GIL at every syscall and waits for it again), so the checks
here are cheap first and exact second:

1. Every key is followed by a colon, and every further element of an array or object follows a
   comma, so two byte scans (under a millisecond per megabyte each) bound the keys and values
   of a body: one with more than a full batch has is refused (1 MB of `{},` is 330,000 records,
   whose parse alone would take 0.1 s).
2. Then every JSON object is counted as the standard parser builds it (duplicated keys
   included, which pydantic would also walk): an object of more keys than a record has fields
   (plus a little slack, so a typo is still named by pydantic), or more records than
   MAX_BATCH_RECORDS, is refused. This parse is bounded by step 1.

3. In a batch, the records' keys are compared with the contract's fields: missing (required)
   and unknown fields are answered from here (the first MAX_ERROR_DETAILS, and the count), as pydantic
   would name them. Bounded records can still make many errors — 1,000 records of 14 unknown
   keys are 20,000, about 0.3 s of pydantic's time — and a set comparison per record costs
   microseconds. Types and ranges are checked by pydantic once every record has the right keys.

All answer 422 before pydantic sees the body; pydantic then only ever validates bounded records.
(A batch whose string values hold many colons could be refused by step 1; the contract's
categories hold none, and the bound allows KEY_SLACK colons per record beyond its fields.)
"""

from __future__ import annotations

import json
from typing import Any

from .errors import ServiceError
from .schemas import ErrorDetail, PredictRequest

# Keys beyond the contract's fields that pydantic may still see and name (typos, stale fields).
KEY_SLACK = 8
FIELDS = tuple(PredictRequest.model_fields)
FIELD_SET = frozenset(FIELDS)
# The contract's optional fields may be left out; the others must be there.
REQUIRED = tuple(name for name, field in PredictRequest.model_fields.items() if field.is_required())
REQUIRED_SET = frozenset(REQUIRED)
MAX_KEYS = len(FIELDS) + KEY_SLACK
# pydantic's own messages for the same errors, so a reply reads the same whoever found them.
MISSING = "Field required"
EXTRA = "Extra inputs are not permitted"


class ShapeError(ServiceError, ValueError):
    """The body's shape breaks a bound or the contract's fields; `details` are the first errors, `count` all."""

    def __init__(self, detail: ErrorDetail | list[ErrorDetail], count: int = 1) -> None:
        self.details = detail if isinstance(detail, list) else [detail]
        super().__init__(self.details[0].reason)
        self.count = count


class _TooManyKeys(Exception):
    def __init__(self, count: int) -> None:
        super().__init__(count)
        self.count = count


def _bounded_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # The parser calls this for each object once its pairs are read, duplicates kept.
    if len(pairs) > MAX_KEYS:
        raise _TooManyKeys(len(pairs))
    return dict(pairs)


def _too_many_keys(count: int, field: str) -> ShapeError:
    return ShapeError(
        ErrorDetail(
            field=field,
            reason=f"An object with {count} keys; a record has {MAX_KEYS - KEY_SLACK} fields.",
            type="too_many_keys",
        )
    )


def _parse(body: bytes, field: str) -> Any:
    """The document, or None when it is not JSON (pydantic then names the syntax error)."""
    try:
        return json.loads(body, object_pairs_hook=_bounded_object)
    except _TooManyKeys as error:
        raise _too_many_keys(error.count, field) from None
    except (ValueError, RecursionError):  # deeper than the parser goes: pydantic refuses it as JSON too
        return None


def check_record(body: bytes) -> None:
    """Raise ShapeError if the single record's body holds an object of too many keys.

    Every key is followed by a colon, so a body with few colons has few keys: the common case
    costs one byte scan and the body is parsed here only when it might be hostile.
    """
    if body.count(b":") > MAX_KEYS:
        _parse(body, "body")


def _field_errors(records: list[Any], limit: int) -> tuple[list[ErrorDetail], int]:
    """The records' missing and unknown fields, in body order: the first `limit`, and how many in all."""
    details: list[ErrorDetail] = []
    count = 0
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            continue  # not an object: pydantic names it (one error)
        keys = record.keys()
        if keys == FIELD_SET or REQUIRED_SET <= keys <= FIELD_SET:
            continue  # the right keys: pydantic checks the values
        missing = [name for name in REQUIRED if name not in record]
        extra = [name for name in record if name not in FIELD_SET]
        count += len(missing) + len(extra)
        for name, reason, kind in [(n, MISSING, "missing") for n in missing] + [
            (n, EXTRA, "extra_forbidden") for n in extra
        ]:
            if len(details) < limit:
                details.append(ErrorDetail(field=f"records.{index}.{name}", reason=reason, type=kind))
    return details, count


def check_batch(body: bytes, max_records: int, limit: int) -> None:
    """Raise ShapeError if a batch holds an object of too many keys, more than `max_records` records,
    or records with missing or unknown fields (the first `limit` of those errors, and the count)."""
    most = max_records * MAX_KEYS + 1  # +1: the key "records"
    for separator, kind in ((b":", "keys"), (b",", "values")):
        seen = body.count(separator)
        if seen > most:
            raise ShapeError(
                ErrorDetail(
                    field="body",
                    reason=f"{seen} {kind} or more; a batch of {max_records} records has at most {most}.",
                    type=f"too_many_{kind}",
                )
            )
    document = _parse(body, "records")
    records = document.get("records") if isinstance(document, dict) else None
    if isinstance(records, list) and len(records) > max_records:
        raise ShapeError(
            ErrorDetail(
                field="records",
                reason=f"{len(records)} records; at most {max_records} are scored in one call.",
                type="too_long",
            )
        )
    if isinstance(records, list):
        details, count = _field_errors(records, limit)
        if count:
            raise ShapeError(details, count)
