"""Service (ML Engineers): schemathesis generates requests from the app's own OpenAPI schema, in process.

Every response must be documented (status, content type, body schema), data valid by the
schema must be accepted, data that breaks it refused with a 4xx, and nothing may give a 5xx.
"""

from __future__ import annotations

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

# The slow tier (`make test-slow`): schemathesis generates and sends many requests.
pytestmark = pytest.mark.slow

OPERATIONS = [
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/v1/model"),
    ("POST", "/v1/predict"),
    ("POST", "/v1/predict/batch"),
]
WITH_BODY = {path for method, path in OPERATIONS if method == "POST"}


@pytest.fixture(scope="module")
def api_schema(app: FastAPI) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def test_the_schema_documents_every_operation(api_schema: schemathesis.BaseSchema) -> None:
    found = {(result.ok().method.upper(), result.ok().path) for result in api_schema.get_all_operations()}
    assert found == set(OPERATIONS)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda mode: mode.value)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_every_operation_honours_its_schema(
    api_schema: schemathesis.BaseSchema, method: str, path: str, mode: GenerationMode
) -> None:
    if mode is GenerationMode.NEGATIVE and path not in WITH_BODY:
        pytest.skip("no input to break: the operation takes no body or parameters")
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=30 if path in WITH_BODY else 3,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate()

    check()
