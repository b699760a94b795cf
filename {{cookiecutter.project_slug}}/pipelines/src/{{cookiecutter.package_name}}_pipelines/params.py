"""Pipelines (MLOps): typed, validated view of params.yaml — a bad value stops a stage with its name."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from {{ cookiecutter.package_name }}_core import TASK

from .errors import StageFailed

PARAMS_FILE = Path("params.yaml")
Direction = Literal["maximize", "minimize"]
# Each task's metrics (params.yaml `register.metric` picks one per task), the way each gets better,
# and its perfect score (no absolute `register.floor` can ask for more).
DIRECTIONS: dict[str, dict[str, Direction]] = {
    "classification": {
        "accuracy": "maximize",
        "f1_macro": "maximize",
        "roc_auc_ovr": "maximize",
        "log_loss": "minimize",
    },
    "regression": {"rmse": "minimize", "mae": "minimize", "r2": "maximize"},
}
# Every metric here is perfect at 1 (a share, R²) or at 0 (a loss, an error).
PERFECT = {name: 1.0 if way == "maximize" else 0.0 for task in DIRECTIONS.values() for name, way in task.items()}


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


# The URL schemes DVC tracks as a stage dependency, and the plugin each needs: any other would stop `dvc repro`
# with "No such file or directory" before the ingest stage runs.
DVC_URL_PLUGINS = {"http": "dvc_http", "https": "dvc_http", "s3": "dvc_s3", "gs": "dvc_gs", "azure": "dvc_azure"}


def tracked_schemes() -> list[str]:
    """The URL schemes this environment's DVC can track as the ingest stage's dependency."""
    return [scheme for scheme, plugin in DVC_URL_PLUGINS.items() if importlib.util.find_spec(plugin) is not None]


def source_forms() -> str:
    """The forms `ingest.source` accepts, for error messages."""
    urls = ", ".join(f"{scheme}://" for scheme in tracked_schemes())
    return f"a path (relative to the project, or absolute) or a URL ({urls})"


class Ingest(_Section):
    source: str = Field(min_length=1)

    @field_validator("source")
    @classmethod
    def _dvc_can_track(cls, source: str) -> str:
        """dvc.yaml makes `ingest.source` the ingest stage's dependency: only forms DVC can track are accepted."""
        scheme, separator, _ = source.partition("://")
        if not separator:
            if source.startswith("~"):
                raise ValueError(f"DVC does not expand '~': write the path out; use {source_forms()}")
            return source
        if scheme == "file":
            raise ValueError(f"DVC cannot track a file:// URL: write the path itself; use {source_forms()}")
        if scheme not in tracked_schemes():
            raise ValueError(f"DVC cannot track a {scheme}:// URL here; use {source_forms()}")
        return source


class Validate(_Section):
    max_invalid_fraction: float = Field(ge=0.0, le=1.0)


class Split(_Section):
    test_size: float = Field(gt=0.0, lt=1.0)
    seed: int


class Linear(_Section):
    """LogisticRegression(C=c) for classification, Ridge(alpha=1/c) for regression."""

    c: float = Field(gt=0.0)
    max_iter: int = Field(gt=0)


class RandomForest(_Section):
    n_estimators: int = Field(gt=0)
    max_depth: int | None = Field(gt=0)
    min_samples_leaf: int = Field(gt=0)


class HistGradientBoosting(_Section):
    max_iter: int = Field(gt=0)
    learning_rate: float = Field(gt=0.0)
    max_leaf_nodes: int = Field(ge=2)


class LightGBM(_Section):
    n_estimators: int = Field(gt=0)
    learning_rate: float = Field(gt=0.0)
    num_leaves: int = Field(ge=2)


class Train(_Section):
    """Which family core's build_model() trains, its seed, and each family's hyperparameters."""

    estimator: Literal["linear", "random_forest", "hist_gradient_boosting", "lightgbm"]
    seed: int
    linear: Linear
    random_forest: RandomForest
    hist_gradient_boosting: HistGradientBoosting
    lightgbm: LightGBM

    def hyperparameters(self) -> dict[str, Any]:
        """The chosen family's hyperparameters, as build_model() takes them."""
        chosen: _Section = getattr(self, self.estimator)
        return chosen.model_dump()

    def recipe(self) -> dict[str, Any]:
        """What the model card records: the family, the seed and the hyperparameters that were used."""
        return {"estimator": self.estimator, "seed": self.seed, self.estimator: self.hyperparameters()}


class Evaluate(_Section):
    """Bounds that keep evaluate's extras constant-cost however large the test split is."""

    importance_rows: int = Field(gt=0)
    plot_points: int = Field(ge=2)


class Export(_Section):
    """The ONNX parity tolerance of each task: classification probabilities, regression values (relative)."""

    model_name: str = Field(min_length=1)
    max_abs_diff: float = Field(gt=0.0)
    max_rel_diff: float = Field(gt=0.0)


class BeatBaseline(_Section):
    """The default floor: better than the baseline on at least `confidence` of `resamples` paired resamples of the
    test split (gate.py); `confidence: null` turns the check off."""

    confidence: float | None = Field(default=0.95, gt=0.5, le=1.0)
    resamples: int = Field(default=1000, ge=100, le=100_000)


class Register(_Section):
    """The gate: which metric decides (per task), the floors a challenger must clear and the margin it must beat."""

    metric: dict[Literal["classification", "regression"], str]
    beat_baseline: BeatBaseline = BeatBaseline()
    floor: float | None = None
    min_improvement: float = Field(ge=0.0)
    alias: str = Field(default="champion", pattern=r"^[a-z][a-z0-9_-]*$")

    @field_validator("metric")
    @classmethod
    def _metric_fits_the_task(cls, metric: dict[str, str]) -> dict[str, str]:
        for task, name in metric.items():
            if name not in DIRECTIONS[task]:
                raise ValueError(f"{name!r} is not a {task} metric: use one of {', '.join(DIRECTIONS[task])}")
        if TASK not in metric:
            raise ValueError(f"no metric for the contract's task {TASK!r}: add metric.{TASK}")
        return metric

    @property
    def task_metric(self) -> str:
        """The metric that decides for the contract's task."""
        return self.metric[TASK]

    @property
    def direction(self) -> Direction:
        return DIRECTIONS[TASK][self.task_metric]


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


def check(params: Params) -> None:
    """`python -m <package>_pipelines params`: load_params() has checked every value; say so."""
    print(f"params: every value is valid (ingest.source: {params.ingest.source})")
