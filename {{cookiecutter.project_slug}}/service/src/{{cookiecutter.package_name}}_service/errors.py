"""Service (ML Engineers): one error shape for every refusal — code, message, offending fields, request id."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import ValidationError
from pydantic_core import ErrorDetails
from starlette.exceptions import HTTPException

from {{ cookiecutter.package_name }}_service.logs import request_id_var
from {{ cookiecutter.package_name }}_service.schemas import ErrorDetail, ErrorResponse

logger = logging.getLogger(__name__)

ERROR_CODES = {
    400: "invalid_json",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    422: "invalid_record",
    500: "internal_error",
    503: "model_not_ready",
}


def error_body(status: int, message: str, detail: Sequence[ErrorDetail] = ()) -> bytes:
    error = ErrorResponse(
        error=ERROR_CODES.get(status, HTTPStatus(status).phrase.lower().replace(" ", "_")),
        message=message,
        detail=list(detail),
        request_id=request_id_var.get(),
    )
    return error.model_dump_json().encode()


def error_response(
    status: int, message: str, detail: Sequence[ErrorDetail] = (), headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        error_body(status, message, detail), status_code=status, media_type="application/json", headers=headers
    )


def _field(location: Iterable[Any]) -> str:
    parts = [str(part) for part in location if part != "body"]
    return ".".join(parts) or "body"


def details_of(errors: Iterable[ErrorDetails] | Iterable[Mapping[str, Any]]) -> list[ErrorDetail]:
    """Field and reason of each error; the offending input is never echoed back (it may be huge)."""
    return [ErrorDetail(field=_field(item["loc"]), reason=str(item["msg"]), type=str(item["type"])) for item in errors]


def validation_error_response(error: ValidationError) -> Response:
    """400 when the body is not JSON at all; 422 with every offending field otherwise."""
    errors = error.errors(include_url=False, include_input=False, include_context=False)
    if any(item["type"] == "json_invalid" for item in errors):
        reason = "; ".join(str(item["msg"]) for item in errors)
        return error_response(
            400, "The body is not valid JSON.", [ErrorDetail(field="body", reason=reason, type="json_invalid")]
        )
    return error_response(422, "The request breaks the data contract.", details_of(errors))


async def _http_exception(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return error_response(exc.status_code, str(exc.detail), headers=exc.headers)


async def _request_validation(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return error_response(422, "The request breaks the data contract.", details_of(exc.errors()))


async def _unexpected(_: Request, exc: Exception) -> Response:
    logger.error("unhandled error", exc_info=exc)
    return error_response(500, "Internal error; the request id is in the logs.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, _http_exception)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(Exception, _unexpected)
