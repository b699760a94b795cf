"""Pipelines: the registry gate — a better model takes the alias, a worse one does not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from mlflow import MlflowClient

from {{ cookiecutter.package_name }}_core import find_violations
from {{ cookiecutter.package_name }}_pipelines import export, register_mlflow
from {{ cookiecutter.package_name }}_pipelines.train import fit


@pytest.fixture
def exported(example_frame: pd.DataFrame, tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    valid = example_frame[[not find_violations(row) for row in example_frame.to_dict(orient="records")]]
    model = fit(valid, c=1.0, max_iter=500, seed=0)
    onnx_path = tmp_path / "model.onnx"
    card = export.export_model(model, valid.reset_index(drop=True), onnx_path, tmp_path / "card.json", name="m")
    return onnx_path, card


def register(onnx_path: Path, card: dict[str, Any], f1: float) -> dict[str, Any]:
    return register_mlflow.run(
        name="gate-test",
        onnx_path=onnx_path,
        card=card,
        params={"train": {"c": 1.0}},
        metrics={"f1_macro": f1, "accuracy": f1},
        plots=onnx_path.parent / "no-plots",
        gate_metric="f1_macro",
        alias="champion",
    )


def test_should_promote_only_a_strictly_better_model() -> None:
    assert register_mlflow.should_promote(0.9, None)
    assert register_mlflow.should_promote(0.91, 0.9)
    assert not register_mlflow.should_promote(0.9, 0.9)
    assert not register_mlflow.should_promote(0.8, 0.9)


def test_a_worse_model_is_registered_but_does_not_take_the_alias(
    exported: tuple[Path, dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.chdir(tmp_path)  # the embedded store keeps its artefacts beside the database
    onnx_path, card = exported
    first = register(onnx_path, card, f1=0.95)
    second = register(onnx_path, card, f1=0.90)
    assert (first["promoted"], second["promoted"]) == (True, False)
    holder = MlflowClient().get_model_version_by_alias("gate-test", "champion")
    assert str(holder.version) == first["version"]
    assert second["version"] != first["version"]
