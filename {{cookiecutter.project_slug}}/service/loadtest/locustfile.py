"""Service (ML Engineers): load test for a deployed service (staging, a real cluster) with Locust.

    uvx locust -f service/loadtest/locustfile.py --host https://model-api.staging.example.com

Locust is not a dependency of the workspace: run it with `uvx` (or `pip install locust`) from
any machine that may load that host. Each simulated user first reads `/v1/model` for a valid
record, then mixes single predictions, batches and health checks. For a quick figure on your
own machine use `make bench`, which drives the service on loopback instead.
"""

from __future__ import annotations

import os
from typing import Any

from locust import FastHttpUser, between, task

BATCH_SIZE = int(os.environ.get("LOADTEST_BATCH_SIZE", "100"))
MAX_WAIT_SECONDS = float(os.environ.get("LOADTEST_MAX_WAIT", "0.1"))


class ModelApiUser(FastHttpUser):
    """A client of the model API: mostly single predictions, some batches, a few probes."""

    wait_time = between(0.0, MAX_WAIT_SECONDS)
    record: dict[str, Any]
    batch: dict[str, Any]

    def on_start(self) -> None:
        with self.client.get("/v1/model", name="/v1/model", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"/v1/model answered {response.status_code}: is the model loaded?")
                self.stop()
                return
            self.record = response.json()["example"]
        self.batch = {"records": [self.record] * BATCH_SIZE}

    @task(20)
    def predict(self) -> None:
        with self.client.post("/v1/predict", json=self.record, catch_response=True) as response:
            if response.status_code != 200 or "prediction" not in response.json():
                response.failure(f"unexpected answer {response.status_code}")

    @task(2)
    def predict_batch(self) -> None:
        with self.client.post(
            "/v1/predict/batch", json=self.batch, name=f"/v1/predict/batch ({BATCH_SIZE})", catch_response=True
        ) as response:
            if response.status_code != 200 or len(response.json()["predictions"]) != BATCH_SIZE:
                response.failure(f"unexpected answer {response.status_code}")

    @task(1)
    def health(self) -> None:
        self.client.get("/healthz")

    @task(1)
    def invalid_record_is_refused(self) -> None:
        bad = {**self.record, "body_mass_g": -1.0}
        with self.client.post("/v1/predict", json=bad, name="/v1/predict (invalid)", catch_response=True) as response:
            if response.status_code == 422:
                response.success()
            else:
                response.failure(f"an invalid record got {response.status_code}, expected 422")
