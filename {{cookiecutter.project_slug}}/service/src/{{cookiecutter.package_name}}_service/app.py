"""Service (ML Engineers): the application factory — settings, logging, metrics, routes, model loading."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from {{ cookiecutter.package_name }}_service.errors import install_error_handlers
from {{ cookiecutter.package_name }}_service.logs import configure_logging
from {{ cookiecutter.package_name }}_service.metrics import ServiceMetrics
from {{ cookiecutter.package_name }}_service.middleware import ObservabilityMiddleware
from {{ cookiecutter.package_name }}_service.model import OnnxModel
from {{ cookiecutter.package_name }}_service.openapi import install_openapi
from {{ cookiecutter.package_name }}_service.routes import ROUTES, add_routes
from {{ cookiecutter.package_name }}_service.schemas import PredictRequest, batch_request_model
from {{ cookiecutter.package_name }}_service.settings import Settings
from {{ cookiecutter.package_name }}_service.state import ModelState

TITLE = "{{ cookiecutter.project_name }} model API"
DESCRIPTION = (
    "Scores records of the data contract with the pipeline's exported ONNX model. "
    "Every error has one JSON shape (`ErrorResponse`) and carries the request id."
)


def create_app(settings: Settings | None = None, *, model: OnnxModel | None = None) -> FastAPI:
    """Build the app. Without `model`, it loads `settings.model_path` in the background at start-up."""
    settings = settings or Settings()
    configure_logging(settings.log_level)
    metrics = ServiceMetrics(ROUTES)
    state = ModelState(settings, metrics, model)
    batch_model = batch_request_model(settings.max_batch_records)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        loading = asyncio.create_task(state.load())
        yield
        loading.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await loading

    # The OpenAPI and docs routes are added after the API's own (see routes.py): routes match in order.
    app = FastAPI(
        title=TITLE,
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.model_state = state
    install_error_handlers(app)
    app.add_middleware(
        ObservabilityMiddleware,
        metrics=metrics,
        max_body_bytes=settings.max_body_bytes,
        access_log=settings.access_log,
    )
    add_routes(app, state, batch_model)
    install_openapi(app, [PredictRequest, batch_model])
    return app
