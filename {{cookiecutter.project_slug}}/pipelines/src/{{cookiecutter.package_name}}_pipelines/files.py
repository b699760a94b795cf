"""Pipelines (MLOps): reading and writing the files stages hand to each other."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pandas as pd


def read_frame(path: Path | str) -> pd.DataFrame:
    """A CSV or Parquet file, local or any fsspec URL, as a DataFrame (CSV 'NA' cells become gaps)."""
    text = str(path)
    if text.endswith((".parquet", ".pq")):
        return pd.read_parquet(text)
    if text.endswith((".csv", ".csv.gz")):
        return pd.read_csv(text)
    raise ValueError(f"cannot read {text!r}: expected a .csv, .csv.gz or .parquet file")


def write_frame(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)


def write_json(data: Any, path: Path) -> None:
    """Stable, diff-friendly JSON (sorted keys) so reruns produce identical bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
