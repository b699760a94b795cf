"""Service (ML Engineers): the load test (`loadtest/locustfile.py`) runs every task against this app, on any contract.

Locust is not a workspace dependency (it runs with `uvx`), so the file is loaded with a stand-in
`locust` module whose user's client is the test client: what is tested is the locustfile's own
logic — its start, each task and the checks it makes of every answer.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

LOCUSTFILE = Path(__file__).parents[1] / "loadtest" / "locustfile.py"


class Answer:
    """A response as Locust's `catch_response=True` hands it over: marked a success or a failure."""

    def __init__(self, response: Any) -> None:
        self.status_code = response.status_code
        self.json = response.json
        self.verdict: str | None = None

    def success(self) -> None:
        self.verdict = "success"

    def failure(self, reason: str) -> None:
        self.verdict = f"failure: {reason}"


class Client:
    """Locust's HTTP client over the test client; every request it made, with its verdict, in `answers`."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.answers: list[tuple[str, int, str | None]] = []

    @contextlib.contextmanager
    def _request(self, method: str, path: str, **options: Any) -> Iterator[Answer]:
        answer = Answer(self.client.request(method, path, json=options.get("json")))
        yield answer
        self.answers.append((options.get("name", path), answer.status_code, answer.verdict))

    def get(self, path: str, **options: Any) -> Any:
        if options.get("catch_response"):
            return self._request("GET", path, **options)
        response = self.client.get(path)
        self.answers.append((path, response.status_code, None))
        return response

    def post(self, path: str, **options: Any) -> Any:
        return self._request("POST", path, **options)


@pytest.fixture(scope="module")
def locustfile() -> Any:
    stand_in = types.ModuleType("locust")
    stand_in.FastHttpUser = object
    stand_in.between = lambda low, high: None
    stand_in.task = lambda weight: lambda function: function
    spec = importlib.util.spec_from_file_location("locustfile", LOCUSTFILE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(sys.modules, "locust", stand_in)
        spec.loader.exec_module(module)
    return module


def test_every_task_of_the_load_test_gets_the_answer_it_expects(client: TestClient, locustfile: Any) -> None:
    user = locustfile.ModelApiUser()
    user.client = Client(client)
    user.on_start()
    for task in (user.predict, user.predict_batch, user.health, user.invalid_record_is_refused):
        task()
    names = [name for name, _, _ in user.client.answers]
    assert names == [
        "/v1/model",
        "/v1/predict",
        f"/v1/predict/batch ({user.batch_size})",
        "/healthz",
        "/v1/predict (invalid)",
    ]
    failures = [answer for answer in user.client.answers if answer[2] and answer[2].startswith("failure")]
    assert not failures
    assert user.client.answers[-1][1:] == (422, "success")


def test_the_invalid_record_is_refused_naming_the_field_and_reason_it_expects(
    client: TestClient, locustfile: Any
) -> None:
    card = client.get("/v1/model").json()
    record, field, kind = locustfile.broken(card["example"], card["input_schema"])
    assert field in card["input_schema"]["properties"]
    response = client.post("/v1/predict", json=record)
    assert response.status_code == 422, response.text
    assert [(item["field"], item["type"]) for item in response.json()["detail"]] == [(field, kind)]


def test_a_task_that_gets_a_wrong_answer_reports_a_failure(client: TestClient, locustfile: Any) -> None:
    """The checks can fail: a user whose record breaks the contract has its prediction task marked failed."""
    user = locustfile.ModelApiUser()
    user.client = Client(client)
    user.on_start()
    user.record, *_ = user.invalid
    user.predict()
    assert user.client.answers[-1][1:] == (422, "failure: unexpected answer 422")
