"""Service (ML Engineers): the application factory — settings, logging, metrics, routes, model loading."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from {{ cookiecutter.package_name }}_core import project

from .auth import ApiKeys
from .docs import install_docs
from .errors import install_error_handlers
from .logs import configure_logging
from .metrics import ServiceMetrics
from .middleware import ServiceMiddleware
from .model import OnnxModel
from .openapi import install_openapi
from .routes import ROUTES, add_routes
from .schemas import PredictRequest, batch_request_model
from .settings import Settings
from .state import ModelState

TITLE = f"{project.NAME} model API"
DESCRIPTION = (
    "Scores records of the data contract with the pipeline's exported ONNX model. "
    "Every error has one JSON shape (`ErrorResponse`) and carries the request id."
)
# Swagger UI's scripts and styles are served from the installed fastapi-offline package: the
# docs page works without internet and loads nothing from a CDN.
DOCS_ASSETS = "/docs/assets"
# A caller's request id is kept only when it is short and plain, so it is safe to log and echo;
# otherwise a new one (32 hex digits) is made.
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def is_safe_request_id(value: str) -> bool:
    return SAFE_REQUEST_ID.fullmatch(value) is not None


def create_app(
    settings: Settings | None = None, *, model: OnnxModel | None = None, request: type[PredictRequest] = PredictRequest
) -> FastAPI:
    """Build the app. Without `model`, it loads `settings.model_path` in the background at start-up.
    `request` is the record model: the contract's, or in a test another contract's (one with optional fields)."""
    settings = settings or Settings()
    configure_logging(settings.log_level, settings.log_format)
    metrics = ServiceMetrics(ROUTES)
    state = ModelState(settings, metrics, model)
    batch_model = batch_request_model(settings.max_batch_records, request)
    auth = ApiKeys(settings.accepted_keys())

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        loading = asyncio.create_task(state.load())
        yield
        loading.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await loading

    # fastapi-offline serves the assets; the page itself is docs.py's, which escapes the title.
    app = FastAPIOffline(
        title=TITLE,
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        static_url=DOCS_ASSETS,
        # No call to the public validator service from the docs page.
        swagger_ui_parameters={"validatorUrl": None},
    )
    add_routes(app, state, request, batch_model, auth)
    install_docs(app, DOCS_ASSETS)
    install_openapi(app, [request, batch_model])
    app.state.model_state = state
    install_error_handlers(app)
    app.add_middleware(
        ServiceMiddleware,
        metrics=metrics,
        max_body_bytes=settings.max_body_bytes,
        body_timeout_seconds=settings.body_timeout_seconds,
        access_log=settings.access_log,
        max_in_flight=settings.max_concurrency,
        metrics_port=settings.metrics_port,
        route_body_bytes={"/v1/predict": settings.max_record_bytes},
    )
    # Added last, so outermost: every answer, the 500 and the refusals included, carries X-Request-ID.
    app.add_middleware(CorrelationIdMiddleware, validator=is_safe_request_id, update_request_header=False)
    return app
