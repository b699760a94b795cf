"""Pipelines: batch scoring — good rows scored, bad rows quarantined with reasons, a wrong model refused.

Rows come from the example data through the contract; the broken values are derived from the
contract's own fields (a missing value, a category it does not list, a number of the wrong type),
so the tests follow the contract when it changes.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from prometheus_client import CollectorRegistry

from {{ cookiecutter.package_name }}_core import (
    CATEGORICAL_COLUMNS,
    FEATURE_COLUMNS,
    NUMERIC_COLUMNS,
    OPTIONAL_COLUMNS,
    TARGET,
    TASK,
)
from {{ cookiecutter.package_name }}_pipelines import files, score
from {{ cookiecutter.package_name }}_pipelines.export import export_model
from {{ cookiecutter.package_name }}_pipelines.files import sha256_file
from {{ cookiecutter.package_name }}_pipelines.train import fit


@pytest.fixture(scope="module")
def champion(valid_frame: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """models/champion/model.onnx and its card, exported by the pipeline's own code."""
    folder = tmp_path_factory.mktemp("models") / "champion"
    folder.mkdir()
    model = fit(valid_frame, c=1.0, max_iter=500, seed=0)
    export_model(model, valid_frame, folder / "model.onnx", folder / "model_card.json", name="m")
    return folder / "model.onnx"


def features_only(frame: pd.DataFrame) -> pd.DataFrame:
    rows = frame[list(FEATURE_COLUMNS)].copy()
    rows.insert(0, "customer_id", [f"id-{i}" for i in range(len(rows))])  # a column the contract does not name
    return rows


def broken_rows(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[int, tuple[str, str]]]:
    """Rows broken in each way the contract's columns allow; row -> (column, rule).

    A missing value in a column the contract does not mark optional (rule `missing`), a category it does not list
    (`literal_error`, when it has a categorical column), text in a numeric column (`float_type`, when it has one):
    at least one of the last two, whatever the contract.
    """
    rows = features_only(frame).astype(object)
    broken: dict[int, tuple[str, str]] = {}
    required = [column for column in FEATURE_COLUMNS if column not in OPTIONAL_COLUMNS]
    if required:
        rows.at[1, required[0]] = None
        broken[1] = (required[0], "missing")
    if CATEGORICAL_COLUMNS:
        categorical, categories = next(iter(CATEGORICAL_COLUMNS.items()))
        rows.at[3, categorical] = "<not one of " + ", ".join(categories) + ">"
        broken[3] = (categorical, "literal_error")
    if NUMERIC_COLUMNS:
        rows.at[5, NUMERIC_COLUMNS[-1]] = "not a number"
        broken[5] = (NUMERIC_COLUMNS[-1], "float_type")
    return rows, broken


def test_good_rows_are_all_scored_with_their_own_columns(
    valid_frame: pd.DataFrame, champion: Path, tmp_path: Path
) -> None:
    source = tmp_path / "rows.csv"
    features_only(valid_frame).to_csv(source, index=False)
    result = score.score_file(str(source), str(tmp_path / "scored.parquet"), model=str(champion))
    scored = pd.read_parquet(tmp_path / "scored.parquet")
    card = json.loads(champion.with_name("model_card.json").read_text())
    assert (result.rows, result.scored, result.quarantined) == (len(valid_frame), len(valid_frame), 0)
    assert list(scored["customer_id"]) == [f"id-{i}" for i in range(len(valid_frame))]
    if TASK == "regression":
        # A value per row, in the target's range as the training data spans it (a linear model may step
        # a little outside it, not by another order of magnitude).
        assert not any(column.startswith("probability_") for column in scored.columns)
        span = valid_frame[TARGET].max() - valid_frame[TARGET].min()
        assert scored["prediction"].between(valid_frame[TARGET].min() - span, valid_frame[TARGET].max() + span).all()
        assert result.predicted == {"mean": pytest.approx(scored["prediction"].astype(float).mean(), abs=1e-5)}
    else:
        assert set(scored["prediction"]) <= set(card["classes"])
        probabilities = scored[[f"probability_{label}" for label in card["classes"]]].sum(axis=1)
        assert probabilities.between(0.999, 1.001).all()
        assert result.predicted == scored["prediction"].value_counts().astype(float).to_dict()
    assert pd.read_csv(tmp_path / "scored.quarantine.csv").empty


