"""Service (ML Engineers): hostile or careless clients get bounded, safe answers.

Each test reproduces a way a client can hurt the service (or learn too much) and checks the
safe outcome, in process. The template's own test tier repeats the ones that need a real
server and a real socket (slow headers, disconnects, SIGTERM under load).
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel, SecretStr
from starlette.types import Message

from {{ cookiecutter.package_name }}_core import CARD_NAME, FEATURE_COLUMNS, OPTIONAL_COLUMNS, TASK
from {{ cookiecutter.package_name }}_service import create_app
from {{ cookiecutter.package_name }}_service.bounds import KEY_SLACK, MAX_KEYS
from {{ cookiecutter.package_name }}_service.errors import MAX_FIELD_CHARS, ModelLoadError
from {{ cookiecutter.package_name }}_service.model import OnnxModel
from {{ cookiecutter.package_name }}_service.routes import ROUTES
from {{ cookiecutter.package_name }}_service.settings import Settings
from {{ cookiecutter.package_name }}_service.state import DRAINING

# The slow tier (`make test-slow`): the service under hostile and careless clients, real sockets among them.
pytestmark = pytest.mark.slow

JSON_HEADERS = {"content-type": "application/json"}
REQUIRED = tuple(name for name in FEATURE_COLUMNS if name not in OPTIONAL_COLUMNS)
# The start of a record, cut off: a body that is still arriving.
PARTIAL_BODY = ('{"' + FEATURE_COLUMNS[0] + '": ').encode()


def wait_loaded(client: TestClient, seconds: float = 10) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    readiness = client.get("/readyz")
    while readiness.json()["status"] == "loading" and time.monotonic() < deadline:
        time.sleep(0.05)
        readiness = client.get("/readyz")
    body: dict[str, Any] = readiness.json()
    return body


def asgi_scope(path: str, headers: list[tuple[bytes, bytes]], method: str = "POST") -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
    }


async def asgi_call(app: FastAPI, method: str, path: str, body: bytes = b"") -> int:
    """One request straight through the ASGI app; returns the status."""
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    statuses: list[int] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    await app(asgi_scope(path, headers, method), receive, send)
    return statuses[0]


# --- content types and methods ------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml"],
)
@pytest.mark.parametrize("path", ["/v1/predict", "/v1/predict/batch"])
def test_a_body_that_is_not_declared_json_gets_415(
    client: TestClient, example: dict[str, Any], path: str, content_type: str | None
) -> None:
    body = json.dumps(example if path == "/v1/predict" else {"records": [example]}).encode()
    headers = {} if content_type is None else {"content-type": content_type}
    response = client.post(path, content=body, headers=headers)
    assert response.status_code == 415, response.text
    assert response.json()["error"] == "unsupported_media_type"


def test_json_with_a_charset_is_json(client: TestClient, example: dict[str, Any]) -> None:
    headers = {"content-type": "application/json; charset=utf-8"}
    assert client.post("/v1/predict", content=json.dumps(example), headers=headers).status_code == 200


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_routes_answer_head(client: TestClient, path: str) -> None:
    response = client.head(path)
    assert response.status_code == 200
    assert response.headers["x-request-id"]


# --- error amplification and the event loop -------------------------------------------------


@pytest.fixture(scope="module")
def big_batch_app(settings: Settings, onnx_model: OnnxModel) -> FastAPI:
    """The defaults of a deployment: 1,000 records per batch, every batch validated and scored on a worker thread."""
    return create_app(Settings(model_path=settings.model_path, access_log=False), model=onnx_model)


def test_a_batch_of_records_of_wrong_keys_gets_a_small_reply_with_the_count(big_batch_app: FastAPI) -> None:
    body = json.dumps({"records": [{"unknown": 1}] * 1000}).encode()
    with TestClient(big_batch_app) as client:
        response = client.post("/v1/predict/batch", content=body, headers=JSON_HEADERS)
    assert response.status_code == 422
    reply = response.json()
    assert reply["error_count"] == (len(REQUIRED) + 1) * 1000  # each required field missing, one unknown, per record
    assert len(reply["detail"]) == Settings().max_error_details
    assert reply["detail"][0]["field"].startswith("records.0.")
    assert len(response.content) < 64 * 1024, len(response.content)


def test_a_large_batch_is_scored_off_the_event_loop_with_the_same_answers(
    settings: Settings, onnx_model: OnnxModel, records: list[dict[str, Any]]
) -> None:
    body = json.dumps({"records": records[:2] * 100}).encode()
    answers = []
    for offload in (len(body) + 1, 0):  # inline, then on the worker thread
        app = create_app(
            Settings(model_path=settings.model_path, access_log=False, offload_body_bytes=offload), model=onnx_model
        )
        with TestClient(app) as client:
            response = client.post("/v1/predict/batch", content=body, headers=JSON_HEADERS)
            assert response.status_code == 200
            answers.append(response.json())
            bad = client.post("/v1/predict/batch", content=b'{"records": [{"unknown": 1}]}', headers=JSON_HEADERS)
            assert bad.json()["request_id"] == bad.headers["x-request-id"]  # the thread knows the request id
    assert answers[0] == answers[1]


def unknown_keys(count: int) -> str:
    return "{" + ",".join(f'"k{index}": 0' for index in range(count)) + "}"


def test_a_single_record_body_over_max_record_bytes_gets_413_unread(client: TestClient) -> None:
    body = unknown_keys(Settings().max_record_bytes // 8)
    assert len(body) > Settings().max_record_bytes
    response = client.post("/v1/predict", content=body, headers=JSON_HEADERS)
    assert response.status_code == 413, response.text
    assert response.json()["error"] == "body_too_large"


@pytest.mark.parametrize(
    "body",
    [
        unknown_keys(MAX_KEYS + 1),
        "{" + ",".join([f'"{FEATURE_COLUMNS[0]}": 1'] * (MAX_KEYS + 1)) + "}",  # duplicates: pydantic walks each one
    ],
    ids=["unknown", "duplicated"],
)
def test_a_record_of_more_keys_than_the_contract_has_fields_is_refused_before_validation(
    client: TestClient, body: str
) -> None:
    batch = '{"records": [' + body + "]}"
    for path, payload, field in (("/v1/predict", body, "body"), ("/v1/predict/batch", batch, "records")):
        response = client.post(path, content=payload, headers=JSON_HEADERS)
        assert response.status_code == 422, response.text
        reply = response.json()
        assert reply["error_count"] == 1
        assert [(item["field"], item["type"]) for item in reply["detail"]] == [(field, "too_many_keys")]


@pytest.mark.parametrize("path", ["/v1/predict", "/v1/predict/batch"])
def test_json_nested_deeper_than_any_parser_goes_gets_400_not_500(big_batch_app: FastAPI, path: str) -> None:
    """The key check parses with the standard library, whose recursion limit is below pydantic's."""
    depth = 2500  # under MAX_RECORD_BYTES
    body = '{"records": [' * (path != "/v1/predict") + '{"a":' * depth + "1" + "}" * depth
    with TestClient(big_batch_app, raise_server_exceptions=False) as client:
        response = client.post(path, content=body, headers=JSON_HEADERS)
    assert response.status_code == 400, response.text
    assert response.json()["detail"][0]["type"] == "json_invalid"


