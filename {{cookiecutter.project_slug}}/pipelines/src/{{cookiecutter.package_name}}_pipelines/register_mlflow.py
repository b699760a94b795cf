"""Pipelines (MLOps): register — log the run to MLflow, register a model version, gate the alias.

The tracking store defaults to an embedded sqlite file (mlflow.db, git-ignored); set
MLFLOW_TRACKING_URI to use a tracking server instead — no code change.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import mlflow
import onnx
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from {{ cookiecutter.package_name }}_pipelines.files import read_json, write_json
from {{ cookiecutter.package_name }}_pipelines.params import Params, ParamsError

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"


def tracking_uri() -> str:
    return os.environ.get("MLFLOW_TRACKING_URI", DEFAULT_TRACKING_URI)


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


def should_promote(candidate: float, champion: float | None) -> bool:
    """A new version takes the alias only by beating the holder (ties keep the holder)."""
    return champion is None or candidate > champion


def champion_score(client: MlflowClient, name: str, alias: str, metric: str) -> tuple[str | None, float | None]:
    try:
        holder = client.get_model_version_by_alias(name, alias)
    except MlflowException:
        return None, None
    if holder.run_id is None:  # registered outside a run: nothing to compare against
        return str(holder.version), None
    score = client.get_run(holder.run_id).data.metrics.get(metric)
    return str(holder.version), score


def run(
    *,
    name: str,
    onnx_path: Path,
    card: dict[str, Any],
    params: dict[str, Any],
    metrics: dict[str, float],
    plots: Path,
    gate_metric: str,
    alias: str,
) -> dict[str, Any]:
    mlflow.set_tracking_uri(tracking_uri())
    mlflow.set_experiment(name)
    client = MlflowClient()
    with mlflow.start_run(run_name=f"{name}-{card['version']}") as active:
        mlflow.log_params(flatten(params))
        mlflow.log_metrics(metrics)
        mlflow.set_tags(
            {"model_card.version": card["version"], "training_data.sha256": card["training_data"]["sha256"]}
        )
        mlflow.log_dict(card, "model_card.json")
        if plots.is_dir():
            mlflow.log_artifacts(str(plots), artifact_path="plots")
        info = mlflow.onnx.log_model(
            onnx.load_model(str(onnx_path)),
            name="model",
            registered_model_name=name,
            pip_requirements=["onnxruntime"],
        )
    version = str(info.registered_model_version)
    previous, previous_score = champion_score(client, name, alias, gate_metric)
    promoted = should_promote(metrics[gate_metric], previous_score)
    if promoted:
        client.set_registered_model_alias(name, alias, version)
    holder = version if promoted else previous
    print(
        f"register: {name} version {version} ({gate_metric}={metrics[gate_metric]:.4f}) "
        + (f"is now '{alias}'" if promoted else f"did not beat '{alias}' version {previous} ({previous_score:.4f})")
    )
    return {
        "model_name": name,
        "version": version,
        "run_id": active.info.run_id,
        "alias": alias,
        "alias_version": holder,
        "promoted": promoted,
        "gate_metric": gate_metric,
        "tracking_uri": tracking_uri(),
    }


def stage(p: Params) -> None:
    """The `register` stage: read the export's outputs, register, write reports/registry.json."""
    if p.register_ is None:
        raise ParamsError("params.yaml has no `register` section")
    result = run(
        name=p.export.model_name,
        onnx_path=p.paths.onnx,
        card=read_json(p.paths.card),
        params=p.model_dump(mode="json", by_alias=True, exclude={"paths"}),
        metrics=read_json(p.paths.reports / "metrics.json"),
        plots=p.paths.reports / "plots",
        gate_metric=p.register_.gate_metric,
        alias=p.register_.alias,
    )
    write_json(result, p.paths.reports / "registry.json")
