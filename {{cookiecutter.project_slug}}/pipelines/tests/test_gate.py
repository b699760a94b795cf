"""Pipelines: the gate scores champion, challenger and baseline on the same rows and applies params.yaml's rule.

The rule's own tests use synthetic predictions (`judge`, `paired_bootstrap`): classes, priors and scores are
made here, never taken from the team's data. The tests of `decide` score real ONNX models on the data's sample:
`strong` is core's recipe, `weak` the same recipe on the target shuffled; with the baseline check off (registry
mechanics regardless of quality), and thresholds set relative to the scores measured here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from {{ cookiecutter.package_name }}_core import TARGET, TASK, CardError, ModelCard, load_verified
from {{ cookiecutter.package_name }}_core.fingerprint import contract_fingerprint
from {{ cookiecutter.package_name }}_pipelines.__main__ import main
from {{ cookiecutter.package_name }}_pipelines.bootstrap import MAX_ROWS, paired_bootstrap, resampled_metric
from {{ cookiecutter.package_name }}_pipelines.gate import (
    Decision,
    NotShippable,
    check_shippable,
    decide,
    judge,
)
from {{ cookiecutter.package_name }}_pipelines.params import DIRECTIONS, PERFECT, BeatBaseline, Register, load_params
from {{ cookiecutter.package_name }}_pipelines.scoring import (
    baseline_outputs,
    classification_metrics,
    label_codes,
    regression_metrics,
)

Model = tuple[bytes, ModelCard]
ExportTo = Callable[..., tuple[Path, Path, ModelCard]]
# Each task's first metric of params.py's table; no absolute floor, no baseline check unless a test sets one.
METRICS = {task: next(iter(metrics)) for task, metrics in DIRECTIONS.items()}
RULE = Register(metric=METRICS, beat_baseline=BeatBaseline(confidence=None), floor=None, min_improvement=0.0)
METRIC = METRICS[TASK]
BETTER = 1.0 if DIRECTIONS[TASK][METRIC] == "maximize" else -1.0
# params.yaml's default: better than the baseline on 95 % of 1000 paired resamples.
DEFAULT = BeatBaseline()

# Synthetic classification: five classes, a majority and a rare one (the issue's weather data had both).
CLASSES = [f"class {code}" for code in range(5)]
PRIORS = np.array([0.48, 0.25, 0.15, 0.09, 0.03])


def synthetic_labels(rows: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).choice(len(CLASSES), size=rows, p=PRIORS)


def synthetic_probabilities(codes: np.ndarray, skill: float, seed: int) -> np.ndarray:
    """A classifier that knows the class of a `skill` share of rows and guesses the others from the priors."""
    rng = np.random.default_rng(seed)
    guessed = rng.choice(len(CLASSES), size=len(codes), p=PRIORS)
    predicted = np.where(rng.random(len(codes)) < skill, codes, guessed)
    probabilities = np.full((len(codes), len(CLASSES)), 0.1)
    probabilities[np.arange(len(codes)), predicted] = 0.6
    return probabilities


def synthetic_targets(rows: int, seed: int, mean: float = 150.0, spread: float = 75.0) -> np.ndarray:
    return np.random.default_rng(seed).normal(mean, spread, size=rows)


def noisy_values(truth: np.ndarray, noise: float, seed: int) -> np.ndarray:
    """A regressor whose error is Gaussian with this standard deviation (its RMSE, near enough)."""
    return truth + np.random.default_rng(seed).normal(0.0, noise, size=len(truth))


def prior_probabilities(rows: int) -> np.ndarray:
    return np.tile(PRIORS, (rows, 1))


def task_case(rows: int, useful: bool, seed: int = 0) -> tuple[pd.Series, np.ndarray, pd.Series, list[str]]:
    """Truth, a challenger's outputs, a train split's target and the classes, for the contract's task:
    a useful challenger (a clear signal), or one that only repeats the baseline's outputs."""
    if TASK == "regression":
        truth, train = synthetic_targets(rows, seed), synthetic_targets(3 * rows, seed + 1)
        outputs = noisy_values(truth, 40.0, seed + 2) if useful else np.full(rows, train.mean())
        return pd.Series(truth), outputs, pd.Series(train), []
    codes, train = synthetic_labels(rows, seed), synthetic_labels(3 * rows, seed + 1)
    names = np.array(CLASSES)
    train_target = pd.Series(names[train])
    outputs = synthetic_probabilities(codes, 0.6, seed + 2) if useful else baseline_outputs(train_target, rows, CLASSES)
    return pd.Series(names[codes]), outputs, train_target, CLASSES


