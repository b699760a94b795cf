"""Service (ML Engineers): the load test, with Locust, for a deployed service or `make serve` on this machine.

    make bench                                   # the service on 127.0.0.1:$(PORT), headless, a summary table
    uvx locust -f service/loadtest/locustfile.py --host https://model-api.staging.example.com

Locust is not a dependency of the workspace: it runs with `uvx` (or `pip install locust`) from any
machine that may load that host. Each simulated user first reads `/v1/model` for a valid record,
then mixes single predictions, batches (of at most the service's MAX_BATCH_RECORDS) and health checks.

Nothing here names the dataset: the record is the model card's example, and the invalid one
breaks one field found in the card's input schema and expects that field, and that reason, back.
"""

from __future__ import annotations

import os
from typing import Any

from locust import FastHttpUser, between, task

BATCH_SIZE = int(os.environ.get("LOADTEST_BATCH_SIZE", "100"))
SCORED = ("prediction", "value")  # a classifier's answer, a regressor's
MAX_WAIT_SECONDS = float(os.environ.get("LOADTEST_MAX_WAIT", "0.1"))


def broken(record: dict[str, Any], schema: dict[str, Any]) -> tuple[dict[str, Any], str, str]:
    """The record with one field the contract refuses, that field's name and the error type expected for it."""
    for name, spec in schema["properties"].items():
        present = next((part for part in spec.get("anyOf", [spec]) if part.get("type") != "null"), spec)
        if "maximum" in present:
            return {**record, name: present["maximum"] + abs(present["maximum"]) + 1}, name, "less_than_equal"
        if "enum" in present:
            return {**record, name: "+".join(map(str, present["enum"]))}, name, "literal_error"
    name = schema["required"][0]  # no range and no categories anywhere: leave a required field out
    return {key: value for key, value in record.items() if key != name}, name, "missing"


class ModelApiUser(FastHttpUser):
    """A client of the model API: mostly single predictions, some batches, a few probes."""

    wait_time = between(0.0, MAX_WAIT_SECONDS)
    record: dict[str, Any]
    batch: dict[str, Any]
    batch_size: int
    invalid: tuple[dict[str, Any], str, str]

    def on_start(self) -> None:
        with self.client.get("/v1/model", name="/v1/model", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"/v1/model answered {response.status_code}: is the model loaded?")
                self.stop()
                return
            card = response.json()
            self.record = card["example"]
        self.batch_size = min(BATCH_SIZE, card["max_batch_records"])
        self.batch = {"records": [self.record] * self.batch_size}
        self.invalid = broken(self.record, card["input_schema"])

    @task(20)
    def predict(self) -> None:
        with self.client.post("/v1/predict", json=self.record, catch_response=True) as response:
            if response.status_code != 200 or not set(SCORED) & set(response.json()):
                response.failure(f"unexpected answer {response.status_code}")

    @task(2)
    def predict_batch(self) -> None:
        with self.client.post(
            "/v1/predict/batch", json=self.batch, name=f"/v1/predict/batch ({self.batch_size})", catch_response=True
        ) as response:
            if response.status_code != 200 or len(response.json()["predictions"]) != self.batch_size:
                response.failure(f"unexpected answer {response.status_code}")

    @task(1)
    def health(self) -> None:
        self.client.get("/healthz")

    @task(1)
    def invalid_record_is_refused(self) -> None:
        bad, field, kind = self.invalid
        with self.client.post("/v1/predict", json=bad, name="/v1/predict (invalid)", catch_response=True) as response:
            found = [(item["field"], item["type"]) for item in response.json().get("detail", [])]
            if response.status_code == 422 and found == [(field, kind)]:
                response.success()
            else:
                response.failure(
                    f"an invalid record got {response.status_code} {found}, expected 422 [{(field, kind)}]"
                )
