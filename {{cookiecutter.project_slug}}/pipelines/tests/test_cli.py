"""Pipelines: the stage CLI prints a refusal once, with one stage prefix, and lets a real bug show its traceback."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }}_pipelines.__main__ import PACKAGE, STAGES, main
from {{ cookiecutter.package_name }}_pipelines.errors import BadInput, MissingInput, StageFailed


def fail_with(monkeypatch: pytest.MonkeyPatch, stage: str, error: BaseException) -> None:
    """Make `stage` raise `error` when the CLI runs it."""
    module, function = STAGES[stage]

    def raising(_: object) -> None:
        raise error

    monkeypatch.setattr(importlib.import_module(f"{PACKAGE}.{module}"), function, raising)


@pytest.mark.parametrize("error", [StageFailed("the floor is 0.9"), MissingInput("no data/x"), BadInput("no rows")])
def test_a_refusal_is_one_line_with_one_stage_prefix(
    params_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], error: StageFailed
) -> None:
    fail_with(monkeypatch, "split", error)
    assert main(["split", "--params", str(params_file)]) == 1
    assert capsys.readouterr().err == f"error: split: {error}\n"


@pytest.mark.parametrize("bug", [ValueError("a bug"), FileNotFoundError("a bug"), KeyError("a bug")])
def test_a_real_bug_is_not_caught(params_file: Path, monkeypatch: pytest.MonkeyPatch, bug: Exception) -> None:
    fail_with(monkeypatch, "split", bug)
    with pytest.raises(type(bug)) as raised:
        main(["split", "--params", str(params_file)])
    assert raised.value is bug


def test_a_stage_message_does_not_repeat_the_stage(params_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    params = yaml.safe_load(params_file.read_text())
    params["ingest"]["source"] = "no/such/file.csv"
    params_file.write_text(yaml.safe_dump(params))
    assert main(["ingest", "--params", str(params_file)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ingest: ")
    assert err.count("ingest:") == 1
    assert err.count("\n") == 1


def test_a_bad_parameter_file_is_a_refusal_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "params.yaml"
    assert main(["split", "--params", str(missing)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: split: ")
    assert str(missing) in err
