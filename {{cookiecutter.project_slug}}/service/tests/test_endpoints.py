"""Service (ML Engineers): every endpoint, the happy paths and each way a request can be refused."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }}_core import FEATURE_COLUMNS, TARGET_CLASSES
from {{ cookiecutter.package_name }}_service import create_app
from {{ cookiecutter.package_name }}_service.logs import JsonFormatter
from {{ cookiecutter.package_name }}_service.settings import Settings

JSON_HEADERS = {"content-type": "application/json"}


def assert_error(response: Any, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["error"] == error
    assert body["request_id"] == response.headers["x-request-id"]
    return body


def test_healthz_answers_ok(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_names_the_loaded_model(client: TestClient, trained: Any) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["model_version"] == trained.card["version"]


def test_model_endpoint_shows_the_card_and_a_usable_example(
    client: TestClient, trained: Any, settings: Settings
) -> None:
    info = client.get("/v1/model").json()
    assert info["version"] == trained.card["version"]
    assert info["classes"] == trained.card["classes"]
    assert info["max_batch_records"] == settings.max_batch_records
    assert set(info["input_schema"]["properties"]) == set(FEATURE_COLUMNS)
    assert client.post("/v1/predict", json=info["example"]).status_code == 200


def test_predict_returns_a_class_its_probabilities_and_the_version(
    client: TestClient, example: dict[str, Any], trained: Any
) -> None:
    response = client.post("/v1/predict", json=example)
    assert response.status_code == 200
    body = response.json()
    assert body["prediction"] in TARGET_CLASSES
    assert set(body["probabilities"]) == set(trained.card["classes"])
    assert sum(body["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)
    assert max(body["probabilities"], key=body["probabilities"].get) == body["prediction"]
    assert body["model_version"] == trained.card["version"]


def test_integers_are_accepted_for_measurements(client: TestClient, example: dict[str, Any]) -> None:
    assert client.post("/v1/predict", json={**example, "body_mass_g": 4200}).status_code == 200


@pytest.mark.parametrize(
    ("change", "field", "error_type"),
    [
        ({"bill_length_mm": 700.0}, "bill_length_mm", "less_than_equal"),
        ({"body_mass_g": "4200"}, "body_mass_g", "float_type"),
        ({"island": "Atlantis"}, "island", "literal_error"),
        ({"sex": None}, "sex", "literal_error"),
        ({"colour": "black"}, "colour", "extra_forbidden"),
    ],
)
def test_a_bad_record_gets_422_naming_the_field_and_reason(
    client: TestClient, example: dict[str, Any], change: dict[str, Any], field: str, error_type: str
) -> None:
    body = assert_error(client.post("/v1/predict", json={**example, **change}), 422, "invalid_record")
    assert [(item["field"], item["type"]) for item in body["detail"]] == [(field, error_type)]
    assert body["detail"][0]["reason"]


def test_a_missing_field_is_named(client: TestClient, example: dict[str, Any]) -> None:
    del example["flipper_length_mm"]
    body = assert_error(client.post("/v1/predict", json=example), 422, "invalid_record")
    assert body["detail"][0] == {"field": "flipper_length_mm", "reason": "Field required", "type": "missing"}


@pytest.mark.parametrize("payload", [b"{", b"", b"\xff\xfe", b'{"island": "Dream",}'])
def test_broken_json_gets_400(client: TestClient, payload: bytes) -> None:
    response = client.post("/v1/predict", content=payload, headers=JSON_HEADERS)
    assert_error(response, 400, "invalid_json")


@pytest.mark.parametrize("payload", [b"[]", b"null", b'"record"', b"42"])
def test_json_that_is_not_a_record_gets_422(client: TestClient, payload: bytes) -> None:
    response = client.post("/v1/predict", content=payload, headers=JSON_HEADERS)
    body = assert_error(response, 422, "invalid_record")
    assert body["detail"][0]["field"] == "body"


def test_a_body_over_the_limit_gets_413_before_it_is_read(client: TestClient, settings: Settings) -> None:
    response = client.post("/v1/predict", content=b" " * (settings.max_body_bytes + 1), headers=JSON_HEADERS)
    assert_error(response, 413, "body_too_large")


def test_a_chunked_body_over_the_limit_gets_413(client: TestClient, settings: Settings) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(settings.max_body_bytes // 1024 + 2):
            yield b" " * 1024

    assert_error(client.post("/v1/predict", content=chunks(), headers=JSON_HEADERS), 413, "body_too_large")


def test_batch_keeps_the_order_of_the_records(client: TestClient, example: dict[str, Any]) -> None:
    records = [example, {**example, "island": "Torgersen", "flipper_length_mm": 180.0, "body_mass_g": 3300.0}]
    response = client.post("/v1/predict/batch", json={"records": records})
    assert response.status_code == 200
    body = response.json()
    assert len(body["predictions"]) == 2
    singles = [client.post("/v1/predict", json=record).json() for record in records]
    assert [p["prediction"] for p in body["predictions"]] == [s["prediction"] for s in singles]


def test_batch_errors_name_the_record(client: TestClient, example: dict[str, Any]) -> None:
    records = [example, {**example, "sex": "unknown"}]
    body = assert_error(client.post("/v1/predict/batch", json={"records": records}), 422, "invalid_record")
    assert body["detail"][0]["field"] == "records.1.sex"


@pytest.mark.parametrize("extra", [None, 1])
def test_batch_size_is_bounded(
    client: TestClient, example: dict[str, Any], settings: Settings, extra: int | None
) -> None:
    count = 0 if extra is None else settings.max_batch_records + extra
    response = client.post("/v1/predict/batch", json={"records": [example] * count})
    body = assert_error(response, 422, "invalid_record")
    assert body["detail"][0]["field"] == "records"


def test_unknown_routes_and_methods_get_json_errors(client: TestClient) -> None:
    assert_error(client.get("/v2/predict"), 404, "not_found")
    response = client.get("/v1/predict")
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "POST"


def test_a_plain_request_id_is_echoed_and_an_unsafe_one_replaced(client: TestClient) -> None:
    assert client.get("/healthz", headers={"x-request-id": "abc-123"}).headers["x-request-id"] == "abc-123"
    replaced = client.get("/healthz", headers={"x-request-id": "a b\tc"}).headers["x-request-id"]
    assert replaced != "a b\tc"
    assert len(replaced) == 32


def test_metrics_count_latency_errors_predictions_and_model_version(
    client: TestClient, example: dict[str, Any], trained: Any
) -> None:
    prediction = client.post("/v1/predict", json=example).json()["prediction"]
    client.post("/v1/predict", json={**example, "island": "Mars"})
    client.get("/no/such/route")
    text = client.get("/metrics").text
    assert 'http_request_duration_seconds_bucket{le="0.005",method="POST",route="/v1/predict"}' in text
    assert 'http_request_errors_total{route="/v1/predict",status="422"}' in text
    assert 'http_request_errors_total{route="other",status="404"}' in text
    card = trained.card
    assert 'model_predictions_total{class="' + prediction + '"}' in text
    assert 'model_info{name="' + card["name"] + '",version="' + card["version"] + '"} 1.0' in text
    assert "process_resident_memory_bytes" in text


def test_requests_are_logged_as_json_with_their_request_id(
    settings: Settings, onnx_model: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings.model_copy(update={"access_log": True}), model=onnx_model)
    with caplog.at_level("INFO"), TestClient(app) as client:
        client.get("/healthz", headers={"x-request-id": "trace-me"})
    lines = [json.loads(JsonFormatter().format(record)) for record in caplog.records]
    access = [line for line in lines if line["logger"].endswith(".access")]
    assert access
    assert access[0]["request_id"] == "trace-me"
    assert access[0]["status"] == 200
    assert access[0]["path"] == "/healthz"
    assert access[0]["duration_ms"] >= 0


def test_without_a_model_the_service_is_alive_but_not_ready(tmp_path: Path) -> None:
    missing = tmp_path / "missing.onnx"
    app = create_app(Settings(model_path=missing, access_log=False))
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        deadline = time.monotonic() + 10
        readiness = client.get("/readyz")
        while readiness.json()["status"] == "loading" and time.monotonic() < deadline:
            time.sleep(0.05)
            readiness = client.get("/readyz")
        assert readiness.status_code == 503
        assert readiness.json()["status"] == "failed"
        reason = readiness.json()["reason"]
        assert "model_card.json" in reason
        assert str(tmp_path) not in reason  # a reason names files, never paths
        response = client.post("/v1/predict", json={})
        assert_error(response, 503, "model_not_ready")
        assert response.headers["retry-after"]
        assert_error(client.get("/v1/model"), 503, "model_not_ready")
