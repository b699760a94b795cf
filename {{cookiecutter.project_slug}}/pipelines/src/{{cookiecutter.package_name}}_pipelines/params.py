"""Pipelines (MLOps): typed, validated view of params.yaml — a bad value stops a stage with its name."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from {{ cookiecutter.package_name }}_pipelines.errors import StageFailed

PARAMS_FILE = Path("params.yaml")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Paths(_Section):
    raw: Path
    validated: Path
    quarantine: Path
    train: Path
    test: Path
    model: Path
    onnx: Path
    card: Path
    reports: Path


class Ingest(_Section):
    source: str = Field(min_length=1)


class Validate(_Section):
    max_invalid_fraction: float = Field(ge=0.0, le=1.0)


class Split(_Section):
    test_size: float = Field(gt=0.0, lt=1.0)
    seed: int


class Train(_Section):
    c: float = Field(gt=0.0)
    max_iter: int = Field(gt=0)
    seed: int


class Export(_Section):
    model_name: str = Field(min_length=1)
    max_abs_diff: float = Field(gt=0.0)


class Register(_Section):
    gate_metric: Literal["accuracy", "f1_macro", "roc_auc_ovr"]
    alias: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")


class Monitor(_Section):
    current: Path
    simulated_shift: float = Field(ge=0.0, le=1.0)
    psi_threshold: float = Field(gt=0.0)
    p_value: float = Field(gt=0.0, lt=1.0)
    drift_share_threshold: float = Field(ge=0.0, le=1.0)
    fail_on_drift: bool


class Params(_Section):
    paths: Paths
    ingest: Ingest
    validate_: Validate = Field(alias="validate")
    split: Split
    train: Train
    export: Export
    register_: Register | None = Field(default=None, alias="register")
    monitor: Monitor


class ParamsError(StageFailed):
    """params.yaml is missing, unreadable or has a value outside its allowed range."""


def load_params(path: Path = PARAMS_FILE) -> Params:
    """Read and check params.yaml; errors name the parameter, its value and the rule."""
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ParamsError(f"{path} not found: run the pipeline from the repository root") from error
    except yaml.YAMLError as error:
        raise ParamsError(f"{path} is not valid YAML: {error}") from error
    try:
        return Params.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in issue['loc'])}={issue.get('input')!r}: {issue['msg']}"
            for issue in error.errors(include_url=False)
        )
        raise ParamsError(f"{path}: {problems}") from error
