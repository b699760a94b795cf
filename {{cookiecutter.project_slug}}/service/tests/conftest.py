"""Service (ML Engineers): fixtures — a model trained and exported by the pipeline's own code, and the app.

Tests run in the development environment, where every workspace member is installed, so the
fixture can train with core's recipe and export with the pipeline's `export_model`: the
service is tested against exactly the artefacts `make repro` writes. The service code itself
never imports scikit-learn, pandas or the pipeline.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import create_model
from pydantic.fields import FieldInfo

from {{ cookiecutter.package_name }}_service import create_app
from {{ cookiecutter.package_name }}_service.model import OnnxModel
from {{ cookiecutter.package_name }}_service.schemas import PredictRequest
from {{ cookiecutter.package_name }}_service.settings import RECORD_BYTES, Settings

MAX_BATCH_RECORDS = 25
# Small, so the limit is cheap to reach; past a full batch (and one record over it) of the contract's longest records.
MAX_BODY_BYTES = max(16_384, (MAX_BATCH_RECORDS + 2) * RECORD_BYTES)


@dataclass(frozen=True)
class Trained:
    """The scikit-learn model, its held-out rows and the exported files."""

    model: Any
    test_frame: Any
    onnx_path: Path
    card: dict[str, Any]


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Trained:
    import pandas as pd
    from sklearn.model_selection import train_test_split

    from {{ cookiecutter.package_name }}_core import (
        CARD_NAME,
        FEATURE_COLUMNS,
        MODEL_NAME,
        TARGET,
        TASK,
        find_violations,
        iter_records,
    )
    from {{ cookiecutter.package_name }}_core.features import build_model
    from {{ cookiecutter.package_name }}_pipelines.export import export_model

    frame = pd.DataFrame([row for row in iter_records(sample=True) if not find_violations(row)])
    stratify = frame[TARGET] if TASK == "classification" else None
    train, test = train_test_split(frame, test_size=0.25, random_state=0, stratify=stratify)
    test = test.reset_index(drop=True)
    model = build_model().fit(train[list(FEATURE_COLUMNS)], train[TARGET])
    score = float(model.score(test[list(FEATURE_COLUMNS)], test[TARGET]))  # accuracy or R², by task
    folder = tmp_path_factory.mktemp("models")
    card = export_model(model, test, folder / MODEL_NAME, folder / CARD_NAME, metrics={"score": score}).model_dump()
    assert card["sha256"] == hashlib.sha256((folder / MODEL_NAME).read_bytes()).hexdigest()
    return Trained(model=model, test_frame=test, onnx_path=folder / MODEL_NAME, card=card)


@pytest.fixture(scope="session")
def settings(trained: Trained) -> Settings:
    return Settings(
        model_path=trained.onnx_path,
        max_batch_records=MAX_BATCH_RECORDS,
        max_body_bytes=MAX_BODY_BYTES,
        access_log=False,
    )


@pytest.fixture(scope="session")
def onnx_model(trained: Trained) -> OnnxModel:
    return OnnxModel.load(trained.onnx_path)


@pytest.fixture(scope="session")
def app(settings: Settings, onnx_model: OnnxModel) -> FastAPI:
    return create_app(settings, model=onnx_model)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def example(trained: Trained) -> dict[str, Any]:
    return dict(trained.card["example"])


def as_record(row: dict[str, Any]) -> dict[str, Any]:
    """A data row as a request sends it: the contract's fields only, a gap (NaN) as null."""
    from {{ cookiecutter.package_name }}_core import FEATURE_COLUMNS

    return {
        name: None if row[name] is None or (isinstance(row[name], float) and math.isnan(row[name])) else row[name]
        for name in FEATURE_COLUMNS
    }


@pytest.fixture(scope="session")
def records(trained: Trained) -> list[dict[str, Any]]:
    """The held-out rows of the data, as requests."""
    return [as_record(row) for row in trained.test_frame.to_dict(orient="records")]


@dataclass(frozen=True)
class EveryColumnOptional:
    """A synthetic contract: the team's columns, each optional, whatever the team's marks optional. A model trained
    to impute each, its held-out rows with a gap (NaN) in a different column each but the first, those rows as
    requests (a gap as null), and the app."""

    model: Any
    gapped: Any
    records: list[dict[str, Any]]
    client: TestClient


@pytest.fixture
def every_column_optional(
    trained: Trained, settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[EveryColumnOptional]:
    import pandas as pd

    from {{ cookiecutter.package_name }}_core import CATEGORICAL_COLUMNS, FEATURE_COLUMNS, TARGET, features
    from {{ cookiecutter.package_name }}_pipelines.export import export_model

    monkeypatch.setattr(features, "OPTIONAL_COLUMNS", FEATURE_COLUMNS)
    monkeypatch.setattr(OnnxModel, "_optional_categories", tuple(CATEGORICAL_COLUMNS))
    frame = pd.DataFrame(trained.test_frame)
    model = features.build_model().fit(frame[list(FEATURE_COLUMNS)], frame[TARGET])
    gapped = frame.copy()
    for row in range(1, len(gapped)):  # the first row stays whole: the card's example is a valid request
        gapped.loc[row, FEATURE_COLUMNS[row % len(FEATURE_COLUMNS)]] = None
    export_model(model, gapped, tmp_path / "model.onnx", tmp_path / "model_card.json")
    optional = {
        name: (info.annotation | None, FieldInfo.merge_field_infos(info, default=None))
        for name, info in PredictRequest.model_fields.items()
    }
    request = create_model("PredictRequest", __base__=PredictRequest, **optional)  # type: ignore[call-overload]
    app = create_app(settings, model=OnnxModel.load(tmp_path / "model.onnx"), request=request)
    with TestClient(app, raise_server_exceptions=False) as client:
        records = [as_record(row) for row in gapped.to_dict(orient="records")]
        yield EveryColumnOptional(model=model, gapped=gapped, records=records, client=client)
