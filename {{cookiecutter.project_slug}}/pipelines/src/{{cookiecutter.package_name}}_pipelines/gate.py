"""Pipelines (MLOps): the registry gate — champion and challenger scored on the same rows, one rule decides.

Both models are the exported ONNX files, verified against their cards and run with onnxruntime
on this run's test split, so a smaller or easier split cannot flatter the challenger, and the
model that is compared is byte for byte the model that would ship. A champion of another data
contract never competes: the challenger starts a new line.
"""

from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any, Literal

import numpy as np
import onnxruntime as ort
import pandas as pd

from {{ cookiecutter.package_name }}_core import CATEGORICAL_COLUMNS, FEATURE_COLUMNS, TARGET
from {{ cookiecutter.package_name }}_core.fingerprint import contract_fingerprint

from .errors import StageFailed
from .files import read_json, sha256_file, write_json
from .integrity import verify
from .params import Params, Register
from .scoring import classification_metrics

Outcome = Literal["first", "new_line", "promoted", "kept", "below_floor"]
MODEL_FILE = "model.onnx"
CARD_FILE = "model_card.json"


class BelowFloor(StageFailed):
    """The challenger scores below the gate's absolute floor: it must not ship."""


@dataclass(frozen=True)
class Decision:
    """What the gate decided and why, with both scores on the same rows."""

    outcome: Outcome
    metric: str
    direction: str
    floor: float
    min_improvement: float
    challenger_score: float
    champion_score: float | None
    evaluation_rows: int
    evaluation_data_sha256: str
    contract: str
    champion_contract: str | None
    reason: str

    @property
    def promoted(self) -> bool:
        return self.outcome in ("first", "new_line", "promoted")

    def record(self) -> dict[str, Any]:
        return {**asdict(self), "promoted": self.promoted}


def read_verified(onnx_path: Path, card_path: Path) -> tuple[bytes, dict[str, Any]]:
    """The ONNX bytes and the card, after checking one against the other."""
    card: dict[str, Any] = read_json(card_path)
    verify(onnx_path, card)
    return onnx_path.read_bytes(), card


def read_verified_folder(folder: Path) -> tuple[bytes, dict[str, Any]]:
    return read_verified(folder / MODEL_FILE, folder / CARD_FILE)


class NotShippable(StageFailed):
    """A verified champion that must still not ship: another data contract, or below the floor."""


def check_shippable(card: dict[str, Any], rule: Register) -> None:
    """What `make champion` adds to the hash check: the model fits this code's contract and clears the floor.

    The floor is checked against the metrics the card records from the evaluate stage; the card is
    covered by review (git) or by the registry, and its model bytes by the sha256 just verified.
    """
    contract = contract_fingerprint()
    if card.get("contract") != contract:
        raise NotShippable(
            f"the champion was trained for data contract {str(card.get('contract'))[:12]}, this code's contract is "
            f"{contract[:12]}: run the pipeline so the gate decides on this contract"
        )
    value = card.get("metrics", {}).get(rule.metric)
    if value is None or not _clears_floor(float(value), rule):
        raise NotShippable(
            f"the champion's {rule.metric}={value} misses register.floor={rule.floor} ({rule.direction}); it must not ship"
        )


def install(onnx_path: Path, card_path: Path, folder: Path) -> None:
    """Copy a verified model and its card into `folder`, as the files the service and the image use."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(onnx_path, folder / MODEL_FILE)
    shutil.copyfile(card_path, folder / CARD_FILE)


def score(onnx_bytes: bytes, frame: pd.DataFrame, metric: str, classes: list[str]) -> float:
    """`metric` of the ONNX model on `frame` (features and target of the contract)."""
    session = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    feed = {
        column: frame[[column]].to_numpy(dtype=object if column in CATEGORICAL_COLUMNS else np.float32)
        for column in FEATURE_COLUMNS
    }
    _, probabilities = session.run(["label", "probabilities"], feed)
    return classification_metrics(frame[TARGET], np.asarray(probabilities), classes)[metric]


def _improvement(challenger: float, champion: float, direction: str) -> float:
    return challenger - champion if direction == "maximize" else champion - challenger


def _clears_floor(value: float, rule: Register) -> bool:
    return value >= rule.floor if rule.direction == "maximize" else value <= rule.floor


def decide(
    *,
    challenger: tuple[bytes, dict[str, Any]],
    champion: tuple[bytes, dict[str, Any]] | None,
    frame: pd.DataFrame,
    evaluation_data_sha256: str,
    rule: Register,
) -> Decision:
    """Score both models on `frame` and apply the rule in params.yaml (`register`)."""
    challenger_bytes, challenger_card = challenger
    contract = str(challenger_card["contract"])
    challenger_score = round(score(challenger_bytes, frame, rule.metric, challenger_card["classes"]), 6)
    champion_contract = str(champion[1].get("contract")) if champion else None
    champion_score: float | None = None
    if champion and champion_contract == contract:
        champion_score = round(score(champion[0], frame, rule.metric, champion[1]["classes"]), 6)
    decision = partial(
        Decision,
        metric=rule.metric,
        direction=rule.direction,
        floor=rule.floor,
        min_improvement=rule.min_improvement,
        challenger_score=challenger_score,
        champion_score=champion_score,
        evaluation_rows=len(frame),
        evaluation_data_sha256=evaluation_data_sha256,
        contract=contract,
        champion_contract=champion_contract,
    )
    if not _clears_floor(challenger_score, rule):
        bound = "at least" if rule.direction == "maximize" else "at most"
        reason = f"{rule.metric}={challenger_score:.4f} misses the floor ({bound} {rule.floor})"
        return decision(outcome="below_floor", reason=reason)
    if champion is None:
        return decision(outcome="first", reason="no champion yet: the challenger starts the line")
    if champion_score is None:
        reason = (
            f"the champion was trained for contract {str(champion_contract)[:12]}, this model for {contract[:12]}: "
            "they do not compete; the challenger starts a new line"
        )
        return decision(outcome="new_line", reason=reason)
    gain = round(_improvement(challenger_score, champion_score, rule.direction), 6)
    versus = f"{rule.metric} {challenger_score:.4f} vs champion {champion_score:.4f} on the same {len(frame)} rows"
    if gain > rule.min_improvement:
        return decision(outcome="promoted", reason=f"{versus}: better by {gain:.4f}")
    return decision(
        outcome="kept",
        reason=f"{versus}: not better by more than {rule.min_improvement}",
    )


def challenge(p: Params, champion: tuple[bytes, dict[str, Any]] | None) -> Decision:
    """The exported challenger (verified) against `champion`, on this run's test split, by params.yaml's rule."""
    return decide(
        challenger=read_verified(p.paths.onnx, p.paths.card),
        champion=champion,
        frame=pd.read_parquet(p.paths.test),
        evaluation_data_sha256=sha256_file(p.paths.test),
        rule=p.register_,
    )


def report(record: dict[str, Any], decision: Decision, path: Path) -> None:
    """Write the decision to reports/registry.json and say it in one line; below the floor, fail the stage."""
    write_json(record, path)
    print(f"register: {decision.outcome}: {decision.reason}")
    if decision.outcome == "below_floor":
        raise BelowFloor(f"{decision.reason}; the model was not registered and cannot ship")
