"""Pipelines (MLOps): reading and writing the files stages hand to each other."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
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


def normalise_url(location: str) -> str:
    """A location as fsspec names it: DVC (and `ingest.source`) write Azure Blob URLs azure://, adlfs az://."""
    return "az://" + location.removeprefix("azure://") if location.startswith("azure://") else location


def is_url(location: str) -> bool:
    return "://" in location


@contextmanager
def open_source(source: str) -> Iterator[IO[bytes] | str]:
    """A local path as it is (Arrow reads and decompresses it); a URL through fsspec (s3://, gs://, az://, https://)."""
    if not is_url(source):
        yield source
        return
    import fsspec  # only URL sources need it; DVC brings it

    with fsspec.open(normalise_url(source), "rb", compression="infer") as handle:
        yield handle


def source_columns(source: str) -> list[str]:
    """The column names of a CSV (its header) or Parquet source, without reading its rows."""
    with open_source(source) as handle:
        if source.endswith((".parquet", ".pq")):
            return list(pq.ParquetFile(handle).schema_arrow.names)
        lines = pacsv.ParseOptions(invalid_row_handler=lambda _: "skip")  # the header alone is asked for
        reader = pacsv.open_csv(handle, read_options=pacsv.ReadOptions(block_size=1 << 20), parse_options=lines)
        return list(reader.schema.names)


def _csv_batches(
    source: str,
    types: dict[str, pa.DataType | None],
    invalid_row: Callable[[pacsv.InvalidRow], str] | None,
    block_bytes: int | None,
) -> Iterator[pa.RecordBatch]:
    convert = pacsv.ConvertOptions(
        include_columns=list(types),
        column_types={name: kind for name, kind in types.items() if kind is not None},
        null_values=sorted(MISSING_TOKENS),
        strings_can_be_null=True,  # a missing token is a gap in a text column too
    )
    # One thread when lines are set aside: only then does the reader know each line's number.
    read = pacsv.ReadOptions(block_size=block_bytes or CSV_BLOCK_BYTES, use_threads=invalid_row is None)
    with open_source(source) as handle:
        reader = pacsv.open_csv(
            handle,
            read_options=read,
            parse_options=pacsv.ParseOptions(invalid_row_handler=invalid_row),
            convert_options=convert,
        )
        yield from reader


def _parquet_batches(
    source: str, types: dict[str, pa.DataType | None], *, other_columns: bool, batch_rows: int
) -> Iterator[pa.RecordBatch]:
    with open_source(source) as handle:
        parquet = pq.ParquetFile(handle)
        missing = [name for name in types if name not in parquet.schema_arrow.names]
        if missing:
            raise SourceError(
                f"{source!r} has no column {', '.join(map(repr, missing))}; the contract needs {list(types)}"
            )
        names = list(parquet.schema_arrow.names) if other_columns else list(types)
        for batch in parquet.iter_batches(batch_size=batch_rows, columns=names):
            columns = [_conform(source, name, batch.column(name), types.get(name)) for name in names]
            yield pa.RecordBatch.from_arrays(columns, names=names)


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
    if pa.types.is_null(column.type):  # a column of gaps only: gaps of the contract's type
        return column.cast(kind)
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
    """The contract's columns of a source, typed by the contract, a bounded batch at a time; a missing column or a
    value not of its type stops the read naming the column (and in a CSV, the value)."""
    yield from iter_batches(source, contract_types())


def iter_batches(
    source: str,
    types: dict[str, pa.DataType | None],
    *,
    other_columns: bool = False,
    invalid_row: Callable[[pacsv.InvalidRow], str] | None = None,
    batch_rows: int | None = None,
    block_bytes: int | None = None,
) -> Iterator[pa.RecordBatch]:
    """The columns `types` names (all with `other_columns`) of a CSV or Parquet source, a bounded batch at a time
    (MISSING_TOKENS are gaps). A type None is inferred or kept; `invalid_row` is Arrow's handler of a CSV line
    with the wrong number of fields (by default it stops the read)."""
    if source.endswith((".parquet", ".pq")):
        yield from _parquet_batches(source, types, other_columns=other_columns, batch_rows=batch_rows or BATCH_ROWS)
        return
    if not source.endswith((".csv", ".csv.gz")):
        raise SourceError(f"cannot read {source!r}: expected a .csv, .csv.gz or .parquet file")
    if other_columns:
        types = {**dict.fromkeys(source_columns(source)), **types}
    try:
        yield from _csv_batches(source, types, invalid_row, block_bytes)
    except KeyError as error:  # Arrow: a column in include_columns is not in the file
        raise SourceError(f"{source!r}: {error.args[0]}; the contract needs {list(types)}") from error
    except pa.ArrowInvalid as error:
        raise SourceError(f"{source!r}: {_csv_column_name(source, str(error))}{error}") from error


