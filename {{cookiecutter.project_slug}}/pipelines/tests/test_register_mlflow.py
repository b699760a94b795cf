"""Pipelines: the MLflow registry gate — same rows for both models, one line per contract, verified downloads."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from mlflow import MlflowClient

from {{ cookiecutter.package_name }}_core import CARD_NAME, TARGET_CLASSES, iter_records
from {{ cookiecutter.package_name }}_pipelines import export, register
from {{ cookiecutter.package_name }}_pipelines.__main__ import main
from {{ cookiecutter.package_name }}_pipelines.params import load_params

# Tests of the registry's mechanics, which hold on any data: the gate's quality floors are off (conftest.py).
# The slow tier (`make test-slow`): each test trains and registers models.
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("no_quality_floor")]
# A margin no challenger's gain can pass: the champion stays whatever the two models score.
UNBEATABLE_MARGIN = 1e300


@pytest.fixture(scope="session")
def empty_registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty MLflow database, its schema created once: creating it takes seconds, a copy milliseconds."""
    database = tmp_path_factory.mktemp("empty-registry") / "mlflow.db"
    MlflowClient(f"sqlite:///{database}").search_experiments()
    return database


@pytest.fixture
def tracking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, empty_registry: Path) -> str:
    """An embedded registry of the test's own; the store keeps its artefacts beside the database."""
    shutil.copyfile(empty_registry, tmp_path / "mlflow.db")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.chdir(tmp_path)
    return uri


def deploy_artefacts(root: Path) -> list[Path]:
    """The `deploy` folders (model + card) of every registered version in the local artefact store."""
    folders = [path.parent for path in root.rglob("deploy/model.onnx") if {"mlruns", "mlartifacts"} & set(path.parts)]
    assert folders, "the deploy artefacts are in the local artefact store"
    return folders


def test_the_line_is_named_after_the_contract() -> None:
    assert register.line_name("team-model", "ab12cd34" + "0" * 56) == "team-model-ab12cd34"


def test_credentials_never_reach_messages_or_reports() -> None:
    assert register.describe("https://user:secret@mlflow.example.org/") == "https://mlflow.example.org/"


def test_a_challenger_short_of_the_margin_is_registered_and_the_champion_kept(
    tracking: str,
    params_file: Path,
    train_and_register: Callable[..., int],
    last_decision: Callable[[], dict[str, Any]],
) -> None:
    """Both are scored on the challenger's test split; a gain short of register.min_improvement (here one no gain
    can pass, so the outcome does not depend on the data) registers the challenger and keeps the champion alias."""
    assert train_and_register(train={"linear": {"c": 1.0, "max_iter": 500}}) == 0
    first = last_decision()
    assert (first["outcome"], first["alias_version"]) == ("first", "1")
    p = load_params(params_file)
    champion = (p.paths.champion / "model.onnx").read_bytes()

    # A small test split (5%), but one a stratified split can draw: two rows of each class at least.
    test_size = max(0.05, 2 * len(TARGET_CLASSES) / sum(1 for _ in iter_records(sample=True)))
    other, margin = {"linear": {"c": 0.01, "max_iter": 500}}, {"min_improvement": UNBEATABLE_MARGIN}
    assert train_and_register(train=other, split={"test_size": test_size, "seed": 2}, register=margin) == 0
    second = last_decision()
    assert (second["outcome"], second["version"], second["alias_version"]) == ("kept", "2", "1")
    assert second["evaluation_rows"] == len(pd.read_parquet(p.paths.test))
    holder = MlflowClient().get_model_version_by_alias(second["model_name"], "champion")
    assert str(holder.version) == "1"
    # The folder the image is built from still holds the champion, downloaded and verified.
    assert (p.paths.champion / "model.onnx").read_bytes() == champion
    run = MlflowClient().get_run(second["run_id"])
    assert run.data.tags["gate.outcome"] == "kept"
    assert run.data.metrics["gate.champion_score"] == second["champion_score"]