def worse_outputs(truth: pd.Series, classes: list[str]) -> np.ndarray:
    """A challenger worse than the baseline: a classifier sure of a wrong class, a regressor far off the mean."""
    if TASK == "regression":
        return truth.to_numpy(dtype=float) * -1.0
    codes = label_codes(truth, classes)
    probabilities = np.full((len(truth), len(classes)), 0.01)
    probabilities[np.arange(len(truth)), (codes + 1) % len(classes)] = 0.96
    return probabilities


def judged(
    truth: pd.Series,
    outputs: np.ndarray,
    train_target: pd.Series,
    classes: list[str],
    *,
    champion_score: float | None = None,
    **rule: Any,
) -> Decision:
    """The gate's rule on synthetic outputs: the default baseline check unless `rule` says otherwise."""
    return judge(
        truth=truth,
        challenger=outputs,
        baseline=baseline_outputs(train_target, len(truth), classes),
        classes=classes,
        contract="c" * 64,
        champion_contract=None if champion_score is None else "c" * 64,
        champion_score=champion_score,
        evaluation_data_sha256="test",
        rule=Register(metric=METRICS, min_improvement=0.0).model_copy(update=rule),
    )


# The rule, on synthetic predictions of the contract's task.


def test_a_clearly_useful_model_passes_on_a_small_split() -> None:
    truth, outputs, train_target, classes = task_case(rows=40, useful=True)
    decision = judged(truth, outputs, train_target, classes)
    assert (decision.outcome, decision.promoted) == ("first", True), decision.reason
    assert decision.baseline_share is not None
    assert decision.baseline_share >= DEFAULT.confidence
    assert (decision.confidence, decision.scored_resamples, decision.resampled_rows) == (0.95, 1000, 40)


def test_a_model_no_better_than_the_baseline_is_refused() -> None:
    truth, outputs, train_target, classes = task_case(rows=200, useful=False)
    decision = judged(truth, outputs, train_target, classes)
    assert (decision.outcome, decision.promoted, decision.baseline_share) == ("below_floor", False, 0.0)
    assert decision.challenger_score == decision.baseline_score
    assert f"{METRIC}={decision.challenger_score:.4f} misses the floor: not clearly better than the baseline" in (
        decision.reason
    )


def test_a_model_worse_than_the_baseline_is_refused_whatever_the_champion() -> None:
    truth, _, train_target, classes = task_case(rows=200, useful=True)
    outputs = worse_outputs(truth, classes)
    decision = judged(truth, outputs, train_target, classes)
    assert (decision.outcome, decision.baseline_share) == ("below_floor", 0.0)
    assert BETTER * (decision.baseline_score - decision.challenger_score) > 0
    worst = PERFECT[METRIC] - BETTER * 1e9
    assert judged(truth, outputs, train_target, classes, champion_score=worst).outcome == "below_floor"


def test_the_reason_gives_both_scores_and_the_bootstrap_share() -> None:
    truth, outputs, train_target, classes = task_case(rows=60, useful=True)
    decision = judged(truth, outputs, train_target, classes)
    share = decision.baseline_share
    assert share is not None
    expected = (
        f"{METRIC} {decision.challenger_score:.4f} vs baseline {decision.baseline_score:.4f}, better on "
        f"{share:.1%} of 1000 paired resamples of 60 test rows (95% needed, register.beat_baseline.confidence)"
    )
    assert decision.reason == f"{expected}; no champion yet: the challenger starts the line"
    refused = judged(truth, baseline_outputs(train_target, len(truth), classes), train_target, classes)
    assert f"vs baseline {refused.baseline_score:.4f}, better on 0.0% of 1000 paired resamples" in refused.reason
    promoted = judged(truth, outputs, train_target, classes, champion_score=decision.baseline_score)
    assert promoted.outcome == "promoted"
    assert promoted.reason.startswith(f"{expected}; {METRIC} {decision.challenger_score:.4f} vs champion ")