def temporary_pattern(target: Path) -> tuple[str, str]:
    """Prefix and suffix of the temporaries of `target`: hidden, beside it, so the rename stays on one disk."""
    return f".{target.name}.", ".partial"


def remove_stale_temporaries(target: Path) -> list[Path]:
    """Temporaries of `target` that a crashed run left beside it (one writer per output name is assumed)."""
    prefix, suffix = temporary_pattern(target)
    stale = [p for p in target.parent.glob(f"{prefix}*{suffix}") if p.is_file()] if target.parent.is_dir() else []
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def file_mode() -> int:
    """The mode an ordinary new file gets under this process's umask (mkstemp's own 0600 would hide it)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _local_temporary(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    prefix, suffix = temporary_pattern(target)
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=prefix, suffix=suffix)
    os.close(handle)
    return Path(name)


def probe_writable(location: str) -> None:
    """Raise OSError, before any work, for a local target whose folder cannot be created or written to."""
    if is_url(location):
        return  # a bucket says so at upload
    if Path(location).is_dir():
        raise IsADirectoryError(21, "it is a folder", location)
    _local_temporary(Path(location)).unlink()


@contextmanager
def staged(locations: Sequence[str]) -> Iterator[list[Path]]:
    """A local temporary for each location (path or bucket URL); when the block ends cleanly each is renamed over
    (or uploaded to) its target, in order, with the umask's mode, unless the block removed it. If the block
    raises, every temporary goes and every previous file stays."""
    with contextlib.ExitStack() as cleanup:
        temporaries: list[Path] = []
        try:
            for location in locations:
                if is_url(location):
                    folder = Path(cleanup.enter_context(tempfile.TemporaryDirectory()))
                    temporaries.append(folder / Path(location).name)
                else:
                    temporaries.append(_local_temporary(Path(location)))
            yield temporaries
            for temporary, location in zip(temporaries, locations, strict=True):
                if not temporary.exists():
                    continue
                if is_url(location):
                    import fsspec

                    filesystem, path = fsspec.core.url_to_fs(normalise_url(location))
                    filesystem.put_file(str(temporary), path)
                else:
                    os.chmod(temporary, file_mode())
                    os.replace(temporary, location)
        finally:
            for temporary in temporaries:
                temporary.unlink(missing_ok=True)


class BatchFile:
    """Record batches appended to one file: CSV when `name` ends in .csv, else Parquet; opened at the first batch."""

    def __init__(self, path: Path, name: str) -> None:
        self.path, self.rows = path, 0
        self._csv = name.endswith(".csv")
        self._writer: pacsv.CSVWriter | pq.ParquetWriter | None = None

    def write(self, batch: pa.RecordBatch) -> None:
        if self._writer is None:
            if self._csv:  # Arrow quotes every text value: any reader takes it
                self._writer = pacsv.CSVWriter(self.path, batch.schema)
            else:
                self._writer = pq.ParquetWriter(self.path, batch.schema)
        self._writer.write_batch(batch)
        self.rows += batch.num_rows

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def write_batches(batches: Iterator[pa.RecordBatch], path: Path) -> int:
    """Stream record batches into one Parquet file, which appears only when every batch was written (no rows: no file)."""
    with staged([str(path)]) as (temporary,):
        written = BatchFile(temporary, "parquet")
        try:
            for batch in batches:
                written.write(batch)
        finally:
            written.close()
        if written.rows == 0:
            temporary.unlink()
    return written.rows


def write_text(path: Path, text: str) -> None:
    """Write `text` to `path` whole or not at all (through a temporary beside it)."""
    with staged([str(path)]) as (temporary,):
        temporary.write_text(text, encoding="utf-8")


def write_json(data: Any, path: Path) -> None:
    """Stable, diff-friendly JSON (sorted keys) so reruns produce identical bytes."""
    write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
