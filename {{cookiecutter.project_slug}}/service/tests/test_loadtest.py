"""Service (ML Engineers): the load test's invalid record is refused for the reason it expects, on any contract.

Locust is not a workspace dependency (it runs with `uvx` against a deployed host), so the file is
loaded here with a stand-in `locust` module: what is tested is its own logic, against this app.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

LOCUSTFILE = Path(__file__).parents[1] / "loadtest" / "locustfile.py"


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


def test_the_invalid_record_is_refused_naming_the_field_and_reason_it_expects(
    client: TestClient, locustfile: Any
) -> None:
    card = client.get("/v1/model").json()
    record, field, kind = locustfile.broken(card["example"], card["input_schema"])
    assert field in card["input_schema"]["properties"]
    response = client.post("/v1/predict", json=record)
    assert response.status_code == 422, response.text
    assert [(item["field"], item["type"]) for item in response.json()["detail"]] == [(field, kind)]


def test_the_valid_record_gets_an_answer_the_load_test_recognises(client: TestClient, locustfile: Any) -> None:
    answer = client.post("/v1/predict", json=client.get("/v1/model").json()["example"]).json()
    assert set(locustfile.SCORED) & set(answer)
