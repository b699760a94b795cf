"""Pipelines: the trained model crosses stages as skops; a tampered file is refused, never executed."""

from __future__ import annotations

import pickle
from pathlib import Path

import pandas as pd
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import Pipeline

from {{ cookiecutter.package_name }}_core import FEATURE_COLUMNS, TARGET
from {{ cookiecutter.package_name }}_core.features import build_model
from {{ cookiecutter.package_name }}_pipelines.__main__ import main
from {{ cookiecutter.package_name }}_pipelines.params import load_params
from {{ cookiecutter.package_name }}_pipelines.trained import UntrustedModel, load_trained, save_trained


class Payload:
    """Unpickling this creates a marker file: proof that a loader executed the pickle."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[Path]]:
        return Path.touch, (self.marker,)


class HomeMadeStep(BaseEstimator, TransformerMixin):  # type: ignore[misc]
    """A type skops does not trust by default."""

    def fit(self, features: pd.DataFrame, target: object = None) -> HomeMadeStep:
        return self

    def transform(self, features: pd.DataFrame) -> pd.DataFrame:
        return features


def test_a_fitted_model_round_trips(example_frame: pd.DataFrame, tmp_path: Path) -> None:
    frame = example_frame.dropna()
    model = build_model().fit(frame[list(FEATURE_COLUMNS)], frame[TARGET])
    save_trained(model, tmp_path / "model.skops")
    loaded = load_trained(tmp_path / "model.skops")
    pd.testing.assert_frame_equal(
        pd.DataFrame(loaded.predict_proba(frame[list(FEATURE_COLUMNS)])),
        pd.DataFrame(model.predict_proba(frame[list(FEATURE_COLUMNS)])),
    )


def test_a_pickle_in_place_of_the_model_is_refused_without_running_it(tmp_path: Path) -> None:
    marker = tmp_path / "payload-ran"
    path = tmp_path / "model.skops"
    path.write_bytes(pickle.dumps(Payload(marker)))
    with pytest.raises(UntrustedModel, match="is not a skops model file"):
        load_trained(path)
    assert not marker.exists()


def test_an_untrusted_type_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "model.skops"
    save_trained(Pipeline([("step", HomeMadeStep())]), path)
    with pytest.raises(UntrustedModel, match=r"not trusted: .*HomeMadeStep"):
        load_trained(path)


def test_evaluate_stops_on_a_tampered_model(params_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for stage in ("ingest", "validate", "split", "train"):
        assert main([stage, "--params", str(params_file)]) == 0
    p = load_params(params_file)
    marker = p.paths.model.parent / "payload-ran"
    p.paths.model.write_bytes(pickle.dumps(Payload(marker)))
    assert main(["evaluate", "--params", str(params_file)]) == 1
    assert "is not a skops model file" in capsys.readouterr().err
    assert not marker.exists()