def test_a_record_with_a_few_unknown_keys_still_has_them_named(client: TestClient, example: dict[str, Any]) -> None:
    record = {**example, **{f"typo{index}": 1 for index in range(KEY_SLACK)}}
    reply = client.post("/v1/predict", json=record).json()
    assert {item["field"] for item in reply["detail"]} == {f"typo{index}" for index in range(KEY_SLACK)}
    assert {item["type"] for item in reply["detail"]} == {"extra_forbidden"}


def test_a_batch_of_more_keys_than_a_full_batch_has_is_refused_by_a_byte_scan(
    settings: Settings, onnx_model: OnnxModel
) -> None:
    app = create_app(settings.model_copy(update={"max_batch_records": 2}), model=onnx_model)
    body = '{"records": [' + ",".join([unknown_keys(MAX_KEYS)] * 3) + "]}"
    with TestClient(app) as client:
        response = client.post("/v1/predict/batch", content=body, headers=JSON_HEADERS)
    assert response.status_code == 422, response.text
    assert [(item["field"], item["type"]) for item in response.json()["detail"]] == [("body", "too_many_keys")]


def test_a_batch_of_records_with_wrong_keys_is_answered_without_pydantic(
    big_batch_app: FastAPI, example: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Missing and unknown fields are found by comparing keys (microseconds a record); pydantic,
    which would spend ~0.3 s on 1,000 such records, is not called."""
    calls: list[int] = []
    original = BaseModel.model_validate_json.__func__  # type: ignore[attr-defined]

    def counting(cls: type[BaseModel], *args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(BaseModel, "model_validate_json", classmethod(counting))
    dropped = REQUIRED[:1]  # none when every field is optional
    wrong = {name: value for name, value in example.items() if name not in dropped} | {"unknown": 1}
    records = [example, wrong] * 500
    client = TestClient(big_batch_app)
    response = client.post("/v1/predict/batch", json={"records": records})
    assert response.status_code == 422, response.text
    reply = response.json()
    assert reply["error_count"] == 500 * (len(dropped) + 1)  # a field missing and one unknown in every other record
    assert [(item["field"], item["type"]) for item in reply["detail"][: len(dropped) + 1]] == [
        *((f"records.1.{name}", "missing") for name in dropped),
        ("records.1.unknown", "extra_forbidden"),
    ]
    assert len(reply["detail"]) == Settings().max_error_details
    assert not calls
    # With the right keys, the values are pydantic's to judge, as before.
    typed = client.post(
        "/v1/predict/batch", json={"records": [{**example, FEATURE_COLUMNS[0]: []}]}
    )  # no field takes a list
    assert typed.status_code == 422
    (detail,) = typed.json()["detail"]
    # pydantic's verdict on the value (its type name depends on the field's type), not the key scan's.
    assert detail["field"] == f"records.0.{FEATURE_COLUMNS[0]}"
    assert detail["type"] not in {"missing", "extra_forbidden"}
    assert calls


def test_the_key_pre_check_answers_as_pydantic_does(client: TestClient, example: dict[str, Any]) -> None:
    """A batch's missing and unknown fields, found by core's key_errors, read as pydantic's on one record."""
    dropped = REQUIRED[-1:]  # none when every field is optional
    record = {name: value for name, value in example.items() if name not in dropped} | {"unknown": 1}
    single = client.post("/v1/predict", json=record).json()["detail"]
    batch = client.post("/v1/predict/batch", json={"records": [record, record]}).json()["detail"]
    assert [(item["field"], item["type"]) for item in single] == [
        *((name, "missing") for name in dropped),
        ("unknown", "extra_forbidden"),
    ]
    assert batch == [{**item, "field": f"records.{index}.{item['field']}"} for index in (0, 1) for item in single]


@pytest.mark.parametrize("element", ["{}", "1"])
def test_a_batch_of_more_values_than_a_full_batch_has_is_refused_by_a_byte_scan(
    big_batch_app: FastAPI, element: str
) -> None:
    """1 MB of tiny records: refused before any parse (the parse alone took 50 to 140 ms)."""
    count = Settings().max_body_bytes // (len(element) + 1) - 10
    body = '{"records": [' + ",".join([element] * count) + "]}"
    with TestClient(big_batch_app) as client:
        response = client.post("/v1/predict/batch", content=body, headers=JSON_HEADERS)
    assert response.status_code == 422, response.text
    assert [(item["field"], item["type"]) for item in response.json()["detail"]] == [("body", "too_many_values")]


def test_more_records_than_the_limit_are_refused_before_validation(settings: Settings, onnx_model: OnnxModel) -> None:
    app = create_app(settings.model_copy(update={"max_batch_records": 2}), model=onnx_model)
    with TestClient(app) as client:
        response = client.post("/v1/predict/batch", content='{"records": [{}, {}, {}]}', headers=JSON_HEADERS)
    assert response.status_code == 422, response.text
    assert [(item["field"], item["type"]) for item in response.json()["detail"]] == [("records", "too_long")]


def test_unknown_field_names_are_echoed_truncated(client: TestClient, example: dict[str, Any]) -> None:
    long_name = "x" * 5000
    response = client.post("/v1/predict", json={**example, long_name: 1})
    assert response.status_code == 422
    (item,) = response.json()["detail"]
    assert item["type"] == "extra_forbidden"
    assert item["field"].startswith("xxx")
    assert item["field"].endswith("...")
    assert len(item["field"]) <= MAX_FIELD_CHARS
    assert len(response.content) < 1024


def test_requests_beyond_max_concurrency_get_a_json_503_and_probes_still_answer(
    settings: Settings, onnx_model: OnnxModel, example: dict[str, Any]
) -> None:
    """In-flight requests are counted by the app (idle connections are not); the overload 503
    carries the request id and is counted in http_request_errors_total, which the SLO reads."""
    app = create_app(settings.model_copy(update={"max_concurrency": 1}), model=onnx_model)
    body = json.dumps(example).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]

    async def call(
        path: str, method: str = "POST", release: asyncio.Event | None = None
    ) -> tuple[int, dict[bytes, bytes], bytes]:
        started: list[Message] = []
        chunks: list[bytes] = []

        async def receive() -> Message:
            if release is not None:
                await release.wait()  # a body still arriving: the request stays in flight
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: Message) -> None:
            (started if message["type"] == "http.response.start" else chunks).append(message)

        await app(asgi_scope(path, headers, method), receive, send)
        return started[0]["status"], dict(started[0]["headers"]), b"".join(c.get("body", b"") for c in chunks)

    async def scenario() -> list[tuple[int, dict[bytes, bytes], bytes]]:
        release = asyncio.Event()
        held = asyncio.create_task(call("/v1/predict", release=release))
        await asyncio.sleep(0.05)
        answers = [await call("/v1/predict"), await call("/healthz", "GET"), await call("/readyz", "GET")]
        answers.append(await call("/metrics", "GET"))
        release.set()
        answers.append(await held)
        answers.append(await call("/v1/predict"))  # the slot is free again
        return answers

    refused, health, ready, metrics, held, after = asyncio.run(scenario())
    assert refused[0] == 503
    reply = json.loads(refused[2])
    assert reply["error"] == "overloaded"
    assert reply["request_id"] == refused[1][b"x-request-id"].decode()
    assert refused[1][b"retry-after"] == b"1"
    assert (health[0], ready[0], metrics[0]) == (200, 200, 200)
    assert (held[0], after[0]) == (200, 200)
    assert 'http_request_errors_total{route="/v1/predict",status="503"} 1.0' in metrics[2].decode()


