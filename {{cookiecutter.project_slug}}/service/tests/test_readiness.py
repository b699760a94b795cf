"""Service (ML Engineers): with no model because the gate refused it, the service says so — not that a file is missing.

The pipeline's register stage writes every decision to `reports/registry.json` (`GATE_RECORD`), a refusal too,
although `make repro` then fails. Each test writes its own record, of this code's contract, in its own folder.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }}_core import CARD_NAME
from {{ cookiecutter.package_name }}_core.fingerprint import contract_fingerprint
from {{ cookiecutter.package_name }}_service import create_app
from {{ cookiecutter.package_name }}_service.model import REFUSED
from {{ cookiecutter.package_name }}_service.settings import Settings

# What the gate writes when it refuses a model (pipelines' gate.py): the numbers are the record's own.
REASON = (
    "score=0.1300 misses the floor: not clearly better than the baseline; score 0.1300 vs baseline 0.1300, "
    "better on 0.0% of 1000 paired resamples of 84 test rows (95% needed, register.beat_baseline.confidence)"
)


def refusal(**changes: Any) -> dict[str, Any]:
    record = {
        "outcome": REFUSED,
        "promoted": False,
        "reason": REASON,
        "challenger_score": 0.13,
        "baseline_score": 0.13,
        "contract": contract_fingerprint(),
    }
    return {**record, **changes}


def write_record(folder: Path, record: dict[str, Any] | str) -> Path:
    path = folder / "reports" / "registry.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(record if isinstance(record, str) else json.dumps(record))
    return path


def readiness(settings: Settings) -> tuple[int, dict[str, Any]]:
    """/readyz once the model has loaded or failed."""
    with TestClient(create_app(settings)) as client:
        deadline = time.monotonic() + 10
        response = client.get("/readyz")
        while response.json()["status"] == "loading" and time.monotonic() < deadline:
            time.sleep(0.05)
            response = client.get("/readyz")
        return response.status_code, response.json()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder with no model yet, as the working directory (`make serve` runs at the root)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def settings_in(project: Path, **values: Any) -> Settings:
    """The settings `make serve` gives, in `project`: the champion's path and the gate's record, both relative."""
    return Settings(
        model_path=Path("models/champion/model.onnx"),
        access_log=False,
        **{"gate_record": Path("reports/registry.json"), **values},
    )


def test_a_refused_model_is_named_with_its_numbers_and_where_the_decision_is(
    project: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_record(project, refusal())
    with caplog.at_level(logging.INFO):
        status, body = readiness(settings_in(project))
    assert (status, body["status"]) == (503, "failed")
    reason = body["reason"]
    assert reason.startswith("the gate refused the model, so none has shipped: ")
    assert REASON in reason
    assert reason.endswith("The decision is recorded in reports/registry.json")
    for missing in ("No such file", "cannot read", CARD_NAME, "model.onnx"):
        assert missing not in reason
    first = caplog.records[0]
    assert (first.levelname, first.getMessage()) == ("ERROR", f"no model to serve: {reason}")
    assert sum("gate refused" in record.getMessage() for record in caplog.records) == 1  # said once, not retried


def test_an_mlflow_run_holding_the_decision_is_named(project: Path) -> None:
    write_record(project, refusal(run_id="0123abcd"))
    _, body = readiness(settings_in(project))
    assert body["reason"].endswith("The decision is recorded in reports/registry.json and in MLflow run 0123abcd")


def test_an_absolute_record_path_is_named_by_its_file_name_alone(project: Path, tmp_path_factory: Any) -> None:
    elsewhere = tmp_path_factory.mktemp("records")
    path = write_record(elsewhere, refusal())
    _, body = readiness(settings_in(project, gate_record=path.resolve()))
    assert body["reason"].endswith("The decision is recorded in registry.json")
    assert str(elsewhere) not in body["reason"]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(json.dumps(refusal(contract="0" * 64)), id="another-contract"),
        pytest.param(json.dumps(refusal(outcome="first", promoted=True)), id="a-model-that-shipped"),
        pytest.param(json.dumps({k: v for k, v in refusal().items() if k != "reason"}), id="no-reason"),
        pytest.param("{not json", id="unreadable"),
        pytest.param("[1, 2]", id="not-an-object"),
    ],
)
def test_a_record_that_explains_nothing_leaves_the_loads_own_reason(project: Path, text: str) -> None:
    write_record(project, text)
    status, body = readiness(settings_in(project))
    assert (status, body["status"]) == (503, "failed")
    assert "gate refused" not in body["reason"]
    assert CARD_NAME in body["reason"]


def test_without_a_record_the_missing_card_is_named(project: Path) -> None:
    _, body = readiness(settings_in(project))
    assert CARD_NAME in body["reason"]
    assert "gate refused" not in body["reason"]
    _, unset = readiness(settings_in(project, gate_record=None))
    assert unset["reason"] == body["reason"]


def test_unless_a_record_is_named_none_is_read(project: Path) -> None:
    """GATE_RECORD is unset outside `make serve` (tests, the image): a record in the working folder is not read."""
    write_record(project, refusal())
    _, body = readiness(Settings(model_path=Path("models/champion/model.onnx"), access_log=False))
    assert "gate refused" not in body["reason"]


def test_a_model_that_is_there_is_served_whatever_the_record_says(project: Path, trained: Any) -> None:
    folder = project / "models" / "champion"
    folder.mkdir(parents=True)
    shutil.copy(trained.onnx_path, folder / "model.onnx")
    shutil.copy(trained.onnx_path.with_name(CARD_NAME), folder / CARD_NAME)
    write_record(project, refusal())
    status, body = readiness(settings_in(project))
    assert (status, body["status"]) == (200, "ready")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def started_lines(project: Path, port: int, until: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """`python -m <package>_service` as `make serve` runs it (GATE_RECORD set, MODEL_PATH the default), in JSON:
    its log lines up to the first whose message starts with `until`, and /readyz's body once it answers."""
    env = {**os.environ, "PORT": str(port), "LOG_FORMAT": "json", "DRAIN_SECONDS": "0"}
    env["GATE_RECORD"] = "reports/registry.json"
    env.pop("MODEL_PATH", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "{{ cookiecutter.package_name }}_service"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[dict[str, Any]] = []
    body: dict[str, Any] = {}
    try:
        assert server.stdout is not None
        while not lines or not lines[-1]["message"].startswith(until):
            line = server.stdout.readline()
            assert line, f"the server stopped before logging {until!r}: {lines}"
            lines.append(json.loads(line))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not body:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as answer:
                    body = json.loads(answer.read())
            except urllib.error.HTTPError as error:
                body = json.loads(error.read())
            except OSError:
                time.sleep(0.1)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return lines, body


def test_the_server_says_it_in_its_first_log_line_and_on_readyz(project: Path) -> None:
    """In a project whose first model the gate refused."""
    write_record(project, refusal())
    (first, *_), body = started_lines(project, free_port(), until="no model to serve")
    assert first["level"] == "error"
    assert first["message"].startswith("no model to serve: the gate refused the model, so none has shipped: ")
    assert REASON in first["message"]
    assert body["status"] == "failed"
    assert first["message"] == f"no model to serve: {body['reason']}"


def test_the_first_lines_say_where_it_listens_the_docs_and_the_model(project: Path, trained: Any) -> None:
    folder = project / "models" / "champion"
    folder.mkdir(parents=True)
    shutil.copy(trained.onnx_path, folder / "model.onnx")
    shutil.copy(trained.onnx_path.with_name(CARD_NAME), folder / CARD_NAME)
    port = free_port()
    lines, body = started_lines(project, port, until="model loaded")
    base = f"http://127.0.0.1:{port}"
    assert lines[0]["message"] == f"listening on {base}  docs: {base}/docs  model: models/champion/model.onnx"
    assert len(lines) <= 8, [line["message"] for line in lines]  # the model within the first lines
    assert lines[-1]["model_version"] == body["model_version"]
    assert body["status"] == "ready"
