"""Pipelines: batch scoring streams — many blocks give what one row-by-row pass gives, and a crash writes nothing.

The rows are the committed sample's, repeated past several blocks; the broken cells are derived from the
contract's own fields (a gap where it forbids one, a category it does not list, a number past its range,
text in a number column), and a CSV line with a field too many breaks any contract.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import fsspec
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from fsspec.implementations.memory import MemoryFileSystem
from fsspec.registry import known_implementations, register_implementation

from {{ cookiecutter.package_name }}_core import (
    CATEGORICAL_COLUMNS,
    FEATURE_COLUMNS,
    MISSING_TOKENS,
    NUMERIC_COLUMNS,
    NUMERIC_RANGES,
    OPTIONAL_COLUMNS,
    find_violations,
)
from {{ cookiecutter.package_name }}_pipelines import files, score
from {{ cookiecutter.package_name }}_pipelines.export import export_model
from {{ cookiecutter.package_name }}_pipelines.params import DVC_URL_PLUGINS
from {{ cookiecutter.package_name }}_pipelines.scoring import onnx_feed
from {{ cookiecutter.package_name }}_pipelines.train import fit

ID = "record_id"  # a column the contract does not name: carried through to both files
BLOCK_ROWS = 16  # rows per Parquet block in these tests; a CSV's blocks are sized to hold about as many lines


@pytest.fixture(scope="module")
def champion(valid_frame: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model exported by the pipeline's own code, with its card beside it."""
    folder = tmp_path_factory.mktemp("champion")
    export_model(fit(valid_frame, c=1.0, max_iter=500, seed=0), valid_frame, folder / "model.onnx",
                 folder / "model_card.json", name="m")  # fmt: skip
    return folder / "model.onnx"


def breakages(valid_frame: pd.DataFrame) -> list[tuple[str, Any, str]]:
    """(column, value, rule) for each way the contract's fields can be broken in a CSV cell; the rule is core's."""
    ways: list[tuple[str, Any]] = []
    required = [column for column in FEATURE_COLUMNS if column not in OPTIONAL_COLUMNS]
    if required:
        ways.append((required[0], None))
    for column, categories in list(CATEGORICAL_COLUMNS.items())[:1]:
        ways.append((column, "<not one of " + ", ".join(categories) + ">"))
    for column in NUMERIC_COLUMNS[:1]:
        ways.append((column, "not a number"))
        low, high = NUMERIC_RANGES.get(column, (-math.inf, math.inf))
        if math.isfinite(high):
            ways.append((column, high + abs(high) + 1.0))
        elif math.isfinite(low):
            ways.append((column, low - abs(low) - 1.0))
    valid = valid_frame[list(FEATURE_COLUMNS)].iloc[0].to_dict()
    return [
        (column, value, find_violations({**valid, column: value}, labelled=False)[0].rule) for column, value in ways
    ]


def many_rows(valid_frame: pd.DataFrame, blocks: int = 5) -> tuple[pd.DataFrame, dict[int, tuple[str, str]]]:
    """The sample's rows repeated over `blocks` blocks, one broken row (each way in turn) in every block."""
    copies = math.ceil(blocks * BLOCK_ROWS / len(valid_frame))
    rows = pd.concat([valid_frame[list(FEATURE_COLUMNS)]] * copies, ignore_index=True).astype(object)
    rows.insert(0, ID, [f"id-{i}" for i in range(len(rows))])
    broken: dict[int, tuple[str, str]] = {}
    ways = breakages(valid_frame)
    for block in range(blocks if ways else 0):
        column, value, rule = ways[block % len(ways)]
        row = block * BLOCK_ROWS + 3 + block % 5
        rows.at[row, column] = value
        broken[row] = (column, rule)
    return rows, broken