# --- request ids, unexpected errors and disconnects ----------------------------------------


def test_an_unexpected_error_gets_a_json_500_with_the_request_id_logged_once(
    settings: Settings, onnx_model: OnnxModel, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings, model=onnx_model)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    with caplog.at_level("INFO"), TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom", headers={"x-request-id": "trace-500"})
    assert response.status_code == 500
    assert response.headers["x-request-id"] == "trace-500"
    assert response.json()["request_id"] == "trace-500"
    errors = [record for record in caplog.records if record.levelname == "ERROR"]
    assert len(errors) == 1
    assert errors[0].exc_info is not None


def test_a_client_that_hangs_up_mid_body_is_a_disconnect_not_a_500(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    sent: list[Message] = []
    messages: list[Message] = [
        {"type": "http.request", "body": PARTIAL_BODY + b'"', "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> Message:
        return messages.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    headers = [(b"content-type", b"application/json"), (b"content-length", b"120")]
    with caplog.at_level("INFO"):
        asyncio.run(app(asgi_scope("/v1/predict", headers), receive, send))
    assert not [message for message in sent if message.get("status", 0) >= 500]
    assert not [record for record in caplog.records if record.levelname in {"ERROR", "CRITICAL"}]
    assert any("disconnected" in record.getMessage() for record in caplog.records)


def test_a_body_that_stops_arriving_gets_408_within_the_timeout(settings: Settings, onnx_model: OnnxModel) -> None:
    app = create_app(settings.model_copy(update={"body_timeout_seconds": 0.3}), model=onnx_model)
    sent: list[Message] = []
    first = True

    async def receive() -> Message:
        nonlocal first
        if first:
            first = False
            return {"type": "http.request", "body": PARTIAL_BODY, "more_body": True}
        await asyncio.sleep(3600)  # a slow client: the rest never comes
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)

    headers = [(b"content-type", b"application/json"), (b"content-length", b"120")]
    started = time.perf_counter()
    asyncio.run(asyncio.wait_for(app(asgi_scope("/v1/predict", headers), receive, send), timeout=5))
    assert time.perf_counter() - started < 2
    start = next(message for message in sent if message["type"] == "http.response.start")
    assert start["status"] == 408
    assert (b"connection", b"close") in [(name.lower(), value) for name, value in start["headers"]]


# --- access control -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def secured(settings: Settings, onnx_model: OnnxModel) -> Iterator[TestClient]:
    app = create_app(settings.model_copy(update={"api_keys": SecretStr("old-key, new-key")}), model=onnx_model)
    with TestClient(app) as client:
        yield client


@pytest.mark.parametrize(
    "headers",
    [{}, {"authorization": "Bearer wrong"}, {"x-api-key": "wrong"}, {"authorization": "Basic b2xkLWtleQ=="}],
)
def test_with_api_keys_a_request_without_a_valid_key_gets_401(
    secured: TestClient, example: dict[str, Any], headers: dict[str, str]
) -> None:
    for response in (
        secured.post("/v1/predict", json=example, headers=headers),
        secured.post("/v1/predict/batch", json={"records": [example]}, headers=headers),
        secured.get("/v1/model", headers=headers),
    ):
        assert response.status_code == 401, response.text
        assert response.json()["error"] == "unauthorized"
        assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("headers", [{"authorization": "Bearer old-key"}, {"x-api-key": "new-key"}])
def test_with_api_keys_each_accepted_key_works(
    secured: TestClient, example: dict[str, Any], headers: dict[str, str]
) -> None:
    assert secured.post("/v1/predict", json=example, headers=headers).status_code == 200
    assert secured.post("/v1/predict/batch", json={"records": [example]}, headers=headers).status_code == 200
    assert secured.get("/v1/model", headers=headers).status_code == 200


def test_with_api_keys_probes_metrics_and_docs_stay_open_and_the_schema_says_so(secured: TestClient) -> None:
    for path in ("/healthz", "/readyz", "/metrics", "/docs", "/openapi.json"):
        assert secured.get(path).status_code == 200, path
    schema = secured.get("/openapi.json").json()
    assert set(schema["components"]["securitySchemes"]) == {"HTTPBearer", "APIKeyHeader"}
    assert schema["paths"]["/v1/predict"]["post"]["security"]
    assert "401" in schema["paths"]["/v1/predict"]["post"]["responses"]
    assert "security" not in schema["paths"]["/healthz"]["get"]


def test_a_dependency_added_to_any_route_runs(app: FastAPI) -> None:
    """No route answers without running its dependencies: one added to every route refuses every request.

    `include_router` serves each route with its own route class and the added dependency, so a route
    class that skipped dependencies (and with them the API keys) would answer here instead of refusing.
    """
    ran: list[tuple[str, str]] = []

    async def refuse(request: Request) -> None:
        ran.append((request.method, request.url.path))
        raise HTTPException(418, "the added dependency ran")

    wrapped = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)  # only the app's own routes
    wrapped.include_router(app.router, dependencies=[Depends(refuse)])
    routes = [(method, route.path) for route in app.routes if isinstance(route, APIRoute) for method in route.methods]
    assert set(ROUTES) <= {path for _, path in routes}
    with TestClient(wrapped) as client:
        for method, path in routes:
            assert client.request(method, path, content=b"{}").status_code == 418, (method, path)
    assert ran == routes


def test_api_keys_can_come_from_a_file_and_a_broken_file_stops_the_start(tmp_path: Path) -> None:
    keys = tmp_path / "API_KEYS"
    keys.write_text("file-key-1,\nfile-key-2\n")
    settings = Settings(api_keys_file=keys, api_keys=SecretStr("env-key"))
    assert settings.accepted_keys() == {b"file-key-1", b"file-key-2", b"env-key"}
    keys.write_text(" \n")
    with pytest.raises(ValueError, match="holds no key"):
        Settings(api_keys_file=keys).accepted_keys()
    with pytest.raises(ValueError, match="cannot be read"):
        Settings(api_keys_file=tmp_path / "missing").accepted_keys()


@pytest.mark.parametrize("text", [" \n", "\t\r\n", ",", " , ,\n", "\u3000"])
def test_api_keys_given_but_holding_no_key_stop_the_start(tmp_path: Path, text: str, onnx_model: OnnxModel) -> None:
    """Blank, whitespace or only separators: authentication must not silently turn off."""
    keys = tmp_path / "API_KEYS"
    keys.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="API_KEYS_FILE holds no key"):
        create_app(Settings(api_keys_file=keys, access_log=False), model=onnx_model)
    with pytest.raises(ValueError, match="API_KEYS is set but holds no key"):
        create_app(Settings(api_keys=SecretStr(text), access_log=False), model=onnx_model)