def test_the_decision_is_frozen_and_recorded_with_the_share() -> None:
    truth, outputs, train_target, classes = task_case(rows=60, useful=True)
    decision = judged(truth, outputs, train_target, classes)
    with pytest.raises(dataclasses.FrozenInstanceError):
        decision.outcome = "kept"  # type: ignore[misc]
    record = decision.record()
    assert (record["baseline_share"], record["confidence"], record["promoted"]) == (decision.baseline_share, 0.95, True)
    assert judged(truth, outputs, train_target, classes) == decision  # seeded: the same rows, the same answer


def test_an_absolute_floor_is_cleared_as_well_as_the_baseline() -> None:
    truth, outputs, train_target, classes = task_case(rows=200, useful=True)
    measured = judged(truth, outputs, train_target, classes)
    assert measured.outcome == "first"
    score = measured.challenger_score
    stricter, looser = round(score + BETTER * 0.01, 6), round(score - BETTER * 0.01, 6)
    refused = judged(truth, outputs, train_target, classes, floor=stricter)
    assert (refused.outcome, refused.floor) == ("below_floor", stricter)
    bound = "at least" if BETTER > 0 else "at most"
    assert refused.reason.startswith(
        f"{METRIC}={score:.4f} misses the floor ({bound} {stricter}; baseline {measured.baseline_score:.4f}, "
        f"register.floor={stricter}); {METRIC} {score:.4f} vs baseline"
    )
    assert judged(truth, outputs, train_target, classes, floor=looser).outcome == "first"
    # A floor the baseline itself clears does not excuse a model that is no better than the baseline.
    trivial = baseline_outputs(train_target, len(truth), classes)
    below_baseline = round(measured.baseline_score - BETTER * 1.0, 6)
    assert judged(truth, trivial, train_target, classes, floor=below_baseline).outcome == "below_floor"


def test_a_null_confidence_turns_the_baseline_check_off() -> None:
    truth, _, train_target, classes = task_case(rows=200, useful=False)
    trivial = baseline_outputs(train_target, len(truth), classes)
    decision = judged(truth, trivial, train_target, classes, beat_baseline=BeatBaseline(confidence=None))
    assert (decision.outcome, decision.baseline_share, decision.scored_resamples) == ("first", None, None)
    assert "(register.beat_baseline.confidence is null: not checked)" in decision.reason
    assert f"vs baseline {decision.baseline_score:.4f}" in decision.reason
    # The absolute floor still applies without it.
    unreachable = PERFECT[METRIC] + BETTER
    off = BeatBaseline(confidence=None)
    assert judged(truth, trivial, train_target, classes, beat_baseline=off, floor=unreachable).outcome == "below_floor"


# The bootstrap, for every metric of both tasks, on synthetic predictions.

CLASSIFICATION = list(DIRECTIONS["classification"])
REGRESSION = list(DIRECTIONS["regression"])


def sklearn_scores(metric: str, truth: np.ndarray, outputs: np.ndarray, classes: int) -> float:
    if metric in REGRESSION:
        return regression_metrics(pd.Series(truth), outputs)[metric]
    names = [str(code) for code in range(classes)]
    return classification_metrics(pd.Series(truth.astype(str)), outputs, names)[metric]


@pytest.mark.parametrize("classes", [2, 5])
@pytest.mark.parametrize("metric", CLASSIFICATION)
def test_each_classification_metric_on_a_resample_is_scikit_learns(metric: str, classes: int) -> None:
    """Drawn once each, in order, the rows give the metric scikit-learn gives: the vectorised forms are the same."""
    codes = np.random.default_rng(1).integers(0, classes, size=300)
    probabilities = np.random.default_rng(2).dirichlet(np.ones(classes), size=300).astype(np.float32)
    every_row = np.arange(300)[None, :]
    ours = resampled_metric(metric, codes, probabilities)(every_row)[0]
    assert ours == pytest.approx(sklearn_scores(metric, codes, probabilities, classes), abs=1e-5)


@pytest.mark.parametrize("metric", REGRESSION)
def test_each_regression_metric_on_a_resample_is_scikit_learns(metric: str) -> None:
    truth = synthetic_targets(300, seed=3)
    values = noisy_values(truth, 30.0, seed=4)
    ours = resampled_metric(metric, truth, values)(np.arange(300)[None, :])[0]
    assert ours == pytest.approx(sklearn_scores(metric, truth, values, 0), abs=1e-6)  # scoring rounds to 6 digits


