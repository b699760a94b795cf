"""Pipelines: without a tracking server the champion is the committed models/champion/, and the gate guards it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from {{ cookiecutter.package_name }}_core import CARD_NAME, TARGET_CLASSES, iter_records
from {{ cookiecutter.package_name }}_pipelines import gate
from {{ cookiecutter.package_name }}_pipelines.__main__ import main
from {{ cookiecutter.package_name }}_pipelines.params import load_params

# Tests of the registry's mechanics, which hold on any data: the gate's quality floors are off (conftest.py).
# The slow tier (`make test-slow`): each test trains and registers models.
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("no_quality_floor")]
# A margin no challenger's gain can pass: the champion stays whatever the two models score.
UNBEATABLE_MARGIN = 1e300


def champion_bytes(params_file: Path) -> bytes:
    return (load_params(params_file).paths.champion / "model.onnx").read_bytes()


def test_the_first_model_becomes_the_committed_champion(
    params_file: Path, train_and_register: Callable[..., int], last_decision: Callable[[], dict[str, Any]]
) -> None:
    assert train_and_register() == 0
    p = load_params(params_file)
    assert last_decision()["outcome"] == "first"
    assert champion_bytes(params_file) == p.paths.onnx.read_bytes()
    assert main(["champion", "--params", str(params_file)]) == 0


def test_a_challenger_short_of_the_margin_keeps_the_champion_scored_on_its_split(
    params_file: Path, train_and_register: Callable[..., int], last_decision: Callable[[], dict[str, Any]]
) -> None:
    """Both models are scored on the challenger's test split; a gain short of register.min_improvement keeps the
    champion. The margin here is one no gain can pass, so the outcome does not depend on which model the data
    favours (test_gate.py compares scores)."""
    assert train_and_register(train={"linear": {"c": 1.0, "max_iter": 500}}) == 0
    champion = champion_bytes(params_file)
    # A small test split (5%), but one a stratified split can draw: two rows of each class at least.
    rows = sum(1 for _ in iter_records(sample=True))
    test_size = max(0.05, 2 * len(TARGET_CLASSES) / rows)
    other = {"linear": {"c": 0.1, "max_iter": 500}}
    margin = {"min_improvement": UNBEATABLE_MARGIN}
    assert train_and_register(train=other, split={"test_size": test_size, "seed": 2}, register=margin) == 0
    record = last_decision()
    assert (record["outcome"], record["promoted"]) == ("kept", False)
    # Both were scored on the challenger's (small) test split, not each on its own.
    assert record["evaluation_rows"] == len(pd.read_parquet(load_params(params_file).paths.test))
    assert all(isinstance(record[score], float) for score in ("champion_score", "challenger_score"))
    assert champion_bytes(params_file) == champion


def test_a_model_below_the_floor_fails_and_leaves_the_champion(
    unreachable_floor: tuple[float, str],
    params_file: Path,
    capsys: pytest.CaptureFixture[str],
    train_and_register: Callable[..., int],
    last_decision: Callable[[], dict[str, Any]],
) -> None:
    assert train_and_register() == 0
    champion = champion_bytes(params_file)
    floor, bound = unreachable_floor
    assert train_and_register(register={"floor": floor}) == 1
    assert f"misses the floor ({bound} {floor};" in capsys.readouterr().err
    assert last_decision()["outcome"] == "below_floor"
    assert champion_bytes(params_file) == champion


def test_a_tampered_champion_is_refused_by_the_gate_and_by_make_champion(
    params_file: Path, capsys: pytest.CaptureFixture[str], train_and_register: Callable[..., int]
) -> None:
    assert train_and_register() == 0
    onnx_path = load_params(params_file).paths.champion / "model.onnx"
    onnx_path.write_bytes(onnx_path.read_bytes()[:-1])
    assert main(["champion", "--params", str(params_file)]) == 1
    assert "was changed after export and is refused" in capsys.readouterr().err
    assert main(["register", "--params", str(params_file)]) == 1
    assert "was changed after export and is refused" in capsys.readouterr().err


def test_make_champion_without_a_champion_says_what_to_do(
    params_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["champion", "--params", str(params_file)]) == 1
    assert "holds no champion: run `make repro` and commit" in capsys.readouterr().err


def test_make_champion_refuses_a_committed_champion_below_the_floor(
    unreachable_floor: tuple[float, str],
    params_file: Path,
    capsys: pytest.CaptureFixture[str],
    train_and_register: Callable[..., int],
) -> None:
    """A committed model whose hash matches its own card still must clear the gate's floor to ship: a floor raised
    after it was registered stops `make champion`."""
    assert train_and_register() == 0
    card = json.loads((load_params(params_file).paths.champion / CARD_NAME).read_text())
    metric = load_params(params_file).register_.task_metric
    params = yaml.safe_load(params_file.read_text())
    params["register"]["floor"] = unreachable_floor[0]
    params_file.write_text(yaml.safe_dump(params))
    assert main(["champion", "--params", str(params_file)]) == 1
    assert f"the champion's {metric}={card['metrics'][metric]} misses the floor" in capsys.readouterr().err


def test_make_champion_refuses_a_champion_of_another_contract(
    params_file: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    train_and_register: Callable[..., int],
) -> None:
    assert train_and_register() == 0
    monkeypatch.setattr(gate, "contract_fingerprint", lambda: "f" * 64)  # the code's contract moved on
    assert main(["champion", "--params", str(params_file)]) == 1
    assert "this code's contract is ffffffffffff" in capsys.readouterr().err