def test_bad_rows_go_to_the_quarantine_with_their_reasons(
    valid_frame: pd.DataFrame, champion: Path, tmp_path: Path
) -> None:
    rows, broken = broken_rows(valid_frame)
    rows.to_csv(tmp_path / "rows.csv", index=False)
    result = score.score_file(str(tmp_path / "rows.csv"), str(tmp_path / "out.csv"), model=str(champion))
    quarantine = pd.read_csv(tmp_path / "out.quarantine.csv")
    assert result.scored + result.quarantined == result.rows == len(rows)
    assert sorted(quarantine["row"]) == sorted(broken)
    for row, (column, rule) in broken.items():
        reason = quarantine.loc[quarantine["row"] == row, "reason"].item()
        assert f"{column}:" in reason, reason
        assert f"rule {rule}" in reason, reason
    scored = pd.read_csv(tmp_path / "out.csv")
    assert set(scored["customer_id"]).isdisjoint(set(quarantine["customer_id"]))
    assert len(scored) == len(rows) - len(broken)


def test_parquet_in_and_csv_out(valid_frame: pd.DataFrame, champion: Path, tmp_path: Path) -> None:
    features_only(valid_frame).to_parquet(tmp_path / "rows.parquet")
    result = score.score_file(str(tmp_path / "rows.parquet"), str(tmp_path / "scored.csv"), model=str(champion))
    assert len(pd.read_csv(tmp_path / "scored.csv")) == result.scored == len(valid_frame)


