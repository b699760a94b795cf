"""Pipelines (MLOps): split — a seeded train/test split, stratified on the label for classification."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sklearn.model_selection import train_test_split

from {{ cookiecutter.package_name }}_core import TARGET, TASK

from .params import Params


def train_test_rows(target: pa.ChunkedArray, test_size: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Row numbers of the train and test parts: stratified on the labels' integer codes for classification,
    shuffled for regression."""
    stratify = None
    if TASK == "classification":
        stratify = pc.dictionary_encode(target).combine_chunks().indices.to_numpy(zero_copy_only=False)
    train_rows, test_rows = train_test_split(
        np.arange(len(target)), test_size=test_size, random_state=seed, stratify=stratify
    )
    return train_rows, test_rows


def run(validated: Path, train: Path, test: Path, test_size: float, seed: int) -> tuple[int, int]:
    table = pq.read_table(validated)
    train_rows, test_rows = train_test_rows(table.column(TARGET), test_size, seed)
    for rows, path in ((train_rows, train), (test_rows, test)):
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table.take(pa.array(rows)), path)
    how = "stratified on " + TARGET if TASK == "classification" else "shuffled"
    print(f"split: {len(train_rows)} train, {len(test_rows)} test ({how}, seed {seed})")
    return len(train_rows), len(test_rows)


def stage(p: Params) -> None:
    run(p.paths.validated, p.paths.train, p.paths.test, p.split.test_size, p.split.seed)
