"""Generated tier: the baked service runs, answers every endpoint and refuses bad input cleanly.

One bake of the defaults is set up (`make setup`), trained (`make repro`) and served
(`make serve` on a free loopback port) for the whole module; the tests then talk to it over
HTTP like any client would. A second, service-only environment (what the image installs)
proves the service runs without the pipeline's or research's packages.

Nothing here names the example's fields or counts: records come from `/v1/model` (the card's
example, a row of the data) and `/openapi.json` (an example made from the contract), a broken
record breaks one field the input schema describes and expects that field and reason back, and
the answers are checked against the pipeline's own batch scoring of the data.
"""

from __future__ import annotations

import csv
import json
import math
import signal
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import free_port, run, serve
from service_project import (
    SETUP_TIMEOUT,
    START_TIMEOUT,
    TrainedProject,
    broken,
    call,
    stop_gracefully,
    trained_project,
)

pytestmark = [pytest.mark.generated, pytest.mark.xdist_group("service")]
# Each task's bundled example is baked, trained and served; every test runs against each.
TASKS = ["classification", "regression"]


@pytest.fixture(scope="module", params=TASKS)
def project(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> TrainedProject:
    return trained_project(tmp_path_factory, task=request.param)


@pytest.fixture(scope="module")
def server(project: TrainedProject, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    command = ["make", "serve", f"PORT={port}"]
    with serve(command, project.root, project.env, f"{base}/readyz", log=log, seconds=START_TIMEOUT) as process:
        yield base
        stop_gracefully(process, log)


@pytest.fixture(scope="module")
def example(server: str) -> dict[str, Any]:
    return dict(call(server, "/v1/model").json()["example"])


def test_health_and_readiness(server: str, project: TrainedProject) -> None:
    assert call(server, "/healthz").json() == {"status": "ok"}
    card = json.loads(project.champion.with_name("model_card.json").read_text())
    assert call(server, "/readyz").json() == {"status": "ready", "model_version": card["sha256"][:12]}


def test_model_endpoint_serves_the_pipelines_card(server: str, project: TrainedProject) -> None:
    card = json.loads(project.champion.with_name("model_card.json").read_text())
    info = call(server, "/v1/model").json()
    assert (info["name"], info["version"], info["classes"]) == (card["name"], card["version"], card["classes"])
    assert info["metrics"] == card["metrics"]
    assert info["example"] == card["example"]


def assert_answer(body: dict[str, Any], task: str) -> None:
    """A classifier's class with its probabilities, or a regressor's finite number."""
    if task == "classification":
        assert body["prediction"] in body["probabilities"]
        assert abs(sum(body["probabilities"].values()) - 1.0) < 1e-5
    else:
        assert isinstance(body["value"], float)
        assert math.isfinite(body["value"])


def test_predict_scores_the_example(server: str, example: dict[str, Any], project: TrainedProject) -> None:
    answer = call(server, "/v1/predict", json.dumps(example).encode())
    assert answer.status == 200
    assert_answer(answer.json(), project.task)
    assert call(server, "/v1/model").json()["task"] == project.task
    assert answer.headers["x-request-id"]


def test_batch_scores_records_in_order(server: str, example: dict[str, Any], project: TrainedProject) -> None:
    from_contract = call(server, "/openapi.json").json()["components"]["schemas"]["PredictRequest"]["examples"][0]
    records = [example, from_contract, example]
    answer = call(server, "/v1/predict/batch", json.dumps({"records": records}).encode())
    assert answer.status == 200
    predictions = answer.json()["predictions"]
    assert len(predictions) == 3
    assert predictions[0] == predictions[2]
    for prediction in predictions:
        assert_answer(prediction, project.task)


def test_a_bad_record_gets_422_with_the_field_and_reason(server: str, example: dict[str, Any]) -> None:
    record, field, kind = broken(example, call(server, "/v1/model").json()["input_schema"])
    answer = call(server, "/v1/predict", json.dumps(record).encode())
    assert answer.status == 422
    assert [(item["field"], item["type"]) for item in answer.json()["detail"]] == [(field, kind)]


def test_a_bad_record_in_a_batch_is_located(server: str, example: dict[str, Any]) -> None:
    record, field, kind = broken(example, call(server, "/v1/model").json()["input_schema"])
    answer = call(server, "/v1/predict/batch", json.dumps({"records": [example, record]}).encode())
    assert answer.status == 422
    assert [(item["field"], item["type"]) for item in answer.json()["detail"]] == [(f"records.1.{field}", kind)]


def test_the_service_answers_as_the_pipelines_batch_scoring_does(
    server: str, project: TrainedProject, tmp_path: Path
) -> None:
    """Parity, per task: `make score` (the pipeline's batch scoring) and `/v1/predict/batch` on the data's rows."""
    (data,) = project.root.glob("core/src/*_core/data/*.csv")
    scored_path = tmp_path / "scored.csv"
    run(["make", "score", f"INPUT={data}", f"OUTPUT={scored_path}"], project.root, project.env)
    with scored_path.open(newline="", encoding="utf-8") as handle:
        scored = list(csv.DictReader(handle))
    assert scored
    properties = call(server, "/v1/model").json()["input_schema"]["properties"]

    def value(name: str, cell: str) -> Any:
        if cell == "":
            return None
        types = {part.get("type") for part in properties[name].get("anyOf", [properties[name]])}
        return float(cell) if types & {"number", "integer"} else cell

    records = [{name: value(name, row[name]) for name in properties} for row in scored]
    answers: list[dict[str, Any]] = []
    for start in range(0, len(records), 500):
        chunk = records[start : start + 500]
        answer = call(server, "/v1/predict/batch", json.dumps({"records": chunk}).encode())
        assert answer.status == 200, answer.body[:500]
        answers.extend(answer.json()["predictions"])
    for row, served in zip(scored, answers, strict=True):
        if project.task == "classification":
            assert served["prediction"] == row["prediction"]
            for label, probability in served["probabilities"].items():
                assert abs(probability - float(row[f"probability_{label}"])) <= 1e-5
        else:
            expected = float(row["prediction"])
            assert abs(served["value"] - expected) <= 1e-5 * max(1.0, abs(expected))


def test_broken_json_gets_400(server: str) -> None:
    answer = call(server, "/v1/predict", b'{"a": 1,')
    assert answer.status == 400
    assert answer.json()["error"] == "invalid_json"


def test_a_body_over_the_limit_gets_413_before_it_is_sent(server: str) -> None:
    """The server answers from the headers alone and closes; it never waits for the 1 MiB."""
    host, port = server.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        head = f"POST /v1/predict/batch HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        connection.sendall(f"{head}Content-Length: {1_048_576 + 1}\r\n\r\n".encode() + b"{")
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.split()[1] == b"413"
    assert json.loads(rest.partition(b"\r\n\r\n")[2])["error"] == "body_too_large"


def test_unknown_paths_and_methods_get_json_errors(server: str) -> None:
    assert call(server, "/v1/nothing").status == 404
    assert call(server, "/v1/predict").status == 405


def test_openapi_documents_every_error(server: str) -> None:
    schema = call(server, "/openapi.json").json()
    for path in ("/v1/predict", "/v1/predict/batch"):
        assert {"200", "400", "413", "422", "503"} <= set(schema["paths"][path]["post"]["responses"])


def test_metrics_show_latency_predictions_errors_and_no_server_error(
    server: str, example: dict[str, Any], project: TrainedProject
) -> None:
    call(server, "/v1/predict", json.dumps(example).encode())
    record, _, _ = broken(example, call(server, "/v1/model").json()["input_schema"])
    assert call(server, "/v1/predict", json.dumps(record).encode()).status == 422  # this test's own client error
    text = call(server, "/metrics").body.decode()
    assert 'http_request_duration_seconds_count{method="POST",route="/v1/predict"}' in text
    assert 'http_request_errors_total{route="/v1/predict",status="422"}' in text
    if project.task == "classification":
        assert "model_predictions_total{class=" in text
    else:
        assert "model_predicted_value_bucket{" in text
        assert "model_predictions_total " in text
    assert "model_info{" in text
    # The only 5xx allowed is /readyz saying 503 while the model was still loading.
    errors = [line for line in text.splitlines() if line.startswith("http_request_errors_total")]
    server_errors = [line for line in errors if 'status="5' in line]
    assert all('route="/readyz",status="503"' in line for line in server_errors), server_errors


def test_the_service_only_environment_serves_without_training_packages(project: TrainedProject, tmp_path: Path) -> None:
    """What the image installs (`uv sync --package <slug>-service --no-dev`): core + service, nothing else."""
    env = {**project.env, "UV_PROJECT_ENVIRONMENT": str(tmp_path / "service-env")}
    run(f"uv sync --package {project.slug}-service --no-dev --no-editable", project.root, env, timeout=SETUP_TIMEOUT)
    python = str(tmp_path / "service-env" / "bin" / "python")
    probe = (
        "import importlib.util as u; "
        f"names = ['{project.package}_service', '{project.package}_core', 'onnxruntime', 'fastapi', "
        f"'{project.package}_pipelines', '{project.package}_research', 'sklearn', 'pandas', 'mlflow', 'dvc']; "
        "print(json.dumps({n: u.find_spec(n) is not None for n in names}))"
    )
    found = json.loads(run([python, "-c", "import json; " + probe], project.root, env).strip().splitlines()[-1])
    assert found == {
        f"{project.package}_service": True,
        f"{project.package}_core": True,
        "onnxruntime": True,
        "fastapi": True,
        f"{project.package}_pipelines": False,
        f"{project.package}_research": False,
        "sklearn": False,
        "pandas": False,
        "mlflow": False,
        "dvc": False,
    }
    # And it serves: the same module the image's CMD runs, then its HEALTHCHECK.
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    serve_env = {**env, "PORT": str(port), "MODEL_PATH": str(project.champion)}
    command = [python, "-m", f"{project.package}_service"]
    with serve(command, tmp_path, serve_env, f"{base}/readyz", log=log, seconds=START_TIMEOUT) as process:
        example = call(base, "/v1/model").json()["example"]
        assert call(base, "/v1/predict", json.dumps(example).encode()).status == 200
        run([python, "-m", f"{project.package}_service.healthcheck"], tmp_path, serve_env)
        stop_gracefully(process, log, signal.SIGTERM)  # as Kubernetes and `docker stop` do