def test_api_keys_are_split_on_commas_and_any_whitespace(tmp_path: Path) -> None:
    keys = tmp_path / "API_KEYS"
    keys.write_text("one\r\ntwo\tthree, four\n", encoding="utf-8")
    assert Settings(api_keys_file=keys).accepted_keys() == {b"one", b"two", b"three", b"four"}


def test_without_api_keys_nothing_asks_for_a_key(client: TestClient, example: dict[str, Any]) -> None:
    assert client.post("/v1/predict", json=example).status_code == 200
    assert "securitySchemes" not in client.get("/openapi.json").json().get("components", {})


def test_with_a_metrics_port_metrics_answer_there_alone(settings: Settings, onnx_model: OnnxModel) -> None:
    app = create_app(settings.model_copy(update={"metrics_port": 9000}), model=onnx_model)
    with TestClient(app, base_url="http://service:8000") as api, TestClient(app, base_url="http://service:9000") as ops:
        assert api.get("/metrics").status_code == 404
        assert api.get("/healthz").status_code == 200
        assert ops.get("/metrics").status_code == 200
        assert ops.get("/healthz").status_code == 404
        assert ops.get("/v1/model").status_code == 404


# --- offline docs ---------------------------------------------------------------------------


def test_the_docs_page_loads_nothing_from_outside(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    html = page.text
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html, re.IGNORECASE), html
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html) + re.findall(r"""url: ?["']([^"']+)["']""", html)
    assert {"/openapi.json"} <= set(assets)
    assert len(assets) >= 4  # script, style, favicon, schema
    for asset in assets:
        assert asset.startswith("/"), asset
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert response.content, asset
    assert '"validatorUrl": null' in html


