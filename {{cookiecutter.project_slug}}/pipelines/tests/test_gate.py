"""Pipelines: the gate scores champion, challenger and baseline on the same rows and applies params.yaml's rule.

Models and thresholds come from the data: `strong` is core's recipe, `weak` the same recipe on the
target shuffled; floors are set relative to the scores measured here, never to a fixed figure.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from {{ cookiecutter.package_name }}_core import TARGET, TASK
from {{ cookiecutter.package_name }}_pipelines.__main__ import main
from {{ cookiecutter.package_name }}_pipelines.gate import (
    NotShippable,
    check_shippable,
    decide,
    read_verified,
)
from {{ cookiecutter.package_name }}_pipelines.integrity import IntegrityError, verify
from {{ cookiecutter.package_name }}_pipelines.params import DIRECTIONS, PERFECT, Register

Model = tuple[bytes, dict[str, Any]]
ExportTo = Callable[..., tuple[Path, Path, dict[str, Any]]]
# Each task's first metric of params.py's table; no floor unless a test sets one.
METRICS = {task: next(iter(metrics)) for task, metrics in DIRECTIONS.items()}
RULE = Register(metric=METRICS, floor_over_baseline=None, floor=None, min_improvement=0.0)
METRIC = METRICS[TASK]
BETTER = 1.0 if DIRECTIONS[TASK][METRIC] == "maximize" else -1.0


@pytest.fixture(scope="module")
def frame(valid_frame: pd.DataFrame) -> pd.DataFrame:
    return valid_frame


@pytest.fixture(scope="module")
def strong(frame: pd.DataFrame, export_to: ExportTo, tmp_path_factory: pytest.TempPathFactory) -> Model:
    onnx_path, card_path, _ = export_to(tmp_path_factory.mktemp("strong"), frame)
    return read_verified(onnx_path, card_path)


@pytest.fixture(scope="module")
def weak(frame: pd.DataFrame, export_to: ExportTo, tmp_path_factory: pytest.TempPathFactory) -> Model:
    """Trained on the shuffled target: no better than the baseline, the kind of model a gate must stop."""
    onnx_path, card_path, _ = export_to(tmp_path_factory.mktemp("weak"), frame, weak=True)
    return read_verified(onnx_path, card_path)


def gate(challenger: Model, champion: Model | None, frame: pd.DataFrame, **rule: Any) -> Any:
    return decide(
        challenger=challenger,
        champion=champion,
        frame=frame,
        train_target=frame[TARGET],
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
    decision = gate(strong, weak, frame)
    assert decision.outcome == "promoted"
    assert BETTER * (decision.challenger_score - decision.champion_score) > 0
    assert decision.record()["promoted"] is True


def test_a_worse_challenger_keeps_the_champion(strong: Model, weak: Model, frame: pd.DataFrame) -> None:
    decision = gate(weak, strong, frame)
    assert (decision.outcome, decision.promoted) == ("kept", False)
    assert BETTER * (decision.champion_score - decision.challenger_score) > 0


def test_a_tie_or_a_gain_within_the_margin_keeps_the_champion(strong: Model, weak: Model, frame: pd.DataFrame) -> None:
    assert gate(strong, strong, frame).outcome == "kept"
    gain = gate(strong, weak, frame)
    margin = BETTER * (gain.challenger_score - gain.champion_score)
    assert gate(strong, weak, frame, min_improvement=margin + 1e-6).outcome == "kept"


def test_a_challenger_below_the_floor_is_refused_whatever_the_champion(
    strong: Model, weak: Model, frame: pd.DataFrame
) -> None:
    floor = gate(strong, None, frame).challenger_score
    decision = gate(weak, None, frame, floor=floor)
    assert (decision.outcome, decision.promoted, decision.floor) == ("below_floor", False, floor)
    bound = "at least" if BETTER > 0 else "at most"
    assert f"{METRIC}={decision.challenger_score:.4f} misses the floor ({bound} {floor};" in decision.reason
    assert gate(weak, strong, frame, floor=floor).outcome == "below_floor"


def test_the_floor_is_a_share_of_the_way_from_the_baseline_to_a_perfect_score(
    strong: Model, weak: Model, frame: pd.DataFrame
) -> None:
    """The recipe closes more of the gap than the shuffled-target model: a floor between the two splits them."""
    measured = gate(strong, None, frame, floor_over_baseline=0.0)
    baseline, perfect = measured.baseline_score, PERFECT[METRIC]
    assert measured.floor == baseline
    share = (measured.challenger_score - baseline) / (perfect - baseline)
    weak_share = (gate(weak, None, frame).challenger_score - baseline) / (perfect - baseline)
    assert weak_share < share  # the data carries signal the recipe finds
    between = round((share + weak_share) / 2, 6)
    passed = gate(strong, None, frame, floor_over_baseline=between)
    assert passed.outcome == "first"
    assert passed.floor == pytest.approx(baseline + between * (perfect - baseline), abs=1e-6)
    refused = gate(weak, None, frame, floor_over_baseline=between)
    assert refused.outcome == "below_floor"
    assert f"register.floor_over_baseline={between}" in refused.reason


def test_the_stricter_of_the_absolute_and_the_relative_floor_applies(strong: Model, frame: pd.DataFrame) -> None:
    relative = gate(strong, None, frame, floor_over_baseline=0.0).floor
    assert relative is not None
    stricter, looser = relative + BETTER, relative - BETTER
    assert gate(strong, None, frame, floor_over_baseline=0.0, floor=stricter).floor == stricter
    assert gate(strong, None, frame, floor_over_baseline=0.0, floor=looser).floor == relative


def test_a_lower_is_better_metric_uses_its_direction(strong: Model, weak: Model, frame: pd.DataFrame) -> None:
    lower = next(name for name, direction in DIRECTIONS[TASK].items() if direction == "minimize")
    decision = gate(strong, weak, frame, metric={TASK: lower})
    assert (decision.outcome, decision.metric, decision.direction) == ("promoted", lower, "minimize")
    assert decision.challenger_score < decision.champion_score


def test_a_champion_of_another_contract_does_not_compete(strong: Model, weak: Model, frame: pd.DataFrame) -> None:
    other_contract = (strong[0], {**strong[1], "contract": "0" * 64})
    decision = gate(weak, other_contract, frame)
    assert (decision.outcome, decision.champion_score) == ("new_line", None)
    assert "do not compete" in decision.reason


def test_a_model_whose_bytes_differ_from_its_card_is_refused(
    tmp_path: Path, frame: pd.DataFrame, export_to: ExportTo
) -> None:
    onnx_path, card_path, card = export_to(tmp_path, frame)
    onnx_path.write_bytes(onnx_path.read_bytes() + b"\0")
    with pytest.raises(IntegrityError, match="was changed after export"):
        read_verified(onnx_path, card_path)
    with pytest.raises(IntegrityError, match="has no sha256"):
        verify(onnx_path, {key: value for key, value in card.items() if key != "sha256"})


def test_the_metric_must_belong_to_its_task(params_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    params = yaml.safe_load(params_file.read_text())
    other = next(task for task in DIRECTIONS if task != TASK)
    wrong = METRICS[other]
    params["register"]["metric"] = {TASK: wrong}
    params_file.write_text(yaml.safe_dump(params))
    assert main(["register", "--params", str(params_file)]) == 1
    error = capsys.readouterr().err
    assert "register.metric=" in error
    assert f"'{wrong}' is not a {TASK} metric" in error


def test_a_metric_for_the_contracts_task_is_required(params_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    params = yaml.safe_load(params_file.read_text())
    other = next(task for task in DIRECTIONS if task != TASK)
    params["register"]["metric"] = {other: METRICS[other]}
    params_file.write_text(yaml.safe_dump(params))
    assert main(["register", "--params", str(params_file)]) == 1
    assert f"no metric for the contract's task '{TASK}': add metric.{TASK}" in capsys.readouterr().err


def test_the_card_records_the_model_hash_and_the_contract(
    tmp_path: Path, frame: pd.DataFrame, export_to: ExportTo
) -> None:
    onnx_path, card_path, _ = export_to(tmp_path, frame)
    card = json.loads(card_path.read_text())
    verify(onnx_path, card)
    assert card["version"] == card["sha256"][:12]
    assert len(card["contract"]) == 64


def test_the_champion_is_scored_on_the_rows_not_taken_from_its_card(
    strong: Model, weak: Model, frame: pd.DataFrame
) -> None:
    """A card's recorded metrics (from another split, or edited) never decide: both models are scored here."""
    perfect, worst = PERFECT[METRIC], PERFECT[METRIC] - BETTER * 1e6
    flattering = (weak[0], {**weak[1], "metrics": {**weak[1]["metrics"], METRIC: perfect}})
    modest = (strong[0], {**strong[1], "metrics": {**strong[1]["metrics"], METRIC: worst}})
    assert gate(strong, flattering, frame).outcome == "promoted"
    assert gate(weak, modest, frame).outcome == "kept"


def test_a_card_that_names_another_version_is_refused(tmp_path: Path, frame: pd.DataFrame, export_to: ExportTo) -> None:
    onnx_path, _, card = export_to(tmp_path, frame)
    with pytest.raises(IntegrityError, match="names version 'other'"):
        verify(onnx_path, {**card, "version": "other"})


def test_only_a_champion_of_this_contract_above_the_floor_may_ship(strong: Model) -> None:
    card = strong[1]
    rule = RULE.model_copy(update={"floor_over_baseline": 0.0})
    check_shippable(card, rule)
    with pytest.raises(NotShippable, match="trained for data contract 000000000000"):
        check_shippable({**card, "contract": "0" * 64}, rule)
    baseline = card["metrics"][f"baseline_{METRIC}"]
    below = baseline - BETTER
    with pytest.raises(NotShippable, match=rf"the champion's {METRIC}={below} misses the floor {baseline} "):
        check_shippable({**card, "metrics": {**card["metrics"], METRIC: below}}, rule)
    without = {name: value for name, value in card["metrics"].items() if name != f"baseline_{METRIC}"}
    with pytest.raises(NotShippable, match=f"records no {METRIC} and baseline_{METRIC}"):
        check_shippable({**card, "metrics": without}, rule)
