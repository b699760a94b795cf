"""Pipelines: the trained model crosses stages as skops; a tampered file is refused, never executed."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import Pipeline

from {{ cookiecutter.package_name }}_core import FEATURE_COLUMNS, TARGET, TASK, features
from {{ cookiecutter.package_name }}_core.features import ESTIMATORS, Estimator, build_model
from {{ cookiecutter.package_name }}_pipelines.__main__ import main
from {{ cookiecutter.package_name }}_pipelines.params import load_params
from {{ cookiecutter.package_name }}_pipelines.trained import TRUSTED_TYPES, UntrustedModel, load_trained, save_trained


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


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_a_fitted_model_of_every_family_round_trips(
    valid_frame: pd.DataFrame, small_models: dict[str, dict[str, Any]], tmp_path: Path, estimator: Estimator
) -> None:
    model = build_model(estimator, seed=0, **small_models[estimator]).fit(
        valid_frame[list(FEATURE_COLUMNS)], valid_frame[TARGET]
    )
    save_trained(model, tmp_path / "model.skops")
    loaded = load_trained(tmp_path / "model.skops")
    predict = "predict_proba" if TASK == "classification" else "predict"
    np.testing.assert_array_equal(
        getattr(loaded, predict)(valid_frame[list(FEATURE_COLUMNS)]),
        getattr(model, predict)(valid_frame[list(FEATURE_COLUMNS)]),
    )


@pytest.mark.slow  # every family, as classifier and regressor: eight fits
def test_the_trusted_types_are_exactly_those_the_families_need(
    valid_frame: pd.DataFrame, small_models: dict[str, dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every family, as classifier and regressor, with imputers: nothing they hold is refused, nothing more trusted."""
    monkeypatch.setattr(features, "OPTIONAL_COLUMNS", FEATURE_COLUMNS)
    rows = valid_frame[list(FEATURE_COLUMNS)]
    # A target of each task derived from the data: the contract's own, and one made from it for the other task.
    target = valid_frame[TARGET]
    if TASK == "classification":
        targets = {"classification": target, "regression": pd.Series(pd.factorize(target)[0], dtype=float)}
    else:
        targets = {"classification": (target > target.median()).map({True: "high", False: "low"}), "regression": target}
    needed: set[str] = set()
    for task, labels in targets.items():
        monkeypatch.setattr(features, "TASK", task)
        for estimator in ESTIMATORS:
            path = tmp_path / f"{task}-{estimator}.skops"
            save_trained(build_model(estimator, seed=0, **small_models[estimator]).fit(rows, labels), path)
            needed |= set(sio.get_untrusted_types(file=path))
            assert isinstance(load_trained(path), Pipeline)
    assert needed == set(TRUSTED_TYPES)


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
