"""Pipelines (MLOps): reading and writing the files stages hand to each other."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import UnionType
from typing import IO, Any, Literal, Union, get_args, get_origin

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from {{ cookiecutter.package_name }}_core import MISSING_TOKENS, LabelledRecord

from .errors import BadInput

# Bytes of CSV parsed at a time: a large CSV is read block by block, never whole.
CSV_BLOCK_BYTES = 16 << 20
# Parquet rows handed over at a time by the streaming readers and writers.
BATCH_ROWS = 1 << 20


def read_frame(path: Path | str) -> pd.DataFrame:
    """A CSV or Parquet file, local or any fsspec URL, as a DataFrame (core's MISSING_TOKENS become gaps)."""
    text = str(path)
    if text.endswith((".parquet", ".pq")):
        return pd.read_parquet(text)
    if text.endswith((".csv", ".csv.gz")):
        return pd.read_csv(text, keep_default_na=False, na_values=sorted(MISSING_TOKENS))
    raise BadInput(f"cannot read {text!r}: expected a .csv, .csv.gz or .parquet file")


def write_frame(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)


class SourceError(BadInput):
    """A source file cannot give the contract's columns with the contract's types."""


def arrow_type(annotation: Any) -> pa.DataType | None:
    """The Arrow type of a contract field: numbers, booleans and strings (also as Literal); None: let Arrow infer."""
    options = [annotation]
    if get_origin(annotation) in (Union, UnionType):  # float | None: the types besides None
        options = [arg for arg in get_args(annotation) if arg is not type(None)]
    # Literal["a", "b"] | None: the literal's values are the options.
    options = [
        value for option in options for value in (get_args(option) if get_origin(option) is Literal else [option])
    ]
    if all(isinstance(option, str) for option in options):
        return pa.string()
    simple = {bool: pa.bool_(), int: pa.int64(), float: pa.float64(), str: pa.string()}
    kinds = {simple.get(option) for option in options}
    return kinds.pop() if len(kinds) == 1 else None


def contract_types() -> dict[str, pa.DataType | None]:
    """Column -> Arrow type for every column of a labelled record, in the contract's order."""
    return {name: arrow_type(field.annotation) for name, field in LabelledRecord.model_fields.items()}


@contextmanager
def open_source(source: str) -> Iterator[IO[bytes] | str]:
    """A local path as it is (Arrow reads and decompresses it); a URL through fsspec (s3://, gs://, https://)."""
    if "://" not in source:
        yield source
        return
    import fsspec  # only URL sources need it; DVC brings it

    # DVC names Azure Blob URLs azure://, fsspec (adlfs) az://: the same object.
    url = "az://" + source.removeprefix("azure://") if source.startswith("azure://") else source
    with fsspec.open(url, "rb", compression="infer") as handle:
        yield handle


def _csv_batches(source: str, types: dict[str, pa.DataType | None]) -> Iterator[pa.RecordBatch]:
    convert = pacsv.ConvertOptions(
        include_columns=list(types),
        column_types={name: kind for name, kind in types.items() if kind is not None},
        null_values=sorted(MISSING_TOKENS),
        strings_can_be_null=True,  # a missing token is a gap in a text column too
    )
    with open_source(source) as handle:
        reader = pacsv.open_csv(
            handle, read_options=pacsv.ReadOptions(block_size=CSV_BLOCK_BYTES), convert_options=convert
        )
        yield from reader


def _parquet_batches(source: str, types: dict[str, pa.DataType | None]) -> Iterator[pa.RecordBatch]:
    with open_source(source) as handle:
        parquet = pq.ParquetFile(handle)
        missing = [name for name in types if name not in parquet.schema_arrow.names]
        if missing:
            raise SourceError(
                f"{source!r} has no column {', '.join(map(repr, missing))}; the contract needs {list(types)}"
            )
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=list(types)):
            columns = [_conform(source, name, batch.column(name), kind) for name, kind in types.items()]
            yield pa.RecordBatch.from_arrays(columns, names=list(types))


def _family(kind: pa.DataType) -> str:
    if pa.types.is_dictionary(kind):
        return _family(kind.value_type)
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        return "number"
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return "text"
    return str(kind)


def _conform(source: str, name: str, column: pa.Array, kind: pa.DataType | None) -> pa.Array:
    """Widen a Parquet column to the contract's type (int32 -> float64, dictionary -> string), never numbers to text."""
    if kind is None or column.type == kind:
        return column
    problem = f"{source!r}: column {name!r} has type {column.type}, the contract wants {kind}"
    if _family(column.type) != _family(kind):
        raise SourceError(problem)
    try:
        return column.cast(kind)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        raise SourceError(f"{problem}: {error}") from error


def _csv_column_name(source: str, message: str) -> str:
    """Arrow names a bad CSV column by its position; find its name in the header for the error message."""
    found = re.search(r"CSV column #(\d+)", message)
    if not found:
        return ""
    with open_source(source) as handle:
        names = pacsv.open_csv(handle, convert_options=pacsv.ConvertOptions(column_types={})).schema.names
    return f"column {names[int(found.group(1))]!r}: "


def iter_contract_batches(source: str) -> Iterator[pa.RecordBatch]:
    """The contract's columns of a CSV or Parquet source, typed by the contract, a bounded batch at a time.

    A missing column or a value that is not of its column's type stops the read with the
    column's name (and in a CSV, the bad value), so nothing is half-ingested.
    """
    types = contract_types()
    if source.endswith((".parquet", ".pq")):
        yield from _parquet_batches(source, types)
        return
    if not source.endswith((".csv", ".csv.gz")):
        raise SourceError(f"cannot read {source!r}: expected a .csv, .csv.gz or .parquet file")
    try:
        yield from _csv_batches(source, types)
    except KeyError as error:  # Arrow: a column in include_columns is not in the file
        raise SourceError(f"{source!r}: {error.args[0]}; the contract needs {list(types)}") from error
    except pa.ArrowInvalid as error:
        raise SourceError(f"{source!r}: {_csv_column_name(source, str(error))}{error}") from error


def write_batches(batches: Iterator[pa.RecordBatch], path: Path) -> int:
    """Stream record batches into one Parquet file; the file appears only when every batch was written.

    No rows write nothing (an existing file stays as it was), so a failed or empty run loses nothing.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    rows, writer = 0, None
    try:
        for batch in batches:
            if writer is None:
                writer = pq.ParquetWriter(partial, batch.schema)
            writer.write_batch(batch)
            rows += batch.num_rows
    except BaseException:
        if writer is not None:
            writer.close()
        partial.unlink(missing_ok=True)
        raise
    if writer is not None:
        writer.close()
    if rows == 0:
        partial.unlink(missing_ok=True)
        return 0
    os.replace(partial, path)
    return rows


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