def write_csv(rows: pd.DataFrame, path: Path, surplus: tuple[int, ...] = ()) -> int:
    """`rows` as CSV (gaps as ""), the data lines `surplus` with one field too many; a block size that still holds the
    longest line yet splits the file into about five blocks (lines' lengths vary with the contract and the breakages)."""
    lines = rows.to_csv(index=False, na_rep="").splitlines()
    for row in surplus:
        lines[1 + row] += ",surplus"
    text = "\n".join(lines) + "\n"
    path.write_text(text)
    return max(max(len(line) for line in lines) + 1, len(text.encode()) // 5)


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """Shrink the scorer's blocks so that a file of a few dozen rows spans several of them."""

    def shrink(block_bytes: int) -> None:
        monkeypatch.setattr(score, "CHUNK_ROWS", BLOCK_ROWS)
        monkeypatch.setattr(score, "CHUNK_BYTES", block_bytes)

    return shrink


def reference(path: Path, champion: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The whole file at once, row by row: core's find_violations() on each row, the model on the good ones."""
    frame = pd.read_csv(path, keep_default_na=False, na_values=sorted(MISSING_TOKENS), dtype=str)
    records = []
    for values in frame[list(FEATURE_COLUMNS)].itertuples(index=False):
        record = {}
        for column, value in zip(FEATURE_COLUMNS, values, strict=True):
            if isinstance(value, str) and column in NUMERIC_COLUMNS:
                number = pd.to_numeric(value, errors="coerce")
                value = value if pd.isna(number) else float(number)
            record[column] = None if isinstance(value, float) and math.isnan(value) else value
        records.append(record)
    reasons = {i: "; ".join(map(str, find_violations(r, labelled=False))) for i, r in enumerate(records)}
    bad = [i for i, reason in reasons.items() if reason]
    good = pd.DataFrame([records[i] for i in range(len(records)) if i not in set(bad)], columns=list(FEATURE_COLUMNS))
    session, _ = score.load_champion(str(champion))
    predicted = session.run(None, onnx_feed(good))[0]
    quarantine = pd.DataFrame({"row": bad, ID: frame[ID].iloc[bad].to_list(), "reason": [reasons[i] for i in bad]})
    kept = frame[ID].drop(index=bad).to_list()
    return pd.DataFrame({ID: kept, "prediction": np.asarray(predicted).reshape(len(kept))}), quarantine


@pytest.mark.parametrize("output", ["scored.parquet", "scored.csv"])
def test_many_blocks_give_what_one_row_by_row_pass_gives(
    valid_frame: pd.DataFrame, champion: Path, tmp_path: Path, small_blocks: Callable[[int], None], output: str
) -> None:
    rows, broken = many_rows(valid_frame)
    source = tmp_path / "rows.csv"
    block_bytes = write_csv(rows, source)
    small_blocks(block_bytes)
    assert source.stat().st_size > 2 * block_bytes  # the file spans at least three blocks
    result = score.score_file(str(source), str(tmp_path / output), model=str(champion))
    expected_scored, expected_quarantine = reference(source, champion)
    scored = pd.read_parquet(tmp_path / output) if output.endswith(".parquet") else pd.read_csv(tmp_path / output)
    quarantine = pd.read_csv(tmp_path / "scored.quarantine.csv", keep_default_na=False)
    assert result.rows > 3 * BLOCK_ROWS
    assert (result.scored, result.quarantined) == (len(expected_scored), len(expected_quarantine))
    assert sorted(quarantine["row"]) == sorted(broken)
    assert quarantine[["row", ID, "reason"]].to_dict("records") == expected_quarantine.to_dict("records")
    assert scored[ID].to_list() == expected_scored[ID].to_list()
    if expected_scored["prediction"].dtype.kind == "f":
        # float32 sums differ in the last bits: relative to the largest predicted magnitude, as export's parity measures.
        expected = expected_scored["prediction"].astype(float)
        largest = float(expected.abs().max()) if len(expected) else 0.0
        np.testing.assert_allclose(scored["prediction"].astype(float), expected, rtol=0, atol=1e-5 * largest)
    else:
        assert scored["prediction"].astype(str).to_list() == expected_scored["prediction"].astype(str).to_list()


def test_bad_rows_in_every_block_are_all_quarantined_with_their_reasons(
    valid_frame: pd.DataFrame, champion: Path, tmp_path: Path, small_blocks: Callable[[int], None]
) -> None:
    rows, broken = many_rows(valid_frame)
    surplus = tuple(block * BLOCK_ROWS + 1 for block in range(4))  # a line of a field too many in four blocks
    source = tmp_path / "rows.csv"
    small_blocks(write_csv(rows, source, surplus))
    result = score.score_file(str(source), str(tmp_path / "out.parquet"), model=str(champion))
    quarantine = pd.read_csv(tmp_path / "out.quarantine.csv")
    assert quarantine["row"].to_list() == sorted([*broken, *surplus])  # in the file's order
    for row, (column, rule) in broken.items():
        reason = quarantine.loc[quarantine["row"] == row, "reason"].item()
        assert f"{column}:" in reason, reason
        assert f"rule {rule}" in reason, reason
        assert quarantine.loc[quarantine["row"] == row, ID].item() == f"id-{row}"
    for row in surplus:
        reason = quarantine.loc[quarantine["row"] == row, "reason"].item()
        assert reason.startswith(f"line {row + 2} has {len(rows.columns) + 1} fields, the header has "), reason
    scored = pd.read_parquet(tmp_path / "out.parquet")
    assert result.rows == len(rows) == result.scored + result.quarantined
    assert set(scored[ID]) == {f"id-{i}" for i in range(len(rows))} - {f"id-{i}" for i in [*broken, *surplus]}


def test_a_crash_in_a_later_block_keeps_the_previous_files_and_leaves_no_half_file(
    valid_frame: pd.DataFrame,
    champion: Path,
    tmp_path: Path,
    small_blocks: Callable[[int], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows, _ = many_rows(valid_frame)
    source = tmp_path / "rows.csv"
    small_blocks(write_csv(rows, source))
    output, quarantine = tmp_path / "out.parquet", tmp_path / "out.quarantine.csv"
    score.score_file(str(source), str(output), model=str(champion))
    before = {path: path.read_bytes() for path in (output, quarantine)}
    real, calls = files.BatchFile.write, []

    def crash_at_the_third_block(self: files.BatchFile, batch: pa.RecordBatch) -> None:
        calls.append(self.path)
        if len(calls) > 4:  # two blocks of both files are on disk
            raise OSError("disk full")
        real(self, batch)

    monkeypatch.setattr(files.BatchFile, "write", crash_at_the_third_block)
    with pytest.raises(OSError, match="disk full"):
        score.score_file(str(source), str(output), model=str(champion))
    assert all(path.name.endswith(".partial") for path in calls)  # it wrote temporaries, not the files
    assert {path: path.read_bytes() for path in (output, quarantine)} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.parquet", "out.quarantine.csv", "rows.csv"]


@pytest.mark.parametrize(
    ("kind", "cells", "values", "unfit"),
    [
        (pa.float64(), ["1.5", "1e3", "-inf", " 2", "twelve", None], [1.5, 1e3, -math.inf, None, None, None], [3, 4]),
        (pa.int64(), ["7", "-3", "2.5", "seven", None], [7, -3, None, None, None], [2, 3]),
        (pa.bool_(), ["true", "false", "maybe", None], [True, False, None, None], [2]),
    ],
)
def test_a_csv_cell_not_of_its_column_s_type_is_marked_not_guessed(
    kind: pa.DataType, cells: list[str | None], values: list[Any], unfit: list[int]
) -> None:
    """Synthetic columns of each kind a contract field can have (a contract need not have them all)."""
    typed, bad = score.parse_text(pa.array(cells, pa.string()), kind)
    assert typed.type == kind
    assert typed.to_pylist() == values
    assert np.flatnonzero(bad).tolist() == unfit


def test_an_input_of_no_rows_writes_both_files_with_their_headers(champion: Path, tmp_path: Path) -> None:
    (tmp_path / "rows.csv").write_text(",".join([ID, *FEATURE_COLUMNS]) + "\n")
    result = score.score_file(str(tmp_path / "rows.csv"), str(tmp_path / "out.csv"), model=str(champion))
    assert (result.rows, result.scored, result.quarantined) == (0, 0, 0)
    assert pd.read_csv(tmp_path / "out.csv").columns[: 1 + len(FEATURE_COLUMNS)].to_list() == [ID, *FEATURE_COLUMNS]
    assert "prediction" in pd.read_csv(tmp_path / "out.csv").columns
    assert pd.read_csv(tmp_path / "out.quarantine.csv").columns.to_list() == ["row", ID, *FEATURE_COLUMNS, "reason"]


@pytest.mark.parametrize("scheme", sorted(DVC_URL_PLUGINS))
def test_every_scheme_ingest_takes_is_named_as_fsspec_names_it(scheme: str) -> None:
    url = f"{scheme}://container/folder/rows.csv"
    expected = "az://container/folder/rows.csv" if scheme == "azure" else url
    assert files.normalise_url(url) == expected
    assert files.normalise_url("data/rows.csv") == "data/rows.csv"


class BlobsInMemory(MemoryFileSystem):
    """A stand-in for Azure Blob Storage: fsspec's in-memory filesystem under adlfs's protocol name."""

    protocol = ("az",)
    store: ClassVar[dict[str, Any]] = {}
    pseudo_dirs: ClassVar[list[str]] = [""]


@pytest.fixture
def azure_in_memory() -> Iterator[MemoryFileSystem]:
    register_implementation("az", BlobsInMemory, clobber=True)
    yield BlobsInMemory()
    BlobsInMemory.store.clear()
    adlfs = known_implementations["az"]
    register_implementation("az", adlfs["class"], clobber=True, errtxt=adlfs.get("err"))


def test_azure_urls_are_read_and_written(
    valid_frame: pd.DataFrame, champion: Path, tmp_path: Path, azure_in_memory: MemoryFileSystem
) -> None:
    """Input, model and both outputs as DVC writes Azure URLs (azure://): each reaches the Blob filesystem."""
    rows, broken = many_rows(valid_frame, blocks=1)
    write_csv(rows, tmp_path / "rows.csv")
    for name, local in [("rows.csv", tmp_path / "rows.csv"), ("model.onnx", champion),
                        ("model_card.json", champion.with_name("model_card.json"))]:  # fmt: skip
        azure_in_memory.put_file(str(local), f"az://box/{name}")
    result = score.score_file("azure://box/rows.csv", "azure://box/out.parquet", model="azure://box/model.onnx")
    assert (result.scored, result.quarantined) == (len(rows) - len(broken), len(broken))
    with fsspec.open("az://box/out.parquet", "rb") as handle:
        assert len(pd.read_parquet(handle)) == result.scored
    with fsspec.open("az://box/out.quarantine.csv", "rb") as handle:
        assert sorted(pd.read_csv(handle)["row"]) == sorted(broken)
    assert json.loads(azure_in_memory.cat_file("az://box/model_card.json"))["sha256"]