# --- graceful shutdown ----------------------------------------------------------------------


def test_while_draining_readiness_fails_and_connections_close(client: TestClient, example: dict[str, Any]) -> None:
    DRAINING.set()
    try:
        readiness = client.get("/readyz")
        assert readiness.status_code == 503
        assert readiness.json()["status"] == "draining"
        response = client.post("/v1/predict", json=example)
        assert response.status_code == 200  # still served
        assert response.headers["connection"] == "close"
    finally:
        DRAINING.clear()


# --- model integrity ------------------------------------------------------------------------


@pytest.fixture
def model_copy(trained: Any, tmp_path: Path) -> Path:
    folder = tmp_path / "deployed" / "champion"
    folder.mkdir(parents=True)
    shutil.copy(trained.onnx_path, folder / "model.onnx")
    shutil.copy(trained.onnx_path.with_name(CARD_NAME), folder / CARD_NAME)
    return folder / "model.onnx"


def edit_card(model_path: Path, **changes: Any) -> None:
    card_path = model_path.with_name(CARD_NAME)
    card = json.loads(card_path.read_text())
    for key, value in changes.items():
        if value is None:
            card.pop(key, None)
        else:
            card[key] = value
    card_path.write_text(json.dumps(card))


def assert_not_ready(model_path: Path, *words: str) -> str:
    with TestClient(create_app(Settings(model_path=model_path, access_log=False))) as client:
        readiness = wait_loaded(client)
        assert readiness["status"] == "failed", readiness
        assert client.post("/v1/predict", json={}).status_code == 503
    reason = str(readiness["reason"])
    assert str(model_path.parent) not in reason, reason  # no path is revealed
    assert "/" not in reason, reason
    for word in words:
        assert word in reason, reason
    return reason