def test_a_model_below_the_floor_is_not_registered(
    unreachable_floor: tuple[float, str],
    tracking: str,
    params_file: Path,
    capsys: pytest.CaptureFixture[str],
    train_and_register: Callable[..., int],
    last_decision: Callable[[], dict[str, Any]],
) -> None:
    assert train_and_register() == 0
    champion = load_params(params_file).paths.champion / "model.onnx"
    shipped = champion.read_bytes()
    champion.parent.joinpath(CARD_NAME).unlink()  # as DVC clears a stage's outputs before it runs
    champion.unlink()
    floor, bound = unreachable_floor
    assert train_and_register(register={"floor": floor}) == 1
    assert f"misses the floor ({bound} {floor};" in capsys.readouterr().err
    record = last_decision()
    assert (record["outcome"], record["version"], record["alias_version"]) == ("below_floor", None, "1")
    assert [str(v.version) for v in MlflowClient().search_model_versions(f"name='{record['model_name']}'")] == ["1"]
    assert champion.read_bytes() == shipped  # the folder still holds the champion that ships


def test_make_champion_without_a_server_or_a_local_registry_says_to_run_make_repro(
    params_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["champion", "--params", str(params_file)]) == 1
    assert "no local registry (mlflow.db): run `make repro` first" in capsys.readouterr().err
    assert not (tmp_path / "mlflow.db").exists()  # no empty registry made on the way
    assert not load_params(params_file).paths.champion.exists()


def test_make_champion_defaults_to_the_local_registry_make_repro_wrote(
    tracking: str,
    params_file: Path,
    train_and_register: Callable[..., int],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`make repro` then `make champion` on a laptop: no MLFLOW_TRACKING_URI, the embedded store in the folder."""
    assert train_and_register() == 0
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    p = load_params(params_file)
    expected = p.paths.onnx.read_bytes()
    shutil.rmtree(p.paths.champion)
    assert main(["champion", "--params", str(params_file)]) == 0
    assert "from sqlite:///mlflow.db -> " in capsys.readouterr().out
    assert (p.paths.champion / "model.onnx").read_bytes() == expected


def test_make_champion_refuses_a_registry_without_a_champion(
    tracking: str, params_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["champion", "--params", str(params_file)]) == 1
    assert "has no 'champion' for" in capsys.readouterr().err
    assert not load_params(params_file).paths.champion.exists()


def test_make_champion_installs_the_verified_champion(
    tracking: str, params_file: Path, train_and_register: Callable[..., int]
) -> None:
    assert train_and_register() == 0
    p = load_params(params_file)
    expected = p.paths.onnx.read_bytes()
    for path in p.paths.champion.iterdir():
        path.unlink()
    assert main(["champion", "--params", str(params_file)]) == 0
    assert (p.paths.champion / "model.onnx").read_bytes() == expected


def test_a_tampered_registry_artefact_is_refused(
    tracking: str,
    params_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    train_and_register: Callable[..., int],
) -> None:
    assert train_and_register() == 0
    for folder in deploy_artefacts(tmp_path):
        (folder / "model.onnx").write_bytes((folder / "model.onnx").read_bytes()[:-1])
    assert main(["champion", "--params", str(params_file)]) == 1
    assert "was changed after export and is refused" in capsys.readouterr().err


def test_artefacts_rewritten_together_with_their_card_are_refused(
    tracking: str,
    params_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    train_and_register: Callable[..., int],
) -> None:
    """Write access to the artefact store alone cannot choose what ships: the registry keeps the hash."""
    assert train_and_register() == 0
    forged = bytes(load_params(params_file).paths.onnx.read_bytes()) + b"\0"
    digest = hashlib.sha256(forged).hexdigest()
    for folder in deploy_artefacts(tmp_path):
        card = json.loads((folder / CARD_NAME).read_text())
        (folder / "model.onnx").write_bytes(forged)
        (folder / CARD_NAME).write_text(json.dumps({**card, "sha256": digest, "version": digest[:12]}))
    assert main(["champion", "--params", str(params_file)]) == 1
    assert "is not the one registered" in capsys.readouterr().err


def test_a_new_data_contract_starts_a_new_line_and_says_so(
    tracking: str,
    params_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    train_and_register: Callable[..., int],
    last_decision: Callable[[], dict[str, Any]],
) -> None:
    assert train_and_register() == 0
    first = last_decision()
    monkeypatch.setattr(export, "contract_fingerprint", lambda: "f" * 64)  # as if a column's range changed
    assert train_and_register() == 0
    second = last_decision()
    assert (second["outcome"], second["champion_score"]) == ("new_line", None)
    assert second["model_name"] == f"{first['model_name'].rsplit('-', 1)[0]}-ffffffff"
    assert second["champion_contract"] == first["contract"]
    assert "do not compete" in second["reason"]
