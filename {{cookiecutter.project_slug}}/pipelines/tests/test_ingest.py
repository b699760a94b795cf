"""Pipelines: ingest streams the contract's columns, typed by the contract, from CSV or Parquet; refuses bad sources."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from {{ cookiecutter.package_name }}_core import LabelledRecord
from {{ cookiecutter.package_name }}_pipelines import files, ingest
from {{ cookiecutter.package_name }}_pipelines.files import SourceError, contract_types

CONTRACT = list(LabelledRecord.model_fields)


@pytest.fixture
def source(example_frame: pd.DataFrame) -> pd.DataFrame:
    """The example rows plus a column the contract does not name (sources may carry more)."""
    return example_frame.assign(comment="extra")


def column_of_type(wanted: str, source: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> tuple[str, pd.DataFrame]:
    """A contract column (feature or target) of the Arrow type `wanted` ("double", "string"), and `source`.

    A contract without one (only categories, or only numbers and a numeric target) gains a synthetic column of that
    type, filled with valid values, so the test runs on every contract.
    """
    types = contract_types()
    column = next((name for name, kind in types.items() if str(kind) == wanted), None)
    if column is not None:
        return column, source
    column = f"synthetic_{wanted}"
    monkeypatch.setattr(files, "contract_types", lambda: {**types, column: pa.type_for_alias(wanted)})
    values = [float(row) for row in range(len(source))] if wanted == "double" else ["a"] * len(source)
    return column, source.assign(**{column: values})


def in_many_blocks(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the CSV reader read `path` in about twenty blocks, however wide or narrow the contract's rows are."""
    longest = max(len(line) for line in path.read_bytes().splitlines())
    monkeypatch.setattr(files, "CSV_BLOCK_BYTES", max(path.stat().st_size // 20, 2 * longest))


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        (float, pa.float64()),
        (int | None, pa.int64()),
        (bool, pa.bool_()),
        (str, pa.string()),
        (Literal["a", "b"], pa.string()),
        (Literal["a", "b"] | None, pa.string()),
        (float | str, None),  # Arrow infers; validation judges each value
        (list[float], None),
    ],
)
def test_arrow_types_follow_the_contracts_annotations(annotation: Any, expected: pa.DataType | None) -> None:
    assert files.arrow_type(annotation) == expected


def test_only_the_contracts_columns_arrive_with_the_contracts_types(source: pd.DataFrame, tmp_path: Path) -> None:
    source.to_csv(tmp_path / "batch.csv", index=False)
    rows = ingest.run(str(tmp_path / "batch.csv"), tmp_path / "raw.parquet")
    table = pq.read_table(tmp_path / "raw.parquet")
    assert rows == len(source) == table.num_rows
    assert table.schema.names == CONTRACT
    assert {name: table.schema.field(name).type for name in CONTRACT} == contract_types()
    expected = source[CONTRACT].reset_index(drop=True)
    pd.testing.assert_frame_equal(table.to_pandas(), expected, check_dtype=False)


def test_a_large_csv_is_read_block_by_block(
    source: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = pd.concat([source] * 20, ignore_index=True)
    big.to_csv(tmp_path / "big.csv", index=False)
    in_many_blocks(tmp_path / "big.csv", monkeypatch)
    batches = list(files.iter_contract_batches(str(tmp_path / "big.csv")))
    assert len(batches) > 10
    assert sum(batch.num_rows for batch in batches) == len(big)
    ingest.run(str(tmp_path / "big.csv"), tmp_path / "raw.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "raw.parquet"), big[CONTRACT], check_dtype=False)


@pytest.mark.parametrize("suffix", [".parquet", ".csv.gz"])
def test_parquet_and_compressed_csv_sources(source: pd.DataFrame, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"batch{suffix}"
    if suffix == ".parquet":
        source.to_parquet(path, index=False)
    else:
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            source.to_csv(handle, index=False)
    ingest.run(str(path), tmp_path / "raw.parquet")
    assert pq.read_table(tmp_path / "raw.parquet").schema.names == CONTRACT


def test_a_parquet_column_of_a_compatible_type_is_cast(
    source: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    column, source = column_of_type("double", source, monkeypatch)
    frame = source.dropna(subset=[column]).assign(**{column: lambda f: f[column].round().astype("int64")})
    frame.to_parquet(tmp_path / "ints.parquet", index=False)
    ingest.run(str(tmp_path / "ints.parquet"), tmp_path / "raw.parquet")
    assert pq.read_table(tmp_path / "raw.parquet").schema.field(column).type == pa.float64()


def test_a_missing_contract_column_is_named(source: pd.DataFrame, tmp_path: Path) -> None:
    column = CONTRACT[-1]
    for suffix in (".csv", ".parquet"):
        path = tmp_path / f"batch{suffix}"
        frame = source.drop(columns=[column])
        frame.to_csv(path, index=False) if suffix == ".csv" else frame.to_parquet(path, index=False)
        with pytest.raises(SourceError, match=rf"'{column}'.*the contract needs"):
            ingest.run(str(path), tmp_path / "raw.parquet")
        assert not (tmp_path / "raw.parquet").exists()


def test_text_in_a_numeric_csv_column_names_the_column_and_value_and_writes_nothing(
    source: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    column, source = column_of_type("double", source, monkeypatch)
    big = pd.concat([source] * 20, ignore_index=True).astype({column: object})
    big.loc[len(big) - 1, column] = "heavy"  # in the last block: earlier blocks were already converted
    big.to_csv(tmp_path / "batch.csv", index=False)
    in_many_blocks(tmp_path / "batch.csv", monkeypatch)
    with pytest.raises(SourceError, match=rf"column '{column}'.*invalid value 'heavy'"):
        ingest.run(str(tmp_path / "batch.csv"), tmp_path / "raw.parquet")
    assert not list(tmp_path.glob("*.parquet*"))
    assert not list(tmp_path.glob(".*partial"))


@pytest.mark.parametrize(
    ("wanted", "written", "found"), [("string", 1.5, "double"), ("double", "long", "(large_)?string")]
)
def test_a_parquet_column_of_the_wrong_type_is_named(
    source: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, wanted: str, written: Any, found: str
) -> None:
    """A column of the `wanted` Arrow type gets a value of another: ingest names the column and both types."""
    column, source = column_of_type(wanted, source, monkeypatch)
    source.assign(**{column: written}).to_parquet(tmp_path / "batch.parquet", index=False)
    with pytest.raises(SourceError, match=rf"column '{column}' has type {found}, the contract wants {wanted}"):
        ingest.run(str(tmp_path / "batch.parquet"), tmp_path / "raw.parquet")
    assert not (tmp_path / "raw.parquet").exists()


def test_an_unknown_format_and_an_empty_source_are_refused(source: pd.DataFrame, tmp_path: Path) -> None:
    (tmp_path / "batch.json").write_text("{}")
    with pytest.raises(SourceError, match=r"expected a \.csv, \.csv\.gz or \.parquet file"):
        ingest.run(str(tmp_path / "batch.json"), tmp_path / "raw.parquet")
    source.head(0).to_csv(tmp_path / "empty.csv", index=False)
    with pytest.raises(ValueError, match="has no rows"):
        ingest.run(str(tmp_path / "empty.csv"), tmp_path / "raw.parquet")
    assert not (tmp_path / "raw.parquet").exists()
