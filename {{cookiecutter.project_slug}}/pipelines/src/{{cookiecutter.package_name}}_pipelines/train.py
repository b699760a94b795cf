"""Pipelines (MLOps): train — fit core's training recipe with the hyperparameters in params.yaml."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sklearn.pipeline import Pipeline

from {{ cookiecutter.package_name }}_core import FEATURE_COLUMNS, TARGET
from {{ cookiecutter.package_name }}_core.features import build_model

from .params import Params
from .trained import save_trained


def fit(frame: pd.DataFrame, *, c: float, max_iter: int, seed: int) -> Pipeline:
    return build_model(c=c, max_iter=max_iter, seed=seed).fit(frame[list(FEATURE_COLUMNS)], frame[TARGET])


def run(train: Path, model: Path, *, c: float, max_iter: int, seed: int) -> Pipeline:
    fitted = fit(pd.read_parquet(train), c=c, max_iter=max_iter, seed=seed)
    # skops, not a pickle: the file crosses the DVC cache and remote (see trained.py).
    save_trained(fitted, model)
    print(f"train: fitted {type(fitted[-1]).__name__} -> {model}")
    return fitted


def stage(p: Params) -> None:
    run(p.paths.train, p.paths.model, c=p.train.c, max_iter=p.train.max_iter, seed=p.train.seed)
