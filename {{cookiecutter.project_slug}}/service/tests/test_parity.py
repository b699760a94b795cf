"""Service (ML Engineers): what the API answers equals what the trained scikit-learn model says, per task."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }}_core import FEATURE_COLUMNS, OPTIONAL_COLUMNS, TASK
from {{ cookiecutter.package_name }}_service.model import OnnxModel

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


@pytest.mark.skipif(not OPTIONAL_COLUMNS, reason="the contract has no optional column")
def test_optional_fields_left_out_are_scored_as_the_trained_model_scores_missing_values(
    client: TestClient, trained: Any, settings: Any, records: list[dict[str, Any]]
) -> None:
    """Null or left out, an optional value reaches the model as a gap (NaN), which its imputer fills."""
    import pandas as pd

    frame = trained.test_frame.copy()
    gaps = frame.index % 2 == 0  # every other row loses every optional value
    frame.loc[gaps, list(OPTIONAL_COLUMNS)] = np.nan
    requests = [
        {name: value for name, value in record.items() if not (gap and name in OPTIONAL_COLUMNS)}
        for record, gap in zip(records, gaps, strict=True)
    ]
    answers = served(client, requests, settings.max_batch_records)
    assert_same_as_the_trained_model(answers, trained.model, pd.DataFrame(frame))


def test_a_gap_in_any_column_is_scored_as_the_trained_model_scores_it(
    trained: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """On a synthetic contract whose every column is optional (whatever the team's marks optional): a model trained
    to impute each, exported, and the service's records with a gap (None) in a different column each, score as the
    trained model scores the same rows with NaN (numbers) and a missing category."""
    import pandas as pd

    from {{ cookiecutter.package_name }}_core import CATEGORICAL_COLUMNS, TARGET, Features, features
    from {{ cookiecutter.package_name }}_pipelines.export import export_model

    monkeypatch.setattr(features, "OPTIONAL_COLUMNS", FEATURE_COLUMNS)
    monkeypatch.setattr(OnnxModel, "_optional_categories", tuple(CATEGORICAL_COLUMNS))
    frame = pd.DataFrame(trained.test_frame)
    model = features.build_model().fit(frame[list(FEATURE_COLUMNS)], frame[TARGET])
    gapped = frame.copy()
    for row in range(1, len(gapped)):  # the first row stays whole: the card's example is a valid request
        gapped.loc[row, FEATURE_COLUMNS[row % len(FEATURE_COLUMNS)]] = None
    export_model(model, gapped, tmp_path / "model.onnx", tmp_path / "model_card.json")
    served = OnnxModel.load(tmp_path / "model.onnx")
    rows = gapped[list(FEATURE_COLUMNS)].to_dict(orient="records")
    records = [Features.model_construct(**{k: None if pd.isna(v) else v for k, v in row.items()}) for row in rows]
    assert_same_as_the_trained_model(served.predict(records), model, gapped)
