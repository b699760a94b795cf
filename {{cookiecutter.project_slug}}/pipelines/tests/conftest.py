"""Pipelines: small fixtures — a few contract-valid rows and a params file pointing into a temp dir."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from sklearn.pipeline import Pipeline

from {{ cookiecutter.package_name }}_core import (
    CARD_NAME,
    FEATURE_COLUMNS,
    MODEL_NAME,
    TARGET,
    TASK,
    LabelledRecord,
    ModelCard,
    find_violations,
    iter_records,
    sample_path,
)
from {{ cookiecutter.package_name }}_pipelines import export
from {{ cookiecutter.package_name }}_pipelines.__main__ import main
from {{ cookiecutter.package_name }}_pipelines.params import PERFECT, load_params
from {{ cookiecutter.package_name }}_pipelines.scoring import BASELINE_PREFIX, baseline_metrics, task_metrics
from {{ cookiecutter.package_name }}_pipelines.train import fit

REPO_ROOT = Path(__file__).resolve().parents[2]


# A `${...}` of dvc.yaml: a key path into its `vars` and params.yaml.
PARAMETER = re.compile(r"\$\{([\w.]+)\}")


@pytest.fixture(scope="session")
def dvc_pipeline() -> dict[str, Any]:
    """The repository's dvc.yaml with every `${...}` (in keys too) filled from its `vars` and params.yaml, as DVC fills
    them (DVC has no public API for its resolved pipeline): the one reading of dvc.yaml the tests share."""
    declared = yaml.safe_load((REPO_ROOT / "dvc.yaml").read_text(encoding="utf-8"))
    values = yaml.safe_load((REPO_ROOT / "params.yaml").read_text(encoding="utf-8"))
    for variables in declared.pop("vars", []):
        values.update(variables)

    def value(match: re.Match[str]) -> str:
        found: Any = values
        for key in match.group(1).split("."):
            found = found[key]
        return str(found)

    def fill(node: Any) -> Any:
        if isinstance(node, str):
            return PARAMETER.sub(value, node)
        if isinstance(node, list):
            return [fill(item) for item in node]
        if isinstance(node, dict):
            return {fill(key): fill(item) for key, item in node.items()}
        return node

    return dict(fill(declared))


@pytest.fixture
def unreachable_floor() -> tuple[float, str]:
    """An absolute register.floor past the gate metric's perfect score, and how the gate words it."""
    rule = load_params(REPO_ROOT / "params.yaml").register_
    if rule.direction == "maximize":
        return PERFECT[rule.task_metric] + 1.0, "at least"
    return PERFECT[rule.task_metric] - 1.0, "at most"


@pytest.fixture(scope="session")
def example_frame() -> pd.DataFrame:
    """Every fourth row of the data's sample in git (every row of a sample under 200 rows), spread over the whole file,
    in the contract's columns, with at least one row of every class the sample holds. (A team's file may carry
    columns `make dataset` left out, of mixed types: not the contract's.)"""
    sample = pd.DataFrame(list(iter_records(sample=True)))[list(LabelledRecord.model_fields)]
    frame = sample.iloc[:: 4 if len(sample) >= 200 else 1]
    if TASK == "classification":
        firsts = sample.drop_duplicates(TARGET)
        frame = pd.concat([frame, firsts[~firsts.index.isin(frame.index)]]).sort_index()
    return frame.reset_index(drop=True)


def write_params(folder: Path) -> Path:
    """The repository's params.yaml with every path moved under `folder`, reading the data's sample in git.

    The stages run on the sample, not on `ingest.source`: that is DVC-tracked data a fresh clone (CI) does
    not have, or a URL; the sample has the same columns and cells, so every stage takes the same paths.
    """
    params = yaml.safe_load((REPO_ROOT / "params.yaml").read_text())
    params["paths"] = {key: str(folder / value) for key, value in params["paths"].items()}
    params["monitor"]["current"] = str(folder / params["monitor"]["current"])
    params["ingest"]["source"] = str(sample_path())
    path = folder / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    return path


@pytest.fixture(scope="session")
def params_in() -> Callable[[Path], Path]:
    """`write_params`, for fixtures of a wider scope than `params_file`."""
    return write_params


@pytest.fixture
def params_file(tmp_path: Path) -> Path:
    """The repository's params.yaml with every path moved under tmp_path (`write_params`)."""
    return write_params(tmp_path)


@pytest.fixture
def no_quality_floor(params_file: Path) -> Path:
    """`params_file` with the gate's floors off: for tests of the registry's mechanics, which must hold on any team's
    data, however hard (the floors themselves are test_gate.py's). Every other rule of the gate stays."""
    params = yaml.safe_load(params_file.read_text())
    register = params["register"]
    register["floor"] = None
    if "beat_baseline" in register:
        register["beat_baseline"]["confidence"] = None
    if "floor_over_baseline" in register:
        register["floor_over_baseline"] = None
    params_file.write_text(yaml.safe_dump(params))
    return params_file


