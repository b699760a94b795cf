"""Service (ML Engineers): the endpoints — predict, batch, health, readiness, model card and metrics.

Every route is an ordinary FastAPI route: its dependencies (the API keys) run. The two prediction
routes take the `Request` and validate the body from its bytes with pydantic-core in one pass,
then return a finished JSON response: bench/peers.py measures that against a route with a model
parameter and a response model ("ours, ordinary route"). Their body schemas are documented through
`openapi_extra` (`openapi.py` adds the models to the components).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel, ValidationError
from pydantic_core import to_json

from {{ cookiecutter.package_name }}_core.contract import TASK

from .auth import ApiKeys
from .bounds import ShapeError, check_batch, check_record
from .errors import NotReady, UnsupportedMediaType, error_response, validation_error_response
from .model import OnnxModel
from .schemas import (
    BatchRequest,
    BatchResponse,
    ErrorResponse,
    Health,
    ModelInfo,
    PredictRequest,
    PredictResponse,
    Readiness,
)
from .state import DRAINING, ModelState

JSON = "application/json"
ROUTES = ("/v1/predict", "/v1/predict/batch", "/healthz", "/readyz", "/v1/model", "/metrics")
# Batch bodies above OFFLOAD_BODY_BYTES are validated and scored on these threads, off the event
# loop, so /healthz and single predictions keep answering while a large or hostile batch is processed.
BATCH_THREADS = 2


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorResponse, "description": description}


NOT_READY: dict[int | str, dict[str, Any]] = {
    503: _error(
        "The model is not loaded yet (or failed to load: see /readyz), or MAX_CONCURRENCY requests are in "
        "flight (`overloaded`, retry after Retry-After)."
    )
}
AUTH_ERRORS: dict[int | str, dict[str, Any]] = {401: _error("API_KEYS is set and no valid key was sent.")}
BODY_ERRORS: dict[int | str, dict[str, Any]] = {
    400: _error("The body is not valid JSON."),
    408: _error("The body did not arrive within BODY_TIMEOUT_SECONDS."),
    413: _error("The body is larger than MAX_BODY_BYTES (MAX_RECORD_BYTES for a single record)."),
    415: _error("The Content-Type is not application/json."),
    422: _error("A record breaks the data contract: the first offending fields with their reasons, and the count."),
    **NOT_READY,
}


def request_body(model: type[BaseModel]) -> dict[str, Any]:
    """OpenAPI for a body the endpoint validates itself; `openapi.py` adds the schema to the components."""
    schema = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"requestBody": {"required": True, "content": {JSON: {"schema": schema}}}}


def require_json(request: Request) -> None:
    """Refuse a body not sent as JSON (`application/json` or `application/<x>+json`, any parameters).

    Called by the endpoints rather than declared as a dependency: FastAPI's cost per dependency is
    measurable on the single-record route (bench/peers.py's profile)."""
    for name, value in request.scope["headers"]:
        if name == b"content-type":
            media = value.partition(b";")[0].strip().lower()
            if media == b"application/json" or (media.startswith(b"application/") and media.endswith(b"+json")):
                return
            break
    raise UnsupportedMediaType("Send the body as JSON with `Content-Type: application/json`.")


def _json(payload: Any) -> Response:
    return Response(to_json(payload), media_type=JSON)


def _shape_error(error: ShapeError) -> Response:
    return error_response(422, "The request breaks the data contract.", error.details, count=error.count)


def _model_info(state: ModelState, model: OnnxModel) -> ModelInfo:
    card = model.card
    return ModelInfo(
        name=card.name,
        version=card.version,
        task=TASK,  # the card's task equals the contract's: checked at load
        target=card.target,
        classes=list(card.classes),  # checked against the contract's classes at load
        metrics=card.metrics,
        parity_max_abs_diff=card.parity.get("max_abs_diff"),
        max_batch_records=state.settings.max_batch_records,
        input_schema=card.input_schema,
        example=PredictRequest.model_validate(card.example),
    )


def add_routes(
    app: FastAPI, state: ModelState, request_model: type[PredictRequest], batch_model: type[BatchRequest], auth: ApiKeys
) -> None:
    """Register the endpoints for `request_model` records; batches are scored by a small thread pool of the app's own."""
    metrics = state.metrics
    settings = state.settings
    max_details = settings.max_error_details
    protected = [Depends(auth.dependency)] if auth.enabled else []
    protected_errors = AUTH_ERRORS if auth.enabled else {}
    executor = ThreadPoolExecutor(max_workers=BATCH_THREADS, thread_name_prefix="batch")
    prediction: dict[str, Any] = {
        "dependencies": protected,
        "responses": {**BODY_ERRORS, **protected_errors},
    }

    @app.post("/v1/predict", response_model=PredictResponse, summary="Score one record",
              openapi_extra=request_body(request_model), **prediction)  # fmt: skip
    async def predict(request: Request) -> Response:
        require_json(request)
        batcher = state.batcher
        if batcher is None:
            raise NotReady(state.failure)
        body = await request.body()  # at most MAX_RECORD_BYTES (middleware.py)
        try:
            check_record(body)
            record = request_model.model_validate_json(body)
        except ShapeError as error:
            return _shape_error(error)
        except ValidationError as error:
            return validation_error_response(error, max_details)
        answer = await batcher.submit(record)  # a fresh dict: the version is added to it
        metrics.count_predictions((answer,))
        answer["model_version"] = batcher.card.version
        return _json(answer)

    def score_batch(model: OnnxModel, body: bytes) -> Response:
        try:
            check_batch(body, settings.max_batch_records, max_details, request_model)
            records = batch_model.model_validate_json(body).records
        except ShapeError as error:
            return _shape_error(error)
        except ValidationError as error:
            return validation_error_response(error, max_details)
        predictions = model.predict(records)
        metrics.count_predictions(predictions)
        metrics.batch_records.observe(len(records))
        return _json({"predictions": predictions, "model_version": model.card.version})

    @app.post("/v1/predict/batch", response_model=BatchResponse, summary="Score up to MAX_BATCH_RECORDS records",
              openapi_extra=request_body(batch_model), **prediction)  # fmt: skip
    async def predict_batch(request: Request) -> Response:
        require_json(request)
        model = state.model
        if model is None:
            raise NotReady(state.failure)
        body = await request.body()
        if len(body) <= settings.offload_body_bytes:
            return score_batch(model, body)
        # The thread runs in a copy of this context, so its error replies carry the request id.
        work = functools.partial(contextvars.copy_context().run, score_batch, model, body)
        return await asyncio.get_running_loop().run_in_executor(executor, work)

    @app.get("/healthz", response_model=Health, summary="Liveness: the process answers")
    async def healthz() -> Health:
        return Health(status="ok")

    @app.get(
        "/readyz",
        response_model=Readiness,
        response_model_exclude_none=True,
        summary="Readiness: the model is loaded and the process is not stopping",
        responses={503: {"model": Readiness, "description": "Loading, failed (with the reason) or draining."}},
    )
    async def readyz(response: Response) -> Readiness:
        model = state.model
        if DRAINING.is_set():
            response.status_code = 503
            return Readiness(status="draining", reason="The process is shutting down.")
        if model is not None:
            return Readiness(status="ready", model_version=model.card.version)
        response.status_code = 503
        return Readiness(status="failed" if state.failure else "loading", reason=state.failure)

    # Probes and load balancers may ask with HEAD: the same answer, without a body.
    app.add_api_route("/healthz", healthz, methods=["HEAD"], response_model=Health, include_in_schema=False)
    app.add_api_route("/readyz", readyz, methods=["HEAD"], response_model=Readiness, include_in_schema=False)

    @app.get("/v1/model", response_model=ModelInfo, summary="The served model's card",
             responses={**NOT_READY, **protected_errors}, dependencies=protected)  # fmt: skip
    async def model_card() -> ModelInfo:
        if state.model is None:
            raise NotReady(state.failure)
        return _model_info(state, state.model)

    @app.get(
        "/metrics",
        response_class=PlainTextResponse,
        summary="Prometheus metrics (only on METRICS_PORT when that is set)",
        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    )
    async def prometheus() -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)
