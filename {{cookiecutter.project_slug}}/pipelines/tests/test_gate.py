"""Pipelines: the gate scores champion and challenger on the same rows and applies params.yaml's rule."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from {{ cookiecutter.package_name }}_pipelines.__main__ import main
from {{ cookiecutter.package_name }}_pipelines.gate import (
    NotShippable,
    check_shippable,
    decide,
    read_verified,
)
from {{ cookiecutter.package_name }}_pipelines.integrity import IntegrityError, verify
from {{ cookiecutter.package_name }}_pipelines.params import Register

Model = tuple[bytes, dict[str, Any]]
ExportTo = Callable[..., tuple[Path, Path, dict[str, Any]]]
RULE = Register(metric="f1_macro", direction="maximize", floor=0.5, min_improvement=0.0)


@pytest.fixture(scope="module")
def frame(valid_frame: pd.DataFrame) -> pd.DataFrame:
    return valid_frame


@pytest.fixture(scope="module")
def strong(frame: pd.DataFrame, export_to: ExportTo, tmp_path_factory: pytest.TempPathFactory) -> Model:
    onnx_path, card_path, _ = export_to(tmp_path_factory.mktemp("strong"), frame, c=1.0)
    return read_verified(onnx_path, card_path)


@pytest.fixture(scope="module")
def weak(frame: pd.DataFrame, export_to: ExportTo, tmp_path_factory: pytest.TempPathFactory) -> Model:
    """So regularised that it predicts (almost) one class: the kind of model a gate must stop."""
    onnx_path, card_path, _ = export_to(tmp_path_factory.mktemp("weak"), frame, c=1e-4)
    return read_verified(onnx_path, card_path)


def gate(challenger: Model, champion: Model | None, frame: pd.DataFrame, **rule: Any) -> Any:
    return decide(
        challenger=challenger,
        champion=champion,
        frame=frame,
        evaluation_data_sha256="test",
        rule=RULE.model_copy(update=rule),
    )


def test_the_first_model_above_the_floor_starts_the_line(strong: Model, frame: pd.DataFrame) -> None:
    decision = gate(strong, None, frame)
    assert (decision.outcome, decision.promoted, decision.champion_score) == ("first", True, None)
    assert decision.evaluation_rows == len(frame)


def test_a_better_challenger_is_promoted_and_both_scores_are_recorded(
    strong: Model, weak: Model, frame: pd.DataFrame
) -> None:
    decision = gate(strong, weak, frame, floor=0.0)
    assert decision.outcome == "promoted"
    assert decision.challenger_score > decision.champion_score
    assert decision.record()["promoted"] is True


def test_a_worse_challenger_keeps_the_champion(strong: Model, weak: Model, frame: pd.DataFrame) -> None:
    decision = gate(weak, strong, frame, floor=0.0)
    assert (decision.outcome, decision.promoted) == ("kept", False)
    assert decision.champion_score > decision.challenger_score


def test_a_tie_or_a_gain_within_the_margin_keeps_the_champion(strong: Model, weak: Model, frame: pd.DataFrame) -> None:
    assert gate(strong, strong, frame).outcome == "kept"
    gain = gate(strong, weak, frame, floor=0.0)
    margin = gain.challenger_score - gain.champion_score
    assert gate(strong, weak, frame, floor=0.0, min_improvement=margin + 1e-6).outcome == "kept"


def test_a_challenger_below_the_floor_is_refused_whatever_the_champion(
    strong: Model, weak: Model, frame: pd.DataFrame
) -> None:
    floor = round(gate(strong, None, frame).challenger_score, 6)
    decision = gate(weak, None, frame, floor=floor)
    assert (decision.outcome, decision.promoted) == ("below_floor", False)
    assert f"misses the floor (at least {floor})" in decision.reason


def test_a_lower_is_better_metric_uses_its_direction(strong: Model, weak: Model, frame: pd.DataFrame) -> None:
    decision = gate(strong, weak, frame, metric="log_loss", direction="minimize", floor=10.0)
    assert decision.outcome == "promoted"
    assert decision.challenger_score < decision.champion_score


def test_a_champion_of_another_contract_does_not_compete(strong: Model, weak: Model, frame: pd.DataFrame) -> None:
    other_contract = (strong[0], {**strong[1], "contract": "0" * 64})
    decision = gate(weak, other_contract, frame, floor=0.0)
    assert (decision.outcome, decision.champion_score) == ("new_line", None)
    assert "do not compete" in decision.reason


def test_a_model_whose_bytes_differ_from_its_card_is_refused(
    tmp_path: Path, frame: pd.DataFrame, export_to: ExportTo
) -> None:
    onnx_path, card_path, card = export_to(tmp_path, frame, c=1.0)
    onnx_path.write_bytes(onnx_path.read_bytes() + b"\0")
    with pytest.raises(IntegrityError, match="was changed after export"):
        read_verified(onnx_path, card_path)
    with pytest.raises(IntegrityError, match="has no sha256"):
        verify(onnx_path, {key: value for key, value in card.items() if key != "sha256"})


def test_the_direction_must_fit_the_metric(params_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    params = yaml.safe_load(params_file.read_text())
    params["register"].update(metric="log_loss", direction="maximize")
    params_file.write_text(yaml.safe_dump(params))
    assert main(["register", "--params", str(params_file)]) == 1
    error = capsys.readouterr().err
    assert "register" in error
    assert "log_loss gets better when it is minimized" in error


def test_the_card_records_the_model_hash_and_the_contract(
    tmp_path: Path, frame: pd.DataFrame, export_to: ExportTo
) -> None:
    onnx_path, card_path, _ = export_to(tmp_path, frame, c=1.0)
    card = json.loads(card_path.read_text())
    verify(onnx_path, card)
    assert card["version"] == card["sha256"][:12]
    assert len(card["contract"]) == 64


def test_the_champion_is_scored_on_the_rows_not_taken_from_its_card(
    strong: Model, weak: Model, frame: pd.DataFrame
) -> None:
    """A card's recorded metrics (from another split, or edited) never decide: both models are scored here."""
    flattering = (weak[0], {**weak[1], "metrics": {**weak[1]["metrics"], "f1_macro": 1.0}})
    modest = (strong[0], {**strong[1], "metrics": {**strong[1]["metrics"], "f1_macro": 0.0}})
    assert gate(strong, flattering, frame, floor=0.0).outcome == "promoted"
    assert gate(weak, modest, frame, floor=0.0).outcome == "kept"


def test_a_card_that_names_another_version_is_refused(tmp_path: Path, frame: pd.DataFrame, export_to: ExportTo) -> None:
    onnx_path, _, card = export_to(tmp_path, frame, c=1.0)
    with pytest.raises(IntegrityError, match="names version 'other'"):
        verify(onnx_path, {**card, "version": "other"})


def test_only_a_champion_of_this_contract_above_the_floor_may_ship(strong: Model) -> None:
    card = strong[1]
    check_shippable(card, RULE)
    with pytest.raises(NotShippable, match="trained for data contract 000000000000"):
        check_shippable({**card, "contract": "0" * 64}, RULE)
    with pytest.raises(NotShippable, match=r"f1_macro=0.1 misses register.floor=0.5"):
        check_shippable({**card, "metrics": {**card["metrics"], "f1_macro": 0.1}}, RULE)
