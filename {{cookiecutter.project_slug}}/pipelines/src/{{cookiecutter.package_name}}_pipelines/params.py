"""Pipelines (MLOps): typed, validated view of params.yaml — a bad value stops a stage with its name."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import StageFailed

PARAMS_FILE = Path("params.yaml")
# The gate's metrics and the direction in which each gets better.
DIRECTIONS: dict[str, str] = {
    "accuracy": "maximize",
    "f1_macro": "maximize",
    "roc_auc_ovr": "maximize",
    "log_loss": "minimize",
}


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
    champion: Path
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


class Evaluate(_Section):
    """Bounds that keep evaluate's extras constant-cost however large the test split is."""

    importance_rows: int = Field(gt=0)
    plot_points: int = Field(ge=2)


class Export(_Section):
    model_name: str = Field(min_length=1)
    max_abs_diff: float = Field(gt=0.0)


class Register(_Section):
    """The gate: which metric decides, which way is better, the floor and the margin a challenger must beat."""

    metric: Literal["accuracy", "f1_macro", "roc_auc_ovr", "log_loss"]
    direction: Literal["maximize", "minimize"]
    floor: float
    min_improvement: float = Field(ge=0.0)
    alias: str = Field(default="champion", pattern=r"^[a-z][a-z0-9_-]*$")

    @model_validator(mode="after")
    def _direction_fits_the_metric(self) -> Register:
        expected = DIRECTIONS[self.metric]
        if self.direction != expected:
            raise ValueError(f"direction={self.direction!r} but {self.metric} gets better when it is {expected}d")
        return self


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
    evaluate: Evaluate
    export: Export
    register_: Register = Field(alias="register")
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
