"""Pipelines (MLOps): ingest — stream the contract's columns of the configured source into data/raw as Parquet."""

from __future__ import annotations

from pathlib import Path

from .errors import BadInput, MissingInput
from .files import iter_contract_batches, write_batches
from .params import Params, source_forms


def run(source: str, raw: Path) -> int:
    """Copy the source's contract columns, typed by the contract, a batch at a time (memory does not grow)."""
    if "://" not in source and not Path(source).exists():  # a URL's form is checked by params.py
        raise MissingInput(f"ingest.source {source!r} does not exist; use {source_forms()}")
    rows = write_batches(iter_contract_batches(source), raw)
    if rows == 0:
        raise BadInput(f"ingest.source {source!r} has no rows")
    print(f"ingest: {rows} rows from {source} -> {raw}")
    return rows


def stage(p: Params) -> None:
    run(p.ingest.source, p.paths.raw)
