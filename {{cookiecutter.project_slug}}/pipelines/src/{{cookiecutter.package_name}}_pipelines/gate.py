"""Pipelines (MLOps): the registry gate — champion and challenger scored on the same rows, one rule decides.

Both are the verified ONNX files, byte for byte what would ship, scored on this run's test split. A champion of
another data contract never competes. The challenger must beat a baseline (a Dummy fitted on the train split) on
`register.beat_baseline.confidence` of paired bootstrap resamples, and `register.floor` when set (params.yaml).
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

from {{ cookiecutter.package_name }}_core import CARD_NAME, MODEL_NAME, TARGET, TASK, ModelCard
from {{ cookiecutter.package_name }}_core.fingerprint import contract_fingerprint

from .bootstrap import Bootstrap, paired_bootstrap
from .errors import StageFailed
from .files import sha256_file, write_json
from .params import Params, Register
from .scoring import BASELINE_PREFIX, baseline_outputs, label_codes, onnx_feed, onnx_outputs, task_metrics

Outcome = Literal["first", "new_line", "promoted", "kept", "below_floor"]
# A model as the gate reads it: its ONNX bytes and its card, verified one against the other (core's load_verified).
Verified = tuple[bytes, ModelCard]


class BelowFloor(StageFailed):
    """The challenger is not clearly better than the baseline, or misses the absolute floor: it must not ship."""


@dataclass(frozen=True)
class Decision:
    """What the gate decided and why, with the scores of the challenger, the baseline and the champion on the same rows.

    `baseline_share` is the share of the `scored_resamples` paired resamples (of `resampled_rows` rows each) on
    which the challenger beat the baseline; None when `confidence` (register.beat_baseline) is null.
    """

    outcome: Outcome
    task: str
    metric: str
    direction: str
    baseline_score: float
    confidence: float | None
    baseline_share: float | None
    scored_resamples: int | None
    resampled_rows: int | None
    floor: float | None
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


class NotShippable(StageFailed):
    """A verified champion that must still not ship: another data contract, or below the floor."""


def check_shippable(card: ModelCard, rule: Register) -> None:
    """What `make champion` adds to the hash check: this code's contract, and the floors on the card's metrics
    (the model's and its baseline's on the test split: an image build may not have the rows to bootstrap)."""
    contract = contract_fingerprint()
    if card.contract != contract:
        raise NotShippable(
            f"the champion was trained for data contract {card.contract[:12]}, this code's contract is "
            f"{contract[:12]}: run the pipeline so the gate decides on this contract"
        )
    metric = rule.task_metric
    value, baseline = card.metrics.get(metric), card.metrics.get(f"{BASELINE_PREFIX}{metric}")
    if value is None or baseline is None:
        raise NotShippable(
            f"the champion's card records no {metric} and {BASELINE_PREFIX}{metric}: it cannot be checked "
            "against the floor; run the pipeline to gate a model"
        )
    if rule.beat_baseline.confidence is not None and _improvement(float(value), float(baseline), rule.direction) <= 0:
        raise NotShippable(
            f"the champion's {metric}={value} misses the floor: no better than its baseline's {baseline} on the "
            "test split it was evaluated on; it must not ship"
        )
    if not _clears(float(value), rule.floor, rule.direction):
        raise NotShippable(
            f"the champion's {metric}={value} misses the floor {rule.floor} ({rule.direction}, baseline {baseline}); "
            "it must not ship"
        )


def install(onnx_path: Path, card_path: Path, folder: Path) -> None:
    """Copy a verified model and its card into `folder`, as the files the service and the image use."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(onnx_path, folder / MODEL_NAME)
    shutil.copyfile(card_path, folder / CARD_NAME)


def model_outputs(onnx_bytes: bytes, frame: pd.DataFrame) -> np.ndarray:
    """The ONNX model's probabilities [rows, classes] (classification) or values [rows] (regression) on `frame`."""
    session = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    values, probabilities = onnx_outputs(session, onnx_feed(frame))
    return values if probabilities is None else probabilities


def score(onnx_bytes: bytes, frame: pd.DataFrame, metric: str, classes: list[str]) -> float:
    """`metric` of the ONNX model on `frame` (features and target of the contract)."""
    return task_metrics(frame[TARGET], model_outputs(onnx_bytes, frame), classes)[metric]


def _improvement(challenger: float, champion: float, direction: str) -> float:
    return challenger - champion if direction == "maximize" else champion - challenger


def _clears(value: float, floor: float | None, direction: str) -> bool:
    if floor is None:  # register.floor null: no absolute floor
        return True
    return value >= floor if direction == "maximize" else value <= floor


def _versus_baseline(
    metric: str, challenger: float, baseline: float, rule: Register, evidence: Bootstrap | None
) -> str:
    """The challenger against the baseline, in words: both scores and the bootstrap's share."""
    scores = f"{metric} {challenger:.4f} vs baseline {baseline:.4f}"
    if evidence is None:
        return f"{scores} (register.beat_baseline.confidence is null: not checked)"
    skipped = evidence.resamples - evidence.scored
    undefined = f", {skipped} skipped where {metric} is undefined" if skipped else ""
    return (
        f"{scores}, better on {evidence.share:.1%} of {evidence.scored} paired resamples of {evidence.rows} test rows"
        f"{undefined} ({rule.beat_baseline.confidence:.0%} needed, register.beat_baseline.confidence)"
    )


