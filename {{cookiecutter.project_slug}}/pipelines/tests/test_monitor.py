"""Pipelines: drift statistics say 'no drift' for the same data and 'drift' for a shifted batch."""

from __future__ import annotations

import numpy as np
import pandas as pd

from {{ cookiecutter.package_name }}_core import FEATURE_COLUMNS, find_violations
from {{ cookiecutter.package_name }}_pipelines.monitor import drift_report, psi, simulate_drift

THRESHOLDS = {"psi_threshold": 0.2, "p_value": 0.01, "drift_share_threshold": 0.3}


def valid_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[[not find_violations(row) for row in frame.to_dict(orient="records")]].reset_index(drop=True)


def test_psi_is_zero_for_identical_distributions() -> None:
    shares = np.array([0.2, 0.3, 0.5])
    assert psi(shares, shares) == 0.0


def test_psi_grows_with_the_shift() -> None:
    base = np.array([0.25, 0.25, 0.25, 0.25])
    assert psi(base, np.array([0.3, 0.3, 0.2, 0.2])) < psi(base, np.array([0.7, 0.1, 0.1, 0.1]))


def test_a_batch_compared_with_itself_has_not_drifted(example_frame: pd.DataFrame) -> None:
    frame = valid_rows(example_frame)
    report = drift_report(frame, frame, **THRESHOLDS)
    assert report["drifted_features"] == []
    assert report["dataset_drift"] is False


def test_the_simulated_batch_drifts_and_still_meets_the_contract(example_frame: pd.DataFrame) -> None:
    frame = valid_rows(example_frame)
    batch = simulate_drift(frame, shift=0.15, seed=1)
    assert set(batch.columns) == set(FEATURE_COLUMNS)
    report = drift_report(frame, batch, **THRESHOLDS)
    assert "body_mass_g" in report["drifted_features"]
    assert report["dataset_drift"] is True


def test_no_shift_means_no_drift(example_frame: pd.DataFrame) -> None:
    frame = valid_rows(example_frame)
    report = drift_report(frame, simulate_drift(frame, shift=0.0, seed=1), **THRESHOLDS)
    assert report["dataset_drift"] is False
