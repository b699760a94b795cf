"""Service (ML Engineers): the endpoints — predict, batch, health, readiness, model card and metrics.

Prediction bodies are parsed and validated in one pass by pydantic-core straight from bytes
(`model_validate_json`), turned into numpy arrays and scored (single records through the
micro-batcher); responses are serialised once. The OpenAPI schema still documents every body
and every error (see `openapi.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import PlainTextResponse, Response
from fastapi.routing import APIRoute
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import ValidationError
from pydantic_core import to_json

from {{ cookiecutter.package_name }}_service.errors import error_response, validation_error_response
from {{ cookiecutter.package_name }}_service.model import OnnxModel
from {{ cookiecutter.package_name }}_service.schemas import (
    BatchRequest,
    BatchResponse,
    ErrorResponse,
    Health,
    ModelInfo,
    PredictRequest,
    PredictResponse,
    Readiness,
)
from {{ cookiecutter.package_name }}_service.state import ModelState

JSON = "application/json"
ROUTES = ("/v1/predict", "/v1/predict/batch", "/healthz", "/readyz", "/v1/model", "/metrics")
HEALTHY = to_json({"status": "ok"})
Endpoint = Callable[[Request], Coroutine[Any, Any, Response]]


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorResponse, "description": description}


NOT_READY: dict[int | str, dict[str, Any]] = {
    503: _error("The model is not loaded yet (or failed to load: see /readyz).")
}
BODY_ERRORS: dict[int | str, dict[str, Any]] = {
    400: _error("The body is not valid JSON."),
    413: _error("The body is larger than MAX_BODY_BYTES."),
    422: _error("A record breaks the data contract: each offending field with its reason."),
    **NOT_READY,
}


def request_body(model: type[PredictRequest] | type[BatchRequest]) -> dict[str, Any]:
    """OpenAPI for a body the endpoint parses itself; `openapi.py` adds the schema to the components."""
    schema = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"requestBody": {"required": True, "content": {JSON: {"schema": schema}}}}


def _json(payload: Any) -> Response:
    return Response(to_json(payload), media_type=JSON)


def _not_ready(state: ModelState) -> Response:
    reason = state.failure or "The model is still loading."
    return error_response(503, reason, headers={"Retry-After": "5"})


def _model_info(state: ModelState, model: OnnxModel) -> ModelInfo:
    card = model.card
    return ModelInfo(
        name=card.name,
        version=card.version,
        target=card.target,
        classes=list(card.classes),  # checked against the contract's classes at load
        metrics=card.metrics,
        parity_max_abs_diff=card.parity_max_abs_diff,
        max_batch_records=state.settings.max_batch_records,
        input_schema=card.input_schema,
        example=PredictRequest.model_validate(card.example.model_dump()),
    )


class RawRoute(APIRoute):
    """An endpoint that takes the request and returns a finished response.

    FastAPI still documents it (response model, error responses, request body) but calls it
    directly, without solving dependencies or parsing the body: the endpoint does both in one pass.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint: Callable[[Request], Coroutine[Any, Any, Response]] = self.endpoint
        return endpoint


def add_routes(app: FastAPI, state: ModelState, batch_model: type[BatchRequest]) -> None:
    """Register the endpoints on the app itself, the hot ones first: routes are matched in order."""
    metrics = state.metrics

    def route(method: str, path: str, **options: Any) -> Callable[[Endpoint], Endpoint]:
        def register(endpoint: Endpoint) -> Endpoint:
            app.router.add_api_route(path, endpoint, methods=[method], route_class_override=RawRoute, **options)
            return endpoint

        return register

    @route(
        "POST",
        "/v1/predict",
        response_model=PredictResponse,
        summary="Score one record",
        responses=BODY_ERRORS,
        openapi_extra=request_body(PredictRequest),
    )
    async def predict(request: Request) -> Response:
        batcher = state.batcher
        if batcher is None:
            return _not_ready(state)
        try:
            record = PredictRequest.model_validate_json(await request.body())
        except ValidationError as error:
            return validation_error_response(error)
        label, probabilities = await batcher.submit(record)
        metrics.count_prediction(label)
        card = batcher.card
        return _json(
            {
                "prediction": label,
                "probabilities": dict(zip(card.classes, probabilities, strict=True)),
                "model_version": card.version,
            }
        )

    @route(
        "POST",
        "/v1/predict/batch",
        response_model=BatchResponse,
        summary="Score up to MAX_BATCH_RECORDS records",
        responses=BODY_ERRORS,
        openapi_extra=request_body(batch_model),
    )
    async def predict_batch(request: Request) -> Response:
        model = state.model
        if model is None:
            return _not_ready(state)
        try:
            records = batch_model.model_validate_json(await request.body()).records
        except ValidationError as error:
            return validation_error_response(error)
        labels, probabilities = model.predict(records)
        metrics.count_predictions(labels)
        metrics.batch_records.observe(len(records))
        classes = model.card.classes
        predictions = [
            {"prediction": label, "probabilities": dict(zip(classes, row, strict=True))}
            for label, row in zip(labels, probabilities.tolist(), strict=True)
        ]
        return _json({"predictions": predictions, "model_version": model.card.version})

    @route("GET", "/healthz", response_model=Health, summary="Liveness: the process answers")
    async def healthz(_: Request) -> Response:
        return Response(HEALTHY, media_type=JSON)

    @route(
        "GET",
        "/readyz",
        response_model=Readiness,
        summary="Readiness: the model is loaded",
        responses={503: {"model": Readiness, "description": "Still loading, or failed (with the reason)."}},
    )
    async def readyz(_: Request) -> Response:
        if state.model is not None:
            return _json({"status": "ready", "model_version": state.model.card.version})
        status = "failed" if state.failure else "loading"
        return Response(to_json({"status": status, "reason": state.failure}), status_code=503, media_type=JSON)

    @route("GET", "/v1/model", response_model=ModelInfo, summary="The served model's card", responses=NOT_READY)
    async def model_card(_: Request) -> Response:
        if state.model is None:
            return _not_ready(state)
        return Response(_model_info(state, state.model).model_dump_json(), media_type=JSON)

    @route(
        "GET",
        "/metrics",
        response_class=PlainTextResponse,
        summary="Prometheus metrics",
        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    )
    async def prometheus(_: Request) -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    @route("GET", "/openapi.json", include_in_schema=False)
    async def openapi_document(_: Request) -> Response:
        return _json(app.openapi())

    @route("GET", "/docs", include_in_schema=False)
    async def swagger_ui(_: Request) -> Response:
        return get_swagger_ui_html(openapi_url="/openapi.json", title=f"{app.title} — docs")