def decide(
    *,
    challenger: Verified,
    champion: Verified | None,
    frame: pd.DataFrame,
    train_target: pd.Series,
    evaluation_data_sha256: str,
    rule: Register,
    other_contract: str | None = None,
) -> Decision:
    """Score both models and the baseline (fitted on `train_target`) on `frame`; apply params.yaml's `register` rule.

    `other_contract`: with no champion here, the contract of another line's champion (the challenger starts a new line).
    """
    challenger_bytes, challenger_card = challenger
    contract, classes = challenger_card.contract, challenger_card.classes
    champion_contract = champion[1].contract if champion else other_contract
    champion_score: float | None = None
    if champion and champion_contract == contract:
        champion_score = score(champion[0], frame, rule.task_metric, champion[1].classes)
    return judge(
        truth=frame[TARGET],
        challenger=model_outputs(challenger_bytes, frame),
        baseline=baseline_outputs(train_target, len(frame), classes),
        classes=classes,
        contract=contract,
        champion_contract=champion_contract,
        champion_score=champion_score,
        evaluation_data_sha256=evaluation_data_sha256,
        rule=rule,
    )


def judge(
    *,
    truth: pd.Series,
    challenger: np.ndarray,
    baseline: np.ndarray,
    classes: list[str],
    contract: str,
    champion_contract: str | None,
    champion_score: float | None,
    evaluation_data_sha256: str,
    rule: Register,
) -> Decision:
    """The rule on outputs already computed (probabilities, or values) for the rows of `truth`.

    In order: the absolute `floor` (when set), then the baseline (a paired bootstrap, unless its confidence is
    null), then the champion: none (`champion_contract` None), of another contract (no score), or of this one,
    which the challenger must beat by more than `min_improvement`.
    """
    metric = rule.task_metric
    challenger_score = round(task_metrics(truth, challenger, classes)[metric], 6)
    baseline_score = round(task_metrics(truth, baseline, classes)[metric], 6)
    confidence = rule.beat_baseline.confidence
    evidence: Bootstrap | None = None
    if confidence is not None:
        codes = truth.to_numpy(dtype=float) if TASK == "regression" else label_codes(truth, classes)
        evidence = paired_bootstrap(
            metric, rule.direction == "maximize", codes, challenger, baseline, resamples=rule.beat_baseline.resamples
        )
    if champion_score is not None:
        champion_score = round(champion_score, 6)
    decision = partial(
        Decision,
        task=TASK,
        metric=metric,
        direction=rule.direction,
        baseline_score=baseline_score,
        confidence=confidence,
        baseline_share=None if evidence is None else round(evidence.share, 4),
        scored_resamples=None if evidence is None else evidence.scored,
        resampled_rows=None if evidence is None else evidence.rows,
        floor=rule.floor,
        min_improvement=rule.min_improvement,
        challenger_score=challenger_score,
        champion_score=champion_score,
        evaluation_rows=len(truth),
        evaluation_data_sha256=evaluation_data_sha256,
        contract=contract,
        champion_contract=champion_contract,
    )
    against_baseline = _versus_baseline(metric, challenger_score, baseline_score, rule, evidence)
    if not _clears(challenger_score, rule.floor, rule.direction):
        bound = "at least" if rule.direction == "maximize" else "at most"
        reason = (
            f"{metric}={challenger_score:.4f} misses the floor ({bound} {rule.floor}; baseline {baseline_score:.4f}, "
            f"register.floor={rule.floor}); {against_baseline}"
        )
        return decision(outcome="below_floor", reason=reason)
    if evidence is not None and confidence is not None and not evidence.share >= confidence:
        reason = f"{metric}={challenger_score:.4f} misses the floor: not clearly better than the baseline; {against_baseline}"
        return decision(outcome="below_floor", reason=reason)
    if champion_contract is None:
        return decision(outcome="first", reason=f"{against_baseline}; no champion yet: the challenger starts the line")
    if champion_score is None:
        reason = (
            f"{against_baseline}; the champion was trained for contract {str(champion_contract)[:12]}, this model for "
            f"{contract[:12]}: they do not compete; the challenger starts a new line"
        )
        return decision(outcome="new_line", reason=reason)
    gain = round(_improvement(challenger_score, champion_score, rule.direction), 6)
    versus = f"{metric} {challenger_score:.4f} vs champion {champion_score:.4f} on the same {len(truth)} rows"
    if gain > rule.min_improvement:
        return decision(outcome="promoted", reason=f"{against_baseline}; {versus}: better by {gain:.4f}")
    return decision(
        outcome="kept",
        reason=f"{against_baseline}; {versus}: not better by more than {rule.min_improvement}",
    )


def challenge(
    p: Params, challenger: Verified, champion: Verified | None, other_contract: str | None = None
) -> Decision:
    """The exported `challenger` against `champion`, on this run's test split, by params.yaml's rule."""
    return decide(
        challenger=challenger,
        champion=champion,
        frame=pd.read_parquet(p.paths.test),
        train_target=pd.read_parquet(p.paths.train, columns=[TARGET])[TARGET],
        evaluation_data_sha256=sha256_file(p.paths.test),
        rule=p.register_,
        other_contract=other_contract,
    )


def report(record: dict[str, Any], decision: Decision, path: Path) -> None:
    """Write the decision to reports/registry.json and say it in one line; below the floor, fail the stage.

    The record is written first, so a refusal is on disk although the stage (and `make repro`) fails:
    the service reads it to say why it has no model.
    """
    write_json(record, path)
    print(f"register: {decision.outcome}: {decision.reason}")
    if decision.outcome == "below_floor":
        raise BelowFloor(f"{decision.reason}; the model was not registered and cannot ship")
