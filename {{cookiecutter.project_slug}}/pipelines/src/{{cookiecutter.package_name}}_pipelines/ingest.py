"""Pipelines (MLOps): ingest — copy the configured source into data/raw as Parquet."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from {{ cookiecutter.package_name }}_core import example_data_path
from {{ cookiecutter.package_name }}_pipelines.files import read_frame, write_frame
from {{ cookiecutter.package_name }}_pipelines.params import Params

EXAMPLE = "example"


def load_source(source: str) -> pd.DataFrame:
    """`example` (bundled with core), a local CSV/Parquet path, or an fsspec URL."""
    if source == EXAMPLE:
        return read_frame(example_data_path())
    if "://" not in source and not Path(source).exists():
        raise FileNotFoundError(f"ingest.source {source!r} does not exist; use 'example', a path or a URL")
    return read_frame(source)


def run(source: str, raw: Path) -> int:
    frame = load_source(source)
    if frame.empty:
        raise ValueError(f"ingest.source {source!r} has no rows")
    write_frame(frame, raw)
    print(f"ingest: {len(frame)} rows from {source} -> {raw}")
    return len(frame)


def stage(p: Params) -> None:
    run(p.ingest.source, p.paths.raw)