@pytest.fixture(scope="session")
def small_models() -> dict[str, dict[str, Any]]:
    """Hyperparameters of a small model of each family (core.features.ESTIMATORS): the same code paths, quickly.

    bench/model_parity.py measures the defaults of params.yaml.
    """
    return {
        "linear": {"c": 1.0, "max_iter": 500},
        "random_forest": {"n_estimators": 30},
        "hist_gradient_boosting": {"max_iter": 30},
        "lightgbm": {"n_estimators": 30},
    }


ExportTo = Callable[..., tuple[Path, Path, ModelCard]]


@pytest.fixture(scope="session")
def valid_frame(example_frame: pd.DataFrame) -> pd.DataFrame:
    """The example rows that keep the contract."""
    keep = [not find_violations(row) for row in example_frame.to_dict(orient="records")]
    return example_frame[keep].reset_index(drop=True)


def train(frame: pd.DataFrame, *, weak: bool = False) -> Pipeline:
    """core's training recipe on `frame`; `weak` trains it on the target shuffled (seeded), so the model has
    learnt nothing a baseline does not know: the kind of model a gate must stop, whatever the data."""
    if weak:
        frame = frame.assign(**{TARGET: frame[TARGET].sample(frac=1.0, random_state=0).to_numpy()})
    return fit(frame, c=1.0, max_iter=500, seed=0)


def model_outputs(model: Pipeline, frame: pd.DataFrame) -> Any:
    """What the task's metrics read: probabilities (classification) or values (regression)."""
    features = frame[list(FEATURE_COLUMNS)]
    return model.predict(features) if TASK == "regression" else model.predict_proba(features)


def classes_of(model: Pipeline) -> list[str]:
    return [str(label) for label in getattr(model, "classes_", [])]


@pytest.fixture(scope="session")
def export_to() -> ExportTo:
    """Train on a frame (or on its shuffled target: `weak`) and export to folder/model.onnx + model_card.json,
    with the model's and the baseline's metrics on the frame, as the pipeline does."""

    def export_model(folder: Path, frame: pd.DataFrame, *, weak: bool = False) -> tuple[Path, Path, ModelCard]:
        folder.mkdir(parents=True, exist_ok=True)
        onnx_path, card_path = folder / MODEL_NAME, folder / CARD_NAME
        model = train(frame, weak=weak)
        classes = classes_of(model)
        metrics = task_metrics(frame[TARGET], model_outputs(model, frame), classes)
        baseline = baseline_metrics(frame[TARGET], frame[TARGET], classes)
        metrics |= {f"{BASELINE_PREFIX}{name}": value for name, value in baseline.items()}
        card = export.export_model(model, frame, onnx_path, card_path, name="m", metrics=metrics)
        return onnx_path, card_path, card

    return export_model


TRAINING_STAGES = ["ingest", "validate", "split", "train", "evaluate", "export"]
# What the training stages read besides the data's sample: params less where files go, and less the sections only
# `register` (and `monitor`) read; and the contract's fingerprint, which export writes into the card.
NOT_READ_BY_TRAINING = ("paths", "register", "monitor")


def training_inputs(params: dict[str, Any]) -> str:
    read = {section: values for section, values in params.items() if section not in NOT_READ_BY_TRAINING}
    return json.dumps({**read, "contract": export.contract_fingerprint()}, sort_keys=True)


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The training stages' outputs, kept by their inputs (`training_inputs`): the stages are seeded, so the same
    inputs give the same files, and a test asking for them again gets a copy instead of seconds of training."""
    return {}


@pytest.fixture
def train_and_register(
    params_file: Path, trained: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., int]:
    """Set params (section -> values), run the training stages (or copy their outputs for the same inputs from an
    earlier run in this session), then `register`; returns register's exit code."""

    def run(**sections: dict[str, Any]) -> int:
        params = yaml.safe_load(params_file.read_text())
        for section, values in sections.items():
            params[section].update(values)
        params_file.write_text(yaml.safe_dump(params))
        # Every output of the training stages (the champion folder is register's), relative to the test's folder.
        root, inputs = params_file.parent, training_inputs(params)
        outputs = [Path(path).relative_to(root) for name, path in params["paths"].items() if name != "champion"]
        if inputs not in trained:
            # The stages run in a folder of their own, so what is kept is theirs alone (no register output).
            keep = tmp_path_factory.mktemp("trained")
            paths = {name: str(keep / Path(path).relative_to(root)) for name, path in params["paths"].items()}
            (keep / "params.yaml").write_text(yaml.safe_dump({**params, "paths": paths}))
            for stage in TRAINING_STAGES:
                assert main([stage, "--params", str(keep / "params.yaml")]) == 0, stage
            trained[inputs] = keep
        for output in outputs:
            kept = trained[inputs] / output
            if kept.is_dir():
                shutil.copytree(kept, root / output, dirs_exist_ok=True)
            elif kept.is_file():
                (root / output).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(kept, root / output)
        return main(["register", "--params", str(params_file)])

    return run


@pytest.fixture
def last_decision(params_file: Path) -> Callable[[], dict[str, Any]]:
    """The gate's last decision, as register wrote it to reports/registry.json."""

    def read() -> dict[str, Any]:
        record: dict[str, Any] = json.loads((load_params(params_file).paths.reports / "registry.json").read_text())
        return record

    return read
