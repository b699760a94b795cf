"""Pipelines: small fixtures — a few contract-valid rows and a params file pointing into a temp dir."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from {{ cookiecutter.package_name }}_core import FEATURE_COLUMNS, TARGET, find_violations, iter_example_records
from {{ cookiecutter.package_name }}_pipelines import export
from {{ cookiecutter.package_name }}_pipelines.__main__ import main
from {{ cookiecutter.package_name }}_pipelines.params import load_params
from {{ cookiecutter.package_name }}_pipelines.scoring import classification_metrics
from {{ cookiecutter.package_name }}_pipelines.train import fit

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def example_frame() -> pd.DataFrame:
    """Every fourth row of the example data: all classes and islands, a quarter of the rows."""
    return pd.DataFrame(list(iter_example_records())).iloc[::4].reset_index(drop=True)


@pytest.fixture
def params_file(tmp_path: Path) -> Path:
    """The repository's params.yaml with every path moved under tmp_path."""
    params = yaml.safe_load((REPO_ROOT / "params.yaml").read_text())
    params["paths"] = {key: str(tmp_path / value) for key, value in params["paths"].items()}
    params["monitor"]["current"] = str(tmp_path / params["monitor"]["current"])
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    return path


ExportTo = Callable[..., tuple[Path, Path, dict[str, Any]]]


@pytest.fixture(scope="session")
def valid_frame(example_frame: pd.DataFrame) -> pd.DataFrame:
    """The example rows that keep the contract."""
    keep = [not find_violations(row) for row in example_frame.to_dict(orient="records")]
    return example_frame[keep].reset_index(drop=True)


@pytest.fixture(scope="session")
def export_to() -> ExportTo:
    """Train on a frame with regularisation `c` and export to folder/model.onnx + model_card.json, as the pipeline does."""

    def export_model(folder: Path, frame: pd.DataFrame, *, c: float) -> tuple[Path, Path, dict[str, Any]]:
        folder.mkdir(parents=True, exist_ok=True)
        onnx_path, card_path = folder / "model.onnx", folder / "model_card.json"
        model = fit(frame, c=c, max_iter=500, seed=0)
        metrics = classification_metrics(
            frame[TARGET], model.predict_proba(frame[list(FEATURE_COLUMNS)]), model.classes_
        )
        card = export.export_model(model, frame, onnx_path, card_path, name="m", metrics=metrics)
        return onnx_path, card_path, card

    return export_model


TRAINING_STAGES = ["ingest", "validate", "split", "train", "evaluate", "export"]


@pytest.fixture
def train_and_register(params_file: Path) -> Callable[..., int]:
    """Set params (section -> values), run the training stages, then `register`; returns register's exit code."""

    def run(**sections: dict[str, Any]) -> int:
        params = yaml.safe_load(params_file.read_text())
        for section, values in sections.items():
            params[section].update(values)
        params_file.write_text(yaml.safe_dump(params))
        for stage in TRAINING_STAGES:
            assert main([stage, "--params", str(params_file)]) == 0, stage
        return main(["register", "--params", str(params_file)])

    return run


@pytest.fixture
def last_decision(params_file: Path) -> Callable[[], dict[str, Any]]:
    """The gate's last decision, as register wrote it to reports/registry.json."""

    def read() -> dict[str, Any]:
        record: dict[str, Any] = json.loads((load_params(params_file).paths.reports / "registry.json").read_text())
        return record

    return read