@pytest.mark.parametrize("metric", CLASSIFICATION)
def test_every_classification_metric_tells_a_useful_model_from_the_baseline(metric: str) -> None:
    codes = synthetic_labels(120, seed=5)
    maximize = DIRECTIONS["classification"][metric] == "maximize"
    useful = synthetic_probabilities(codes, 0.7, seed=6)
    trivial = prior_probabilities(len(codes))
    assert paired_bootstrap(metric, maximize, codes, useful, trivial, resamples=500).share >= 0.95
    assert paired_bootstrap(metric, maximize, codes, trivial, trivial, resamples=500).share == 0.0


@pytest.mark.parametrize("metric", REGRESSION)
def test_every_regression_metric_tells_a_useful_model_from_the_baseline(metric: str) -> None:
    truth = synthetic_targets(120, seed=7)
    maximize = DIRECTIONS["regression"][metric] == "maximize"
    useful, trivial = noisy_values(truth, 30.0, seed=8), np.full(len(truth), 150.0)
    assert paired_bootstrap(metric, maximize, truth, useful, trivial, resamples=500).share >= 0.95
    assert paired_bootstrap(metric, maximize, truth, trivial, trivial, resamples=500).share == 0.0


def test_resamples_where_roc_auc_is_undefined_are_skipped() -> None:
    """Two positives in 40 rows: many resamples draw neither, and ROC AUC has no value there; those are left out
    of the share (for both models), and the rest decide."""
    codes = np.zeros(40, dtype=np.intp)
    codes[[3, 17]] = 1
    probabilities = np.column_stack([0.9 - codes * 0.8, codes * 0.8 + 0.1])
    trivial = np.tile([0.95, 0.05], (40, 1))
    result = paired_bootstrap("roc_auc_ovr", True, codes, probabilities, trivial, resamples=1000)
    drawn_none = (1 - 2 / 40) ** 40  # the chance a resample draws no positive
    assert 0 < result.resamples - result.scored < 1000
    assert result.resamples - result.scored == pytest.approx(1000 * drawn_none, rel=0.3)
    assert result.share == 1.0  # perfect ranking wherever it is defined


def test_resamples_where_r2_is_undefined_are_skipped() -> None:
    truth = np.zeros(30)
    truth[5] = 1.0  # one row differs: a resample that misses it has targets that do not vary
    result = paired_bootstrap("r2", True, truth, truth.copy(), np.zeros(30), resamples=1000)
    assert 0 < result.scored < 1000
    assert result.share == 1.0


def test_the_reason_says_how_many_resamples_were_skipped() -> None:
    """The task's metric on rows where many resamples leave it undefined: ROC AUC with two positives in 40 rows,
    R² with one target of 30 that differs."""
    if TASK == "classification":
        truth = pd.Series(np.where(np.arange(40) % 20 == 3, CLASSES[1], CLASSES[0]))
        codes = label_codes(truth, CLASSES[:2])
        outputs, metric = np.column_stack([0.9 - codes * 0.8, codes * 0.8 + 0.1]), "roc_auc_ovr"
    else:
        truth = pd.Series(np.where(np.arange(30) == 5, 1.0, 0.0))
        outputs, metric = truth.to_numpy(), "r2"
    decision = judged(truth, outputs, truth, CLASSES[:2], metric={TASK: metric})
    skipped = 1000 - (decision.scored_resamples or 0)
    assert skipped > 0
    assert f"{skipped} skipped where {metric} is undefined" in decision.reason


def test_a_large_split_is_sampled_down_to_a_bounded_number_of_rows() -> None:
    truth = synthetic_targets(MAX_ROWS + 5000, seed=9)
    result = paired_bootstrap(
        "mae", False, truth, noisy_values(truth, 30.0, 10), np.full(len(truth), 150.0), resamples=100
    )
    assert (result.rows, result.scored, result.share) == (MAX_ROWS, 100, 1.0)


# The issue's two real cases, simulated: both useful models pass; constant predictors do not.


