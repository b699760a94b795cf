"""Service (ML Engineers): what the API answers equals what the trained scikit-learn model says."""

from __future__ import annotations

from typing import Any

import numpy as np
from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }}_core import FEATURE_COLUMNS

TOLERANCE = 1e-5


def test_service_probabilities_match_the_trained_model_on_the_test_split(
    client: TestClient, trained: Any, settings: Any
) -> None:
    frame = trained.test_frame
    records = frame[list(FEATURE_COLUMNS)].to_dict(orient="records")
    served: list[dict[str, Any]] = []
    for start in range(0, len(records), settings.max_batch_records):
        chunk = records[start : start + settings.max_batch_records]
        response = client.post("/v1/predict/batch", json={"records": chunk})
        assert response.status_code == 200, response.text
        served.extend(response.json()["predictions"])
    classes = list(trained.model.classes_)
    actual = np.array([[row["probabilities"][label] for label in classes] for row in served])
    expected = trained.model.predict_proba(frame[list(FEATURE_COLUMNS)])
    assert actual.shape == expected.shape == (len(frame), len(classes))
    assert float(np.max(np.abs(actual - expected))) <= TOLERANCE
    assert [row["prediction"] for row in served] == list(trained.model.predict(frame[list(FEATURE_COLUMNS)]))
