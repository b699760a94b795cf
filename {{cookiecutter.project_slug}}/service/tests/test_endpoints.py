"""Service (ML Engineers): every endpoint, the happy paths and each way a request can be refused."""

from __future__ import annotations

import copy
import json
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families
from pydantic import Field, create_model
from pydantic_core import PydanticUndefined

from {{ cookiecutter.package_name }}_core import (
    CATEGORICAL_COLUMNS,
    FEATURE_COLUMNS,
    NUMERIC_COLUMNS,
    NUMERIC_RANGES,
    OPTIONAL_COLUMNS,
    TARGET,
    TARGET_CLASSES,
    TASK,
)
from {{ cookiecutter.package_name }}_service import create_app
from {{ cookiecutter.package_name }}_service.logs import JsonFormatter
from {{ cookiecutter.package_name }}_service.schemas import PredictRequest
from {{ cookiecutter.package_name }}_service.settings import RECORD_BYTES, Settings

JSON_HEADERS = {"content-type": "application/json"}
REQUIRED = tuple(name for name in FEATURE_COLUMNS if name not in OPTIONAL_COLUMNS)
# Open ends of a range (none in a contract `make dataset` wrote) are drawn from within this.
WIDEST = 1e6


def values(column: str) -> st.SearchStrategy[Any]:
    """Any value the contract accepts in a column: one of its categories, or a number in its range."""
    if column in CATEGORICAL_COLUMNS:
        return st.sampled_from(CATEGORICAL_COLUMNS[column])
    low, high = NUMERIC_RANGES[column]
    return st.floats(max(low, -WIDEST), min(high, WIDEST), allow_nan=False, allow_infinity=False)


def valid_records() -> st.SearchStrategy[dict[str, Any]]:
    """Records built from the contract's fields: every required field, each optional one present, null or left out."""
    return st.fixed_dictionaries(
        {name: values(name) for name in REQUIRED},
        optional={name: st.one_of(st.none(), values(name)) for name in OPTIONAL_COLUMNS},
    )


def broken_fields() -> list[Any]:
    """One named field broken at a time, with the error type pydantic must report for that field."""
    cases: list[tuple[str, str, Any, str]] = []
    for name in FEATURE_COLUMNS:
        if name in CATEGORICAL_COLUMNS:
            cases.append((name, "unknown-category", "+".join(CATEGORICAL_COLUMNS[name]), "literal_error"))
            cases.append((name, "number", 1.5, "literal_error"))
        else:
            low, high = NUMERIC_RANGES[name]
            if math.isfinite(high):
                cases.append((name, "above-range", high + max(1.0, abs(high)), "less_than_equal"))
            if math.isfinite(low):
                cases.append((name, "below-range", low - max(1.0, abs(low)), "greater_than_equal"))
            cases.append((name, "number-in-quotes", "1", "float_type"))
        if name not in OPTIONAL_COLUMNS:
            cases.append((name, "null", None, "literal_error" if name in CATEGORICAL_COLUMNS else "float_type"))
    return [pytest.param(name, value, kind, id=f"{name}-{how}") for name, how, value, kind in cases]


BROKEN = broken_fields()
UNKNOWN_FIELD = f"{FEATURE_COLUMNS[0]}_unknown"