def test_the_issues_weather_classifier_passes() -> None:
    """f1_macro 0.37 against a baseline of 0.13, 5 classes with a rare one, 1,461 rows (366 in the test split)."""
    codes = synthetic_labels(366, seed=11)
    names = pd.Series(np.array(CLASSES)[codes])
    model = synthetic_probabilities(codes, 0.2, seed=12)
    trivial = prior_probabilities(len(codes))
    f1 = classification_metrics(names, model, CLASSES)["f1_macro"]
    baseline = classification_metrics(names, trivial, CLASSES)["f1_macro"]
    assert (f1, baseline) == (pytest.approx(0.37, abs=0.03), pytest.approx(0.13, abs=0.03))
    assert paired_bootstrap("f1_macro", True, codes, model, trivial, resamples=DEFAULT.resamples).share >= 0.95
    # A constant answer (always the majority class) is the baseline's answer: refused.
    constant = np.tile(np.eye(len(CLASSES))[0], (len(codes), 1))
    assert paired_bootstrap("f1_macro", True, codes, constant, trivial, resamples=DEFAULT.resamples).share < 0.95


def test_the_issues_clinical_regressor_passes() -> None:
    """RMSE 53 against a baseline of 75, 442 rows (111 in the test split)."""
    truth = synthetic_targets(111, seed=13, mean=152.0, spread=75.0)
    model = noisy_values(truth, 53.0, seed=14)
    trivial = np.full(len(truth), 152.0)
    rmse = regression_metrics(pd.Series(truth), model)["rmse"]
    baseline = regression_metrics(pd.Series(truth), trivial)["rmse"]
    assert (rmse, baseline) == (pytest.approx(53, abs=5), pytest.approx(75, abs=5))
    assert paired_bootstrap("rmse", False, truth, model, trivial, resamples=DEFAULT.resamples).share >= 0.95
    # A constant near the mean (here the median of the truth) is no better than the mean: refused.
    constant = np.full(len(truth), float(np.median(truth)))
    assert paired_bootstrap("rmse", False, truth, constant, trivial, resamples=DEFAULT.resamples).share < 0.95


# params.yaml's `register.beat_baseline`, validated with the field named.


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("confidence", 1.5, "less than or equal to 1"),
        ("confidence", 0.3, "greater than 0.5"),
        ("confidence", "high", "valid number"),
        ("resamples", 10, "greater than or equal to 100"),
        ("resamples", 0.5, "valid integer"),
    ],
)
def test_a_bad_beat_baseline_value_is_refused_naming_the_field(
    params_file: Path, capsys: pytest.CaptureFixture[str], field: str, value: Any, message: str
) -> None:
    params = yaml.safe_load(params_file.read_text())
    params["register"]["beat_baseline"][field] = value
    params_file.write_text(yaml.safe_dump(params))
    assert main(["register", "--params", str(params_file)]) == 1
    error = capsys.readouterr().err
    assert f"register.beat_baseline.{field}={value!r}" in error
    assert message in error


def test_a_null_confidence_is_valid_and_the_default_is_the_documented_one(params_file: Path) -> None:
    assert load_params(params_file).register_.beat_baseline == DEFAULT == BeatBaseline(confidence=0.95, resamples=1000)
    params = yaml.safe_load(params_file.read_text())
    params["register"]["beat_baseline"] = {"confidence": None}
    params_file.write_text(yaml.safe_dump(params))
    assert load_params(params_file).register_.beat_baseline == BeatBaseline(confidence=None, resamples=1000)


# decide(): real ONNX models on the data's sample, the baseline check off.


@pytest.fixture(scope="module")
def frame(valid_frame: pd.DataFrame) -> pd.DataFrame:
    return valid_frame


@pytest.fixture(scope="module")
def strong(frame: pd.DataFrame, export_to: ExportTo, tmp_path_factory: pytest.TempPathFactory) -> Model:
    onnx_path, card_path, _ = export_to(tmp_path_factory.mktemp("strong"), frame)
    return load_verified(onnx_path, card_path)


@pytest.fixture(scope="module")
def weak(frame: pd.DataFrame, export_to: ExportTo, tmp_path_factory: pytest.TempPathFactory) -> Model:
    """Trained on the shuffled target: no better than the baseline, the kind of model a gate must stop."""
    onnx_path, card_path, _ = export_to(tmp_path_factory.mktemp("weak"), frame, weak=True)
    return load_verified(onnx_path, card_path)


def gate(challenger: Model, champion: Model | None, frame: pd.DataFrame, **rule: Any) -> Any:
    return decide(
        challenger=challenger,
        champion=champion,
        frame=frame,
        train_target=frame[TARGET],
        evaluation_data_sha256="test",
        rule=RULE.model_copy(update=rule),
    )