def test_a_model_that_does_not_match_its_card_is_refused(
    valid_frame: pd.DataFrame, champion: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "champion"
    shutil.copytree(champion.parent, folder)
    card = json.loads((folder / "model_card.json").read_text())
    card["sha256"], card["version"] = "0" * 64, "0" * 12
    (folder / "model_card.json").write_text(json.dumps(card))
    features_only(valid_frame).to_csv(tmp_path / "rows.csv", index=False)
    with pytest.raises(score.ScoringRefused, match="does not match its card"):
        score.score_file(str(tmp_path / "rows.csv"), str(tmp_path / "out.csv"), model=str(folder / "model.onnx"))
    assert not (tmp_path / "out.csv").exists()
    assert not (tmp_path / "out.quarantine.csv").exists()


def test_the_card_hash_is_the_one_checked(champion: Path) -> None:
    card = json.loads(champion.with_name("model_card.json").read_text())
    digest = sha256_file(champion)
    assert card["sha256"] == digest
    session, loaded = score.load_champion(str(champion))
    assert loaded.model_dump(mode="json") == card
    assert {node.name for node in session.get_inputs()} == set(FEATURE_COLUMNS)


def test_a_card_without_a_hash_is_refused(champion: Path, tmp_path: Path) -> None:
    folder = tmp_path / "champion"
    shutil.copytree(champion.parent, folder)
    card = json.loads((folder / "model_card.json").read_text())
    del card["sha256"]
    (folder / "model_card.json").write_text(json.dumps(card))
    with pytest.raises(score.ScoringRefused, match="malformed: sha256: Field required"):
        score.load_champion(str(folder / "model.onnx"))


def test_a_model_without_a_card_is_refused(champion: Path, tmp_path: Path) -> None:
    shutil.copy(champion, tmp_path / "model.onnx")
    with pytest.raises(score.ScoringRefused, match="no model card"):
        score.load_champion(str(tmp_path / "model.onnx"))


def test_an_input_without_a_contract_column_is_refused(
    valid_frame: pd.DataFrame, champion: Path, tmp_path: Path
) -> None:
    dropped = FEATURE_COLUMNS[0]
    features_only(valid_frame).drop(columns=[dropped]).to_csv(tmp_path / "rows.csv", index=False)
    with pytest.raises(score.ScoringRefused, match=f"no column {dropped}"):
        score.score_file(str(tmp_path / "rows.csv"), str(tmp_path / "out.csv"), model=str(champion))


@pytest.mark.parametrize("crashing", ["out.csv", "out.quarantine.csv"])
def test_a_crash_while_writing_leaves_both_previous_files_whole(
    valid_frame: pd.DataFrame, champion: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, crashing: str
) -> None:
    """Output and quarantine are a pair: a crash writing either leaves both previous files, and no temporary."""
    rows, _ = broken_rows(valid_frame)
    rows.to_csv(tmp_path / "rows.csv", index=False)
    output, quarantine = tmp_path / "out.csv", tmp_path / "out.quarantine.csv"
    output.write_text("previous,run\n1,2\n")
    quarantine.write_text("row,reason\n7,previous\n")
    real = files.BatchFile.write

    def crash(self: files.BatchFile, batch: pa.RecordBatch) -> None:
        real(self, batch.slice(0, 1))  # part of the file is on disk when the crash comes
        if self.path.name.startswith(f".{crashing}."):
            raise OSError("disk full")

    monkeypatch.setattr(files.BatchFile, "write", crash)
    with pytest.raises(OSError, match="disk full"):
        score.score_file(str(tmp_path / "rows.csv"), str(output), model=str(champion))
    assert output.read_text() == "previous,run\n1,2\n"
    assert quarantine.read_text() == "row,reason\n7,previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "out.quarantine.csv", "rows.csv"]


def test_temporaries_a_crashed_run_left_are_removed(valid_frame: pd.DataFrame, champion: Path, tmp_path: Path) -> None:
    features_only(valid_frame).to_csv(tmp_path / "rows.csv", index=False)
    stale = [tmp_path / ".out.csv.x1y2.partial", tmp_path / ".out.quarantine.csv.z3.partial"]
    for path in stale:
        path.write_text("half a file")
    (tmp_path / ".other.csv.q.partial").write_text("another output's")
    score.score_file(str(tmp_path / "rows.csv"), str(tmp_path / "out.csv"), model=str(champion))
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [".other.csv.q.partial", "out.csv", "out.quarantine.csv", "rows.csv"]


def test_written_files_get_the_umask_s_mode(valid_frame: pd.DataFrame, champion: Path, tmp_path: Path) -> None:
    features_only(valid_frame).to_csv(tmp_path / "rows.csv", index=False)
    previous = os.umask(0o022)
    try:
        score.score_file(str(tmp_path / "rows.csv"), str(tmp_path / "out.parquet"), model=str(champion))
    finally:
        os.umask(previous)
    for name in ("out.parquet", "out.quarantine.csv"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644, name


def test_an_output_name_it_cannot_write_is_refused_before_any_work(champion: Path, tmp_path: Path) -> None:
    """Refused on the name alone: the input does not exist and no model is loaded, nothing is written."""
    with pytest.raises(score.ScoringRefused, match=r"cannot write .*out\.xlsx.*: name it \.csv or \.parquet"):
        score.score_file(str(tmp_path / "missing.csv"), str(tmp_path / "out.xlsx"), model=str(tmp_path / "no.onnx"))
    with pytest.raises(score.ScoringRefused, match=r"cannot write .*bad\.txt.*: name it \.csv or \.parquet"):
        score.score_file(str(tmp_path / "missing.csv"), str(tmp_path / "out.csv"), quarantine=str(tmp_path / "bad.txt"))
    assert list(tmp_path.iterdir()) == []


def test_an_output_folder_it_cannot_write_is_refused_before_scoring(
    valid_frame: pd.DataFrame, champion: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A folder that cannot be created (its parent is a file) is found by probing it, before the model is loaded."""
    features_only(valid_frame).to_csv(tmp_path / "rows.csv", index=False)
    (tmp_path / "a-file").write_text("not a folder")
    output = tmp_path / "a-file" / "out.csv"
    with pytest.raises(score.ScoringRefused, match=r"cannot write .*a-file/out\.csv"):
        score.score_file(str(tmp_path / "rows.csv"), str(output), model=str(tmp_path / "no-model.onnx"))
    code = score.main(["--input", str(tmp_path / "rows.csv"), "--output", str(output), "--model", str(champion)])
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: score: cannot write {output}")
    assert "Traceback" not in err


def test_a_csv_line_with_the_wrong_number_of_fields_is_quarantined_alone(
    valid_frame: pd.DataFrame, champion: Path, tmp_path: Path
) -> None:
    rows, broken = broken_rows(valid_frame)
    lines = rows.to_csv(index=False).splitlines()
    extra_at = 2  # data row 2 gets one field too many; the broken rows after it keep their numbers
    lines[1 + extra_at] += ",surplus"
    (tmp_path / "rows.csv").write_text("\n".join(lines) + "\n")
    result = score.score_file(str(tmp_path / "rows.csv"), str(tmp_path / "out.csv"), model=str(champion))
    quarantine = pd.read_csv(tmp_path / "out.quarantine.csv")
    assert sorted(quarantine["row"]) == sorted([*broken, extra_at])
    reason = quarantine.loc[quarantine["row"] == extra_at, "reason"].item()
    assert f"has {len(rows.columns) + 1} fields, the header has {len(rows.columns)}" in reason
    assert result.rows == len(rows)
    assert result.scored == len(rows) - len(broken) - 1
    assert extra_at not in [int(c.removeprefix("id-")) for c in pd.read_csv(tmp_path / "out.csv")["customer_id"]]


@pytest.mark.parametrize("taken", ["row", "reason", "prediction", "probability_x"])
def test_an_input_column_the_output_would_overwrite_is_refused(
    valid_frame: pd.DataFrame, champion: Path, tmp_path: Path, taken: str
) -> None:
    features_only(valid_frame).assign(**{taken: 1}).to_csv(tmp_path / "rows.csv", index=False)
    with pytest.raises(score.ScoringRefused, match=rf"the input has column\(s\) {taken}, which the output"):
        score.score_file(str(tmp_path / "rows.csv"), str(tmp_path / "out.csv"), model=str(champion))
    assert not (tmp_path / "out.csv").exists()


def test_the_champion_is_published_verified_where_the_cronjob_reads_it(
    valid_frame: pd.DataFrame, champion: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bucket = tmp_path / "bucket" / "models" / "champion"
    assert score.main(["--model", str(champion), "--publish-champion", str(bucket)]) == 0
    assert sorted(p.name for p in bucket.iterdir()) == ["model.onnx", "model_card.json"]
    assert sha256_file(bucket / "model.onnx") == sha256_file(champion)
    assert f"-> {bucket}/model.onnx" in capsys.readouterr().out
    features_only(valid_frame).to_csv(tmp_path / "rows.csv", index=False)
    result = score.score_file(str(tmp_path / "rows.csv"), str(tmp_path / "out.csv"), model=str(bucket / "model.onnx"))
    assert result.scored == len(valid_frame)
    # A model that does not match its card is not published: nothing is copied.
    tampered = tmp_path / "tampered"
    shutil.copytree(champion.parent, tampered)
    (tampered / "model.onnx").write_bytes((tampered / "model.onnx").read_bytes() + b"\0")
    elsewhere = tmp_path / "elsewhere"
    assert score.main(["--model", str(tampered / "model.onnx"), "--publish-champion", str(elsewhere)]) == 1
    assert "does not match" in capsys.readouterr().err
    assert not elsewhere.exists()


def test_the_command_line_scores_and_explains_its_errors(
    valid_frame: pd.DataFrame, champion: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows, broken = broken_rows(valid_frame)
    rows.to_csv(tmp_path / "rows.csv", index=False)
    output = tmp_path / "out.parquet"
    assert score.main(["--input", str(tmp_path / "rows.csv"), "--output", str(output), "--model", str(champion)]) == 0
    assert f"{len(broken)} quarantined" in capsys.readouterr().out
    assert score.main(["--output", str(output)]) == 2
    assert "give --input and --output" in capsys.readouterr().err
    missing = tmp_path / "nowhere.csv"
    assert score.main(["--input", str(missing), "--output", str(output), "--model", str(champion)]) == 1
    assert f"no input file at {missing}" in capsys.readouterr().err


def test_the_run_is_published_as_metrics(tmp_path: Path) -> None:
    predicted = {"mean": 12.5} if TASK == "regression" else {"a": 90.0, "b": 7.0}
    result = score.ScoreResult(100, 97, 3, "o.csv", "q.csv", "v", 1.5, predicted)
    registry: CollectorRegistry = score.score_metrics(result)
    assert registry.get_sample_value("batch_score_rows", {"outcome": "scored"}) == 97
    assert registry.get_sample_value("batch_score_rows", {"outcome": "quarantined"}) == 3
    if TASK == "regression":
        assert registry.get_sample_value("batch_score_prediction_mean") == 12.5
    else:
        assert registry.get_sample_value("batch_score_predictions", {"class": "a"}) == 90
        assert registry.get_sample_value("batch_score_predictions", {"class": "b"}) == 7
    assert (registry.get_sample_value("batch_score_last_success_timestamp_seconds") or 0) > 0
