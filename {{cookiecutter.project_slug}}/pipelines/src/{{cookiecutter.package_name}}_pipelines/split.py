"""Pipelines (MLOps): split — a seeded, stratified train/test split."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sklearn.model_selection import train_test_split

from {{ cookiecutter.package_name }}_core import TARGET
from {{ cookiecutter.package_name }}_pipelines.files import write_frame
from {{ cookiecutter.package_name }}_pipelines.params import Params


def run(validated: Path, train: Path, test: Path, test_size: float, seed: int) -> tuple[int, int]:
    frame = pd.read_parquet(validated)
    train_frame, test_frame = train_test_split(frame, test_size=test_size, random_state=seed, stratify=frame[TARGET])
    write_frame(train_frame.reset_index(drop=True), train)
    write_frame(test_frame.reset_index(drop=True), test)
    print(f"split: {len(train_frame)} train, {len(test_frame)} test (seed {seed})")
    return len(train_frame), len(test_frame)


def stage(p: Params) -> None:
    run(p.paths.validated, p.paths.train, p.paths.test, p.split.test_size, p.split.seed)