def test_a_tampered_model_file_leaves_the_service_not_ready(model_copy: Path) -> None:
    """The card is kept; the model's bytes change (here: one byte of its float weights flipped)."""
    data = bytearray(model_copy.read_bytes())
    data[len(data) // 2] ^= 0x80
    model_copy.write_bytes(bytes(data))
    assert_not_ready(model_copy, "model.onnx", "does not match its card")


@pytest.mark.parametrize(
    "changes",
    [{"parity": []}, {"metrics": [1]}, {"parity": {"max_abs_diff": "big"}}, {"classes": 3}, {"example": []}],
    ids=["parity-list", "metrics-list", "parity-text", "classes-number", "example-list"],
)
def test_a_card_of_the_wrong_shape_leaves_the_service_failed_not_loading(model_copy: Path, changes: Any) -> None:
    """The card keeps the model's sha256: only its shape is wrong. It must end as "failed", with a reason."""
    edit_card(model_copy, **changes)
    assert_not_ready(model_copy, CARD_NAME)


def test_a_model_trained_for_the_other_task_is_refused(model_copy: Path) -> None:
    other = {"classification": "regression", "regression": "classification"}[TASK]
    edit_card(model_copy, task=other)
    assert_not_ready(model_copy, f"trained for {other}", f"task is {TASK}")


# A classifier's card must list classes of the contract; a regressor's none.
WRONG_CLASSES = {
    "classification": [pytest.param(["not-a-class"], id="unknown"), pytest.param([], id="none")],
    "regression": [pytest.param(["not-a-class"], id="any")],
}[TASK]


@pytest.mark.parametrize("classes", WRONG_CLASSES)
def test_a_card_whose_classes_do_not_fit_the_task_is_refused(model_copy: Path, classes: list[str]) -> None:
    edit_card(model_copy, classes=classes)
    assert_not_ready(model_copy, "classes")


def test_any_error_while_loading_ends_as_failed_with_its_type_and_no_path(
    model_copy: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(path: Path, **_: Any) -> OnnxModel:
        raise RuntimeError(f"an unforeseen failure reading {path}")

    monkeypatch.setattr(OnnxModel, "load", broken)
    with caplog.at_level("ERROR"):
        reason = assert_not_ready(model_copy, "RuntimeError")
    assert "unforeseen" not in reason  # the message (with its path) stays in the log
    assert any(record.exc_info for record in caplog.records if record.levelname == "ERROR")


def test_a_model_that_cannot_score_its_example_is_refused(model_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fails(*_: Any) -> Any:
        raise RuntimeError("[ONNXRuntimeError] : 2 : INVALID_ARGUMENT")

    monkeypatch.setattr(OnnxModel, "run", fails)
    assert_not_ready(model_copy, "cannot score its card's example", "RuntimeError")


def test_a_card_without_the_models_hash_leaves_the_service_not_ready(model_copy: Path) -> None:
    edit_card(model_copy, sha256=None)
    assert_not_ready(model_copy, CARD_NAME, "sha256")


def test_a_card_whose_version_is_not_its_hash_leaves_the_service_not_ready(model_copy: Path) -> None:
    """The version the service reports is the hash's first 12 characters: a card that says otherwise is refused."""
    edit_card(model_copy, version="not-the-hash")
    assert_not_ready(model_copy, CARD_NAME, "version", "not the sha256")


def test_loading_a_tampered_model_directly_raises(model_copy: Path) -> None:
    model_copy.write_bytes(model_copy.read_bytes() + b"\0")
    with pytest.raises(ModelLoadError, match="does not match its card"):
        OnnxModel.load(model_copy)