def assert_error(response: Any, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["error"] == error
    assert body["request_id"] == response.headers["x-request-id"]
    return body


def assert_answer(answer: dict[str, Any], card: dict[str, Any]) -> None:
    """An answer of the contract's task: a class with every class's probability, or one finite number."""
    if TASK == "classification":
        assert answer["prediction"] in TARGET_CLASSES
        assert list(answer["probabilities"]) == card["classes"]
        assert sum(answer["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)
        assert max(answer["probabilities"], key=answer["probabilities"].get) == answer["prediction"]
    else:
        assert set(answer) - {"model_version"} == {"value"}
        assert isinstance(answer["value"], float)
        assert math.isfinite(answer["value"])


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
    assert info["task"] == TASK
    assert info["classes"] == trained.card["classes"] == list(TARGET_CLASSES if TASK == "classification" else ())
    assert info["max_batch_records"] == settings.max_batch_records
    assert set(info["input_schema"]["properties"]) == set(FEATURE_COLUMNS)
    assert client.post("/v1/predict", json=info["example"]).status_code == 200


def test_the_openapi_example_is_made_from_the_contract_and_is_valid(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    (example,) = schema["components"]["schemas"]["PredictRequest"]["examples"]
    assert set(example) == set(FEATURE_COLUMNS)
    assert_answer(client.post("/v1/predict", json=example).json(), client.get("/v1/model").json())


def test_the_openapi_response_follows_the_task(client: TestClient) -> None:
    prediction = client.get("/openapi.json").json()["components"]["schemas"]["Prediction"]
    fields = {"classification": ["prediction", "probabilities"], "regression": ["value"]}[TASK]
    assert prediction["required"] == fields
    assert all(prediction["properties"][name]["description"] for name in fields)


def test_predict_returns_the_tasks_answer_and_the_version(
    client: TestClient, example: dict[str, Any], trained: Any
) -> None:
    response = client.post("/v1/predict", json=example)
    assert response.status_code == 200
    body = response.json()
    assert_answer(body, trained.card)
    assert body["model_version"] == trained.card["version"]


@given(record=valid_records())
@hypothesis_settings(
    max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_record_the_contract_accepts_is_scored(client: TestClient, trained: Any, record: dict[str, Any]) -> None:
    response = client.post("/v1/predict", json=record)
    assert response.status_code == 200, response.text
    assert_answer(response.json(), trained.card)


def test_integers_are_accepted_for_numbers(settings: Settings, onnx_model: Any, example: dict[str, Any]) -> None:
    """A whole number in each numeric column's range; a contract with none is given a synthetic number in [0, 1]."""
    request = PredictRequest
    whole = {
        name: math.ceil(NUMERIC_RANGES[name][0])
        for name in NUMERIC_COLUMNS
        if math.ceil(NUMERIC_RANGES[name][0]) <= NUMERIC_RANGES[name][1]
    }
    if not whole:
        whole = {f"{FEATURE_COLUMNS[0]}_number": 1}
        fields: dict[str, Any] = dict.fromkeys(whole, (float, Field(ge=0.0, le=1.0)))
        request = create_model("PredictRequest", __base__=PredictRequest, **fields)
    with TestClient(create_app(settings, model=onnx_model, request=request)) as client:
        assert client.post("/v1/predict", json={**example, **whole}).status_code == 200


@pytest.mark.parametrize(("field", "value", "error_type"), BROKEN)
def test_a_record_with_one_broken_field_gets_422_naming_that_field_and_reason(
    client: TestClient, example: dict[str, Any], field: str, value: Any, error_type: str
) -> None:
    body = assert_error(client.post("/v1/predict", json={**example, field: value}), 422, "invalid_record")
    assert [(item["field"], item["type"]) for item in body["detail"]] == [(field, error_type)]
    assert body["detail"][0]["reason"]


def test_an_unknown_field_is_named(client: TestClient, example: dict[str, Any]) -> None:
    body = assert_error(client.post("/v1/predict", json={**example, UNKNOWN_FIELD: 1}), 422, "invalid_record")
    assert body["detail"] == [
        {"field": UNKNOWN_FIELD, "reason": "Extra inputs are not permitted", "type": "extra_forbidden"}
    ]


@pytest.mark.parametrize("field", REQUIRED or FEATURE_COLUMNS[:1])
def test_a_missing_required_field_is_named(
    settings: Settings, onnx_model: Any, example: dict[str, Any], field: str
) -> None:
    """Each required field; a contract with none is made a synthetic one whose first field is required."""
    required = copy.copy(PredictRequest.model_fields[field])
    required.default = PydanticUndefined
    request = create_model("PredictRequest", __base__=PredictRequest, **{field: (required.annotation, required)})
    record = {name: value for name, value in example.items() if name != field}
    with TestClient(create_app(settings, model=onnx_model, request=request)) as client:
        body = assert_error(client.post("/v1/predict", json=record), 422, "invalid_record")
    assert body["detail"] == [{"field": field, "reason": "Field required", "type": "missing"}]


def test_an_optional_field_may_be_null_or_left_out(
    every_column_optional: Any, example: dict[str, Any], trained: Any
) -> None:
    """On a synthetic contract whose every column is optional: each field null or left out is scored, the same."""
    client = every_column_optional.client
    for field in FEATURE_COLUMNS:
        null = {**example, field: None}
        left_out = {name: value for name, value in example.items() if name != field}
        answers = [client.post("/v1/predict", json=record) for record in (null, left_out)]
        assert [response.status_code for response in answers] == [200, 200], [response.text for response in answers]
        assert_answer(answers[0].json(), trained.card)
        assert answers[0].json() == answers[1].json()  # left out and null are the same missing value
        batch = client.post("/v1/predict/batch", json={"records": [null]})
        assert batch.status_code == 200, batch.text
        assert batch.json()["predictions"] == [{k: v for k, v in answers[0].json().items() if k != "model_version"}]


@pytest.mark.parametrize("payload", [b"{", b"", b"\xff\xfe", ('{"' + FEATURE_COLUMNS[0] + '": 1,}').encode()])
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


def test_batch_keeps_the_order_of_the_records(client: TestClient, records: list[dict[str, Any]]) -> None:
    chosen = records[:5]
    response = client.post("/v1/predict/batch", json={"records": chosen})
    assert response.status_code == 200
    body = response.json()
    assert len(body["predictions"]) == len(chosen)
    singles = [client.post("/v1/predict", json=record).json() for record in chosen]
    # float32 sums may differ in the last bits: a value by a millionth of the largest magnitude in the batch (a value
    # near zero among large terms differs by more than a millionth of itself).
    scale = max((abs(single.get("value", 0.0)) for single in singles), default=0.0)
    for batched, single in zip(body["predictions"], singles, strict=True):
        if TASK == "classification":
            assert batched["prediction"] == single["prediction"]
            assert batched["probabilities"] == pytest.approx(single["probabilities"], abs=1e-6)
        else:
            assert batched["value"] == pytest.approx(single["value"], abs=1e-6 * scale)
    assert len({json.dumps(prediction) for prediction in body["predictions"]}) > 1  # the rows were told apart


@pytest.mark.parametrize(("field", "value", "error_type"), BROKEN[:1])
def test_batch_errors_name_the_record(
    client: TestClient, example: dict[str, Any], field: str, value: Any, error_type: str
) -> None:
    batch = [example, {**example, field: value}]
    body = assert_error(client.post("/v1/predict/batch", json={"records": batch}), 422, "invalid_record")
    assert [(item["field"], item["type"]) for item in body["detail"]] == [(f"records.1.{field}", error_type)]


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
    answer = client.post("/v1/predict", json=example).json()
    client.post("/v1/predict", json={**example, UNKNOWN_FIELD: 1})
    client.get("/no/such/route")
    text = client.get("/metrics").text
    assert 'http_request_duration_seconds_bucket{le="0.005",method="POST",route="/v1/predict"}' in text
    assert 'http_request_errors_total{route="/v1/predict",status="422"}' in text
    assert 'http_request_errors_total{route="other",status="404"}' in text
    card = trained.card
    if TASK == "classification":
        assert 'model_predictions_total{class="' + answer["prediction"] + '"}' in text
    else:
        counts = [
            line
            for line in text.splitlines()
            if line.startswith(("model_predictions_total ", "model_predicted_value_count "))
        ]
        assert len(counts) == 2
        assert all(float(line.split()[-1]) >= 1 for line in counts)
        # The value buckets span the target's range (read as numbers: Prometheus writes 1100000.0 as 1.1e+06).
        buckets = {
            float(sample.labels["le"])
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == "model_predicted_value_bucket"
        }
        assert set(NUMERIC_RANGES[TARGET]) <= buckets
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


def test_the_body_limits_hold_the_contracts_longest_records() -> None:
    """A record of the contract's longest values fits MAX_RECORD_BYTES, and a full batch of them MAX_BODY_BYTES,
    however many and however long-named the contract's columns: the defaults grow with the record."""
    longest = {
        name: max(CATEGORICAL_COLUMNS[name], key=lambda value: len(value.encode()))
        if name in CATEGORICAL_COLUMNS
        else -1.2345678901234567e-308
        for name in FEATURE_COLUMNS
    }
    for ascii_only in (True, False):  # text escaped (`\\u00e9`) or sent as UTF-8
        record = json.dumps(longest, ensure_ascii=ascii_only).encode()
        assert len(record) <= RECORD_BYTES <= Settings().max_record_bytes
        for records in (Settings().max_batch_records, 5000):
            batch = json.dumps({"records": [longest] * records}, ensure_ascii=ascii_only).encode()
            assert len(batch) <= Settings(max_batch_records=records).max_body_bytes
