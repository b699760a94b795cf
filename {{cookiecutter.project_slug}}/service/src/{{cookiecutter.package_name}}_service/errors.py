"""Service (ML Engineers): one error shape for every refusal — code, message, offending fields, request id.

An error list is capped (`MAX_ERROR_DETAILS`, the first ones in body order) and carries the total
(`error_count`): a small body of many bad records cannot make a reply many times its size.
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


class ServiceError(Exception):
    """Base of the errors the service raises on purpose (anything else is a bug, answered 500)."""


class ModelLoadError(ServiceError, RuntimeError):
    """The model file, its card or the two together do not fit the contract.

    Its message is shown to clients (`/readyz`): it names files by their name, never by their path.
    """


DEFAULT_MAX_DETAILS = 20

ERROR_CODES = {
    400: "invalid_json",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    413: "body_too_large",
    415: "unsupported_media_type",
    422: "invalid_record",
    431: "headers_too_large",
    500: "internal_error",
    503: "model_not_ready",
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
        request_id=request_id or request_id_var.get(),
    )
    return error.model_dump_json().encode()


def error_response(
    status: int,
    message: str,
    detail: Sequence[ErrorDetail] = (),
    headers: Mapping[str, str] | None = None,
    count: int | None = None,
) -> Response:
    return Response(
        error_body(status, message, detail, count), status_code=status, media_type="application/json", headers=headers
    )


# An unknown field's name is the client's text: echoed truncated, so replies stay small.
MAX_FIELD_CHARS = 64


def _field(location: Iterable[Any]) -> str:
    parts = [str(part) for part in location if part != "body"]
    field = ".".join(parts) or "body"
    return field if len(field) <= MAX_FIELD_CHARS else f"{field[: MAX_FIELD_CHARS - 3]}..."


def details_of(errors: Iterable[Mapping[str, Any]], limit: int = DEFAULT_MAX_DETAILS) -> list[ErrorDetail]:
    """Field and reason of the first `limit` errors; the offending input is never echoed back (it may be huge)."""
    return [
        ErrorDetail(field=_field(item["loc"]), reason=str(item["msg"]), type=str(item["type"]))
        for item in islice(errors, limit)
    ]


def validation_error_response(error: ValidationError, limit: int = DEFAULT_MAX_DETAILS) -> Response:
    """400 when the body is not JSON at all; 422 with the first `limit` offending fields and the total otherwise."""
    # `bounds.py` keeps the count bounded (records x fields); the count itself costs nothing.
    count = error.error_count()
    errors = error.errors(include_url=False, include_input=False, include_context=False)
    if any(item["type"] == "json_invalid" for item in errors[:1]):
        reason = "; ".join(str(item["msg"]) for item in errors)
        return error_response(
            400, "The body is not valid JSON.", [ErrorDetail(field="body", reason=reason, type="json_invalid")]
        )
    return error_response(422, "The request breaks the data contract.", details_of(errors, limit), count=count)


async def _http_exception(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return error_response(exc.status_code, str(exc.detail), headers=exc.headers)


async def _request_validation(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    return error_response(422, "The request breaks the data contract.", details_of(errors), count=len(errors))


def install_error_handlers(app: FastAPI) -> None:
    """HTTP and validation errors get the one shape. Unexpected errors and client disconnects are
    handled in `middleware.py`, which knows the request id and logs each once."""
    app.add_exception_handler(HTTPException, _http_exception)
    app.add_exception_handler(RequestValidationError, _request_validation)
