"""Service (ML Engineers): the errors the service raises, and the one JSON shape every refusal has.

The hierarchy:

* ServiceError: raised on purpose; anything else is a bug, answered 500 (`middleware.py`)
  + ModelLoadError: the model files do not fit the contract; its message is shown on /readyz
  + ShapeError (`bounds.py`): a body's shape breaks a bound, found before pydantic validates it
  + Refusal: a request answered with an error status, code and message
    - NotReady 503, Overloaded 503, Unauthorized 401, UnsupportedMediaType 415, BodyTooLarge 413, BodyTimeout 408

A reply's error list is capped (MAX_ERROR_DETAILS, the first in body order) and carries the total.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from http import HTTPStatus
from itertools import islice
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.exceptions import HTTPException

from .logs import request_id_var
from .schemas import ErrorDetail, ErrorResponse

CLOSE = {"Connection": "close"}  # the rest of the body is never read: the connection cannot be reused
RETRY = {"Retry-After": "5"}


class ServiceError(Exception):
    """Base of the errors the service raises on purpose."""


class ModelLoadError(ServiceError, RuntimeError):
    """The model file, its card or the two together do not fit the contract (named by file name, never path)."""


class Refusal(ServiceError):
    """A request refused with `status`, a short `code` and a message for the client."""

    status = 400
    code = "bad_request"
    headers: Mapping[str, str] = {}

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotReady(Refusal):
    status, code, headers = 503, "model_not_ready", RETRY

    def __init__(self, failure: str | None) -> None:
        super().__init__(failure or "The model is still loading.")


class Overloaded(Refusal):
    status, code, headers = 503, "overloaded", {"Retry-After": "1"}


class Unauthorized(Refusal):
    status, code, headers = 401, "unauthorized", {"WWW-Authenticate": "Bearer"}


class UnsupportedMediaType(Refusal):
    status, code = 415, "unsupported_media_type"


class BodyTooLarge(Refusal):
    status, code, headers = 413, "body_too_large", CLOSE

    def __init__(self, limit: int) -> None:
        super().__init__(f"The body is larger than the limit of {limit} bytes.")


class BodyTimeout(Refusal):
    status, code, headers = 408, "request_timeout", CLOSE

    def __init__(self, seconds: float) -> None:
        super().__init__(f"The body did not arrive within {seconds:g} s.")


DEFAULT_MAX_DETAILS = 20
# Codes of the statuses answered without a Refusal (the router, validation, a bug); others: the HTTP phrase.
ERROR_CODES = {
    400: "invalid_json",
    404: "not_found",
    405: "method_not_allowed",
    422: "invalid_record",
    500: "internal_error",
}


def error_body(
    status: int,
    message: str,
    detail: Sequence[ErrorDetail] = (),
    count: int | None = None,
    code: str | None = None,
    request_id: str | None = None,
) -> bytes:
    error = ErrorResponse(
        error=code or ERROR_CODES.get(status, HTTPStatus(status).phrase.lower().replace(" ", "_")),
        message=message,
        detail=list(detail),
        error_count=len(detail) if count is None else count,
        request_id=request_id or request_id_var.get() or "-",
    )
    return error.model_dump_json().encode()


def error_response(
    status: int,
    message: str,
    detail: Sequence[ErrorDetail] = (),
    headers: Mapping[str, str] | None = None,
    count: int | None = None,
    code: str | None = None,
) -> Response:
    body = error_body(status, message, detail, count, code)
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def refusal_response(refusal: Refusal) -> Response:
    return error_response(refusal.status, refusal.message, headers=refusal.headers, code=refusal.code)


# An unknown field's name is the client's text: echoed truncated, so replies stay small.
MAX_FIELD_CHARS = 64


def _field(location: Iterable[Any]) -> str:
    parts = [str(part) for part in location if part != "body"]
    field = ".".join(parts) or "body"
    return field if len(field) <= MAX_FIELD_CHARS else f"{field[: MAX_FIELD_CHARS - 3]}..."


def details_of(errors: Iterable[Mapping[str, Any]], limit: int = DEFAULT_MAX_DETAILS) -> list[ErrorDetail]:
    """Field, reason and type of the first `limit` errors; the offending input is never echoed back."""
    return [
        ErrorDetail(field=_field(item["loc"]), reason=str(item["msg"]), type=str(item["type"]))
        for item in islice(errors, limit)
    ]


def validation_error_response(error: ValidationError, limit: int = DEFAULT_MAX_DETAILS) -> Response:
    """400 when the body is not JSON at all; 422 with the first `limit` offending fields and the total otherwise."""
    errors = error.errors(include_url=False, include_input=False, include_context=False)
    if errors[0]["type"] == "json_invalid":
        reason = "; ".join(str(item["msg"]) for item in errors)
        return error_response(
            400, "The body is not valid JSON.", [ErrorDetail(field="body", reason=reason, type="json_invalid")]
        )
    message = "The request breaks the data contract."
    return error_response(422, message, details_of(errors, limit), count=error.error_count())


async def _refusal(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, Refusal)
    return refusal_response(exc)


async def _http_exception(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return error_response(exc.status_code, str(exc.detail), headers=exc.headers)


async def _request_validation(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    return error_response(422, "The request breaks the data contract.", details_of(errors), count=len(errors))


def install_error_handlers(app: FastAPI) -> None:
    """Refusals, HTTP and validation errors get the one shape; a bug is answered 500 in `middleware.py`."""
    app.add_exception_handler(Refusal, _refusal)
    app.add_exception_handler(HTTPException, _http_exception)
    app.add_exception_handler(RequestValidationError, _request_validation)
