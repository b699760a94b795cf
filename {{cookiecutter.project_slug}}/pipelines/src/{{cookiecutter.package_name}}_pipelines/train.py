"""Pipelines (MLOps): train — fit core's training recipe with the family and hyperparameters in params.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.pipeline import Pipeline

from {{ cookiecutter.package_name }}_core import FEATURE_COLUMNS, TARGET
from {{ cookiecutter.package_name }}_core.features import Estimator, build_model

from .params import Params
from .trained import save_trained


def fit(frame: pd.DataFrame, estimator: Estimator = "linear", *, seed: int = 0, **hyperparameters: Any) -> Pipeline:
    """build_model(estimator, seed, hyperparameters) fitted on the contract's columns of `frame`."""
    model = build_model(estimator, seed=seed, **hyperparameters)
    return model.fit(frame[list(FEATURE_COLUMNS)], frame[TARGET])


def run(train: Path, model: Path, estimator: Estimator, *, seed: int, hyperparameters: dict[str, Any]) -> Pipeline:
    fitted = fit(pd.read_parquet(train), estimator, seed=seed, **hyperparameters)
    # skops, not a pickle: the file crosses the DVC cache and remote (see trained.py).
    save_trained(fitted, model)
    print(f"train: fitted {type(fitted[-1]).__name__} ({estimator}) -> {model}")
    return fitted


def stage(p: Params) -> None:
    run(p.paths.train, p.paths.model, p.train.estimator, seed=p.train.seed, hyperparameters=p.train.hyperparameters())
