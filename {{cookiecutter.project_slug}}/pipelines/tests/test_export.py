"""Pipelines: the ONNX export reproduces the trained model, or refuses to write anything."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline

from {{ cookiecutter.package_name }}_core import find_violations
from {{ cookiecutter.package_name }}_pipelines import export
from {{ cookiecutter.package_name }}_pipelines.train import fit


@pytest.fixture(scope="module")
def model_and_frame(example_frame: pd.DataFrame) -> tuple[Pipeline, pd.DataFrame]:
    valid = example_frame[[not find_violations(row) for row in example_frame.to_dict(orient="records")]]
    return fit(valid, c=1.0, max_iter=500, seed=0), valid.reset_index(drop=True)


def test_export_writes_a_model_that_matches_within_tolerance(
    model_and_frame: tuple[Pipeline, pd.DataFrame], tmp_path: Path
) -> None:
    model, frame = model_and_frame
    card = export.export_model(model, frame, tmp_path / "m.onnx", tmp_path / "card.json", name="m")
    assert card["parity"]["max_abs_diff"] <= 1e-5
    assert card["classes"] == ["Adelie", "Chinstrap", "Gentoo"]
    assert set(card["example"]) == set(card["inputs"])


def test_the_same_model_exports_to_the_same_bytes(model_and_frame: tuple[Pipeline, pd.DataFrame]) -> None:
    model, _ = model_and_frame
    assert export.to_onnx(model) == export.to_onnx(model)


def test_opsets_are_listed_in_a_fixed_order(model_and_frame: tuple[Pipeline, pd.DataFrame]) -> None:
    """skl2onnx lists them in set order, which changes with the hash seed from one process to the next."""
    model, _ = model_and_frame
    domains = [opset.domain for opset in onnx.load_from_string(export.to_onnx(model)).opset_import]
    assert domains == sorted(domains)


def test_a_parity_failure_stops_the_export_and_writes_nothing(
    model_and_frame: tuple[Pipeline, pd.DataFrame], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model, frame = model_and_frame
    # Simulate a converter bug: the ONNX graph scores a different model.
    other = fit(frame, c=1e-4, max_iter=500, seed=0)
    convert = export.to_onnx
    monkeypatch.setattr(export, "to_onnx", lambda _model: convert(other))
    with pytest.raises(export.ParityError, match="was not exported"):
        export.export_model(model, frame, tmp_path / "m.onnx", tmp_path / "card.json")
    assert not (tmp_path / "m.onnx").exists()
    assert not (tmp_path / "card.json").exists()


def test_onnx_inputs_are_one_column_arrays(model_and_frame: tuple[Pipeline, pd.DataFrame]) -> None:
    _, frame = model_and_frame
    inputs = export.onnx_inputs(frame.head(3))
    assert inputs["island"].dtype == object
    assert inputs["body_mass_g"].dtype == np.float32
    assert all(array.shape == (3, 1) for array in inputs.values())