def test_decide_scores_the_onnx_model_and_the_baseline_on_the_rows(strong: Model, frame: pd.DataFrame) -> None:
    decision = gate(strong, None, frame)
    card = strong[1]
    assert decision.challenger_score == pytest.approx(card.metrics[METRIC], rel=1e-3, abs=1e-3)
    assert decision.baseline_score == pytest.approx(card.metrics[f"baseline_{METRIC}"], rel=1e-6)
    with_check = gate(strong, None, frame, beat_baseline=BeatBaseline(confidence=0.95, resamples=200))
    assert with_check.scored_resamples == 200
    assert with_check.baseline_share is not None
    assert f"of 200 paired resamples of {len(frame)} test rows" in with_check.reason


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


def test_a_lower_is_better_metric_uses_its_direction(strong: Model, weak: Model, frame: pd.DataFrame) -> None:
    lower = next(name for name, direction in DIRECTIONS[TASK].items() if direction == "minimize")
    decision = gate(strong, weak, frame, metric={TASK: lower})
    assert (decision.outcome, decision.metric, decision.direction) == ("promoted", lower, "minimize")
    assert decision.challenger_score < decision.champion_score


def test_a_champion_of_another_contract_does_not_compete(strong: Model, weak: Model, frame: pd.DataFrame) -> None:
    other_contract = (strong[0], strong[1].model_copy(update={"contract": "0" * 64}))
    decision = gate(weak, other_contract, frame)
    assert (decision.outcome, decision.champion_score) == ("new_line", None)
    assert "do not compete" in decision.reason


def test_a_model_whose_bytes_differ_from_its_card_is_refused(
    tmp_path: Path, frame: pd.DataFrame, export_to: ExportTo
) -> None:
    onnx_path, card_path, _ = export_to(tmp_path, frame)
    onnx_path.write_bytes(onnx_path.read_bytes() + b"\0")
    with pytest.raises(CardError, match="does not match its card") as refused:
        load_verified(onnx_path, card_path)
    assert (refused.value.file, refused.value.field) == (onnx_path.name, "sha256")


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
    _, card = load_verified(onnx_path, card_path)
    assert card.version == card.sha256[:12]
    assert card.contract == contract_fingerprint()


def test_the_champion_is_scored_on_the_rows_not_taken_from_its_card(
    strong: Model, weak: Model, frame: pd.DataFrame
) -> None:
    """A card's recorded metrics (from another split, or edited) never decide: both models are scored here."""
    perfect, worst = PERFECT[METRIC], PERFECT[METRIC] - BETTER * 1e6
    flattering = (weak[0], weak[1].model_copy(update={"metrics": {**weak[1].metrics, METRIC: perfect}}))
    modest = (strong[0], strong[1].model_copy(update={"metrics": {**strong[1].metrics, METRIC: worst}}))
    assert gate(strong, flattering, frame).outcome == "promoted"
    assert gate(weak, modest, frame).outcome == "kept"


def test_only_a_champion_of_this_contract_that_beat_its_baseline_may_ship(strong: Model) -> None:
    """`make champion` has the card's metrics, not the rows: better than the baseline there, and the absolute floor."""
    card, rule = strong[1], RULE.model_copy(update={"beat_baseline": DEFAULT})
    metrics = card.metrics
    baseline = metrics[f"baseline_{METRIC}"]
    better = round(baseline + BETTER * 0.01, 6)
    shippable = card.model_copy(update={"metrics": {**metrics, METRIC: better}})
    check_shippable(shippable, rule)
    with pytest.raises(NotShippable, match="trained for data contract 000000000000"):
        check_shippable(shippable.model_copy(update={"contract": "0" * 64}), rule)
    tied = card.model_copy(update={"metrics": {**metrics, METRIC: baseline}})
    with pytest.raises(NotShippable, match=rf"the champion's {METRIC}={baseline} misses the floor: no better than"):
        check_shippable(tied, rule)
    check_shippable(tied, RULE)  # register.beat_baseline.confidence null: not checked
    stricter = round(better + BETTER, 6)
    with pytest.raises(NotShippable, match=rf"the champion's {METRIC}={better} misses the floor {stricter} "):
        check_shippable(shippable, rule.model_copy(update={"floor": stricter}))
    without = {name: value for name, value in metrics.items() if name != f"baseline_{METRIC}"}
    with pytest.raises(NotShippable, match=f"records no {METRIC} and baseline_{METRIC}"):
        check_shippable(card.model_copy(update={"metrics": without}), rule)
