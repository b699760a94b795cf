"""Pipelines (MLOps): split — a seeded, stratified train/test split."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sklearn.model_selection import train_test_split

from {{ cookiecutter.package_name }}_core import TARGET

from .params import Params


def split_rows(labels: pa.ChunkedArray, test_size: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Row numbers of the train and test parts, stratified on the labels' integer codes (no Python object per row)."""
    codes = pc.dictionary_encode(labels).combine_chunks().indices.to_numpy(zero_copy_only=False)
    train_rows, test_rows = train_test_split(
        np.arange(len(codes)), test_size=test_size, random_state=seed, stratify=codes
    )
    return train_rows, test_rows


def run(validated: Path, train: Path, test: Path, test_size: float, seed: int) -> tuple[int, int]:
    table = pq.read_table(validated)
    train_rows, test_rows = split_rows(table.column(TARGET), test_size, seed)
    for rows, path in ((train_rows, train), (test_rows, test)):
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table.take(pa.array(rows)), path)
    print(f"split: {len(train_rows)} train, {len(test_rows)} test (seed {seed})")
    return len(train_rows), len(test_rows)


def stage(p: Params) -> None:
    run(p.paths.validated, p.paths.train, p.paths.test, p.split.test_size, p.split.seed)
