"""Pipelines (MLOps): register — gate the challenger against the MLflow champion, log the run, move the alias.

The tracking store defaults to an embedded sqlite file (mlflow.db, git-ignored); set
MLFLOW_TRACKING_URI to use the team's tracking server instead — no code change. Each data
contract has its own registered model (its line), so a model of another contract never
competes with the champion of the old one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import mlflow
import onnx
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from {{ cookiecutter.package_name }}_core import CARD_NAME, MODEL_NAME, CardError, load_verified
from {{ cookiecutter.package_name }}_core.fingerprint import contract_fingerprint

from .errors import StageFailed
from .files import read_json
from .gate import Verified, challenge, check_shippable, install, report
from .params import Params

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
DEPLOY_ARTIFACTS = "deploy"  # the exact exported bytes and card of every registered version
SHA256_TAG = "model_sha256"  # on each model version, in the registry: what the artefacts must hash to
CONTRACT_TAG = "contract"


class NoChampion(StageFailed):
    """The registry has no champion for this data contract, or no server is configured to ask."""


def tracking_uri() -> str:
    return os.environ.get("MLFLOW_TRACKING_URI", DEFAULT_TRACKING_URI)


def describe(uri: str) -> str:
    """The tracking URI without credentials, for messages and reports."""
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.hostname}{parts.path}" if parts.hostname else uri


def line_name(model_name: str, contract: str) -> str:
    """The registered model of one data contract: `<model_name>-<first 8 hex of its fingerprint>`."""
    return f"{model_name}-{contract[:8]}"


def flatten(params: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Nested params as MLflow's flat `section.key` strings."""
    flat: dict[str, str] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = str(value)
    return flat


def fetch_champion(client: MlflowClient, line: str, alias: str, folder: Path) -> tuple[str, Verified] | None:
    """The alias holder's version and its verified ONNX bytes and card, downloaded into `folder`; None if no holder."""
    try:
        holder = client.get_model_version_by_alias(line, alias)
    except MlflowException:
        return None
    try:
        local = mlflow.artifacts.download_artifacts(
            run_id=holder.run_id, artifact_path=DEPLOY_ARTIFACTS, dst_path=str(folder)
        )
    except (MlflowException, OSError) as error:
        raise NoChampion(
            f"'{alias}' of {line} (version {holder.version}) has no deploy artefacts to verify: {error}"
        ) from error
    onnx_bytes, card = load_verified(Path(local) / MODEL_NAME)
    # The artefact store holds the files; the registry holds the hash they were registered with.
    # Both must agree, so write access to the artefact store alone cannot choose what ships.
    registered = holder.tags.get(SHA256_TAG)
    if registered != card.sha256 or holder.tags.get(CONTRACT_TAG) != card.contract:
        raise CardError(
            MODEL_NAME,
            "sha256",
            f"'{alias}' of {line} (version {holder.version}): the downloaded model (sha256 {card.sha256[:12]}...) "
            f"is not the one registered (sha256 {str(registered)[:12]}...); it is refused",
        )
    return str(holder.version), (onnx_bytes, card)


def other_line_contract(client: MlflowClient, model_name: str, line: str, alias: str) -> str | None:
    """The contract of the newest other line's champion, when this contract's line has none yet."""
    for model in client.search_registered_models(filter_string=f"name LIKE '{model_name}-%'"):
        if model.name == line or alias not in (model.aliases or {}):
            continue
        return str(client.get_model_version_by_alias(model.name, alias).tags.get(CONTRACT_TAG))
    return None


