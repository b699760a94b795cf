"""Service (ML Engineers): what the API answers equals what the trained scikit-learn model says, per task."""

from __future__ import annotations

from typing import Any

import numpy as np
from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }}_core import FEATURE_COLUMNS, TASK

# The export's parity tolerance: probabilities are compared as they are; a regressor's values
# relative to their scale (onnxruntime computes in float32).
TOLERANCE = 1e-5


def served(client: TestClient, records: list[dict[str, Any]], batch: int) -> list[dict[str, Any]]:
    answers: list[dict[str, Any]] = []
    for start in range(0, len(records), batch):
        response = client.post("/v1/predict/batch", json={"records": records[start : start + batch]})
        assert response.status_code == 200, response.text
        answers.extend(response.json()["predictions"])
    return answers


def assert_same_as_the_trained_model(answers: list[dict[str, Any]], model: Any, frame: Any) -> None:
    features = frame[list(FEATURE_COLUMNS)]
    if TASK == "classification":
        classes = list(model.classes_)
        actual = np.array([[row["probabilities"][label] for label in classes] for row in answers])
        expected = model.predict_proba(features)
        assert actual.shape == expected.shape == (len(frame), len(classes))
        assert float(np.max(np.abs(actual - expected))) <= TOLERANCE
        assert [row["prediction"] for row in answers] == list(model.predict(features))
    else:
        actual = np.array([row["value"] for row in answers])
        expected = np.asarray(model.predict(features), dtype=np.float64).reshape(-1)
        assert actual.shape == expected.shape == (len(frame),)
        scale = max(1.0, float(np.max(np.abs(expected))))
        assert float(np.max(np.abs(actual - expected))) / scale <= TOLERANCE


def test_service_answers_match_the_trained_model_on_the_test_split(
    client: TestClient, trained: Any, settings: Any, records: list[dict[str, Any]]
) -> None:
    answers = served(client, records, settings.max_batch_records)
    assert_same_as_the_trained_model(answers, trained.model, trained.test_frame)


def test_a_gap_in_any_column_null_or_left_out_is_scored_as_the_trained_model_scores_it(
    every_column_optional: Any, settings: Any
) -> None:
    """On a synthetic contract whose every column is optional: the API's answers to records with a gap in a
    different column each, null (in batches) or left out (one by one), are the trained model's answers to the same
    rows with NaN (numbers) and a missing category."""
    client, gapped, nulls = every_column_optional.client, every_column_optional.gapped, every_column_optional.records
    left_out = [{name: value for name, value in record.items() if value is not None} for record in nulls]
    singles = []
    for record in left_out:
        response = client.post("/v1/predict", json=record)
        assert response.status_code == 200, response.text
        singles.append(response.json())
    for answers in (served(client, nulls, settings.max_batch_records), singles):
        assert_same_as_the_trained_model(answers, every_column_optional.model, gapped)