def stage(p: Params) -> None:
    """The `register` stage: decide, log the run and the decision, register, move the alias, install the champion."""
    rule, challenger = p.register_, load_verified(p.paths.onnx, p.paths.card)
    card = challenger[1]
    mlflow.set_tracking_uri(tracking_uri())
    mlflow.set_experiment(p.export.model_name)
    client = MlflowClient()
    line = line_name(p.export.model_name, card.contract)
    with tempfile.TemporaryDirectory() as scratch:
        champion = fetch_champion(client, line, rule.alias, Path(scratch))
        # A new contract's first model: say so when another contract's line has a champion.
        other = None if champion else other_line_contract(client, p.export.model_name, line, rule.alias)
        decision = challenge(p, challenger, champion[1] if champion else None, other)
        with mlflow.start_run(run_name=f"{p.export.model_name}-{card.version}") as active:
            mlflow.log_params(flatten(p.model_dump(mode="json", by_alias=True, exclude={"paths"})))
            mlflow.log_metrics(read_json(p.paths.reports / "metrics.json"))
            mlflow.log_metrics(
                {"gate.challenger_score": decision.challenger_score, "gate.baseline_score": decision.baseline_score}
            )
            if decision.floor is not None:
                mlflow.log_metric("gate.floor", decision.floor)
            if decision.champion_score is not None:
                mlflow.log_metric("gate.champion_score", decision.champion_score)
            mlflow.set_tags(
                {
                    "model_card.version": card.version,
                    "training_data.sha256": card.training_data.sha256,
                    "contract": card.contract,
                    "gate.outcome": decision.outcome,
                }
            )
            mlflow.log_dict(card.model_dump(mode="json"), CARD_NAME)
            mlflow.log_dict(decision.record(), "gate_decision.json")
            plots = p.paths.reports / "plots"
            if plots.is_dir():
                mlflow.log_artifacts(str(plots), artifact_path="plots")
            version = None
            if decision.outcome != "below_floor":
                mlflow.log_artifact(str(p.paths.onnx), artifact_path=DEPLOY_ARTIFACTS)
                mlflow.log_artifact(str(p.paths.card), artifact_path=DEPLOY_ARTIFACTS)
                info = mlflow.onnx.log_model(
                    onnx.load_model(str(p.paths.onnx)),
                    name="model",
                    registered_model_name=line,
                    pip_requirements=["onnxruntime"],
                    save_as_external_data=False,
                )
                version = str(info.registered_model_version)
                client.set_model_version_tag(line, version, CONTRACT_TAG, card.contract)
                client.set_model_version_tag(line, version, SHA256_TAG, card.sha256)
        if decision.promoted and version is not None:
            client.set_registered_model_alias(line, rule.alias, version)
        record = {
            **decision.record(),
            "model_name": line,
            "version": version,
            "run_id": active.info.run_id,
            "alias": rule.alias,
            "alias_version": version if decision.promoted else (champion[0] if champion else None),
            "tracking_uri": describe(tracking_uri()),
        }
        # Install before reporting: below the floor the stage fails, and DVC has already cleared the
        # folder, which must still hold the champion that ships.
        if decision.promoted:
            install(p.paths.onnx, p.paths.card, p.paths.champion)
        elif champion is not None:
            install(
                Path(scratch) / DEPLOY_ARTIFACTS / MODEL_NAME,
                Path(scratch) / DEPLOY_ARTIFACTS / CARD_NAME,
                p.paths.champion,
            )
        report(record, decision, p.paths.reports / "registry.json")
    print(f"register: {line} '{rule.alias}' is version {record['alias_version']} -> {p.paths.champion}")


def champion_stage(p: Params) -> None:
    """`make champion`: the registry's champion for this contract into models/champion/, verified by hash.

    The registry is the one `make repro` wrote: MLFLOW_TRACKING_URI, else the local mlflow.db. The release
    jobs of CI refuse to run without MLFLOW_TRACKING_URI, so what ships comes from the team's server.
    """
    uri = tracking_uri()
    local = DEFAULT_TRACKING_URI.removeprefix("sqlite:///")
    if uri == DEFAULT_TRACKING_URI and not Path(local).is_file():
        raise NoChampion(
            f"no local registry ({local}): run `make repro` first, or set MLFLOW_TRACKING_URI to the team's MLflow "
            "server (and MLFLOW_TRACKING_USERNAME/PASSWORD if it needs them)"
        )
    mlflow.set_tracking_uri(uri)
    line = line_name(p.export.model_name, contract_fingerprint())
    alias = p.register_.alias
    with tempfile.TemporaryDirectory() as scratch:
        champion = fetch_champion(MlflowClient(), line, alias, Path(scratch))
        if champion is None:
            raise NoChampion(
                f"{describe(uri)} has no '{alias}' for {line} (this data contract): run the pipeline on the default "
                "branch first; nothing was installed"
            )
        version, (_, card) = champion
        check_shippable(card, p.register_)
        install(
            Path(scratch) / DEPLOY_ARTIFACTS / MODEL_NAME,
            Path(scratch) / DEPLOY_ARTIFACTS / CARD_NAME,
            p.paths.champion,
        )
    source = describe(uri)
    print(f"champion: {line} version {version} (model {card.version}) from {source} -> {p.paths.champion}, verified")
