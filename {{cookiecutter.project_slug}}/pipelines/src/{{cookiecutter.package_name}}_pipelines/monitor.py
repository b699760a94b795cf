"""Pipelines (MLOps): monitor — per-feature drift of a current batch against the training data.

Each feature gets a population stability index (PSI) and a statistical test (two-sample
Kolmogorov-Smirnov for numbers, chi-squared for categories, from scipy). A feature has
drifted when both agree: PSI above its threshold and the test significant, which keeps
tiny-but-significant shifts on large batches from paging anyone.

The outcome is also a metric: drift share, dataset drift, PSI per feature and the training
class mix go to reports/drift/metrics.prom and, with PUSHGATEWAY_URL set, to the Pushgateway,
where the ModelDataDrift and ModelPredictionMixShift alerts read them. The drift figures carry a
`source` label: "simulated" for the batch simulate_drift made (marked in its Parquet metadata),
"observed" for any other file, and the alert ignores simulated batches, so the example's drifted
sample never pages anyone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from prometheus_client import CollectorRegistry, Gauge
from scipy import stats

from {{ cookiecutter.package_name }}_core import (
    CATEGORICAL_COLUMNS,
    FEATURE_COLUMNS,
    NUMERIC_COLUMNS,
    TARGET,
    find_violations,
)

from .errors import StageFailed
from .files import read_frame, write_json
from .params import Params
from .publish import push, write_textfile

EPSILON = 1e-4  # keeps empty bins from dividing by zero in the PSI
# Where a batch came from, kept in the Parquet file's key-value metadata by simulate_drift.
SOURCE_KEY = f"{__name__}.source".encode()
SIMULATED = "simulated"
OBSERVED = "observed"


class DriftDetected(StageFailed):
    """The current batch drifted beyond monitor.drift_share_threshold (raised only when configured)."""


def psi(expected: np.ndarray, actual: np.ndarray) -> float:
    """Population stability index between two distributions given as bin proportions."""
    expected = np.clip(expected, EPSILON, None)
    actual = np.clip(actual, EPSILON, None)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def numeric_drift(reference: pd.Series, current: pd.Series, bins: int = 10) -> dict[str, Any]:
    edges = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)))
    edges[0], edges[-1] = -np.inf, np.inf
    expected = np.histogram(reference, edges)[0] / len(reference)
    actual = np.histogram(current, edges)[0] / len(current)
    test = stats.ks_2samp(reference, current)
    return {
        "kind": "numeric",
        "psi": psi(expected, actual),
        "test": "ks",
        "statistic": float(test.statistic),
        "p_value": float(test.pvalue),
    }


def categorical_drift(reference: pd.Series, current: pd.Series, categories: tuple[str, ...]) -> dict[str, Any]:
    ref_counts = reference.value_counts().reindex(categories, fill_value=0).to_numpy()
    cur_counts = current.value_counts().reindex(categories, fill_value=0).to_numpy()
    observed = np.vstack([ref_counts, cur_counts])
    observed = observed[:, observed.sum(axis=0) > 0]
    if observed.shape[1] < 2:
        # One category seen in both batches: nothing can have shifted between them.
        statistic, p_value = 0.0, 1.0
    else:
        result = stats.chi2_contingency(observed)
        statistic, p_value = float(result.statistic), float(result.pvalue)
    return {
        "kind": "categorical",
        "psi": psi(ref_counts / ref_counts.sum(), cur_counts / cur_counts.sum()),
        "test": "chi2",
        "statistic": statistic,
        "p_value": p_value,
    }


def drift_report(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    psi_threshold: float,
    p_value: float,
    drift_share_threshold: float,
) -> dict[str, Any]:
    features: dict[str, dict[str, Any]] = {}
    for column in NUMERIC_COLUMNS:
        features[column] = numeric_drift(reference[column].astype(float), current[column].astype(float))
    for column, categories in CATEGORICAL_COLUMNS.items():
        features[column] = categorical_drift(reference[column], current[column], categories)
    for result in features.values():
        result["psi"] = round(result["psi"], 6)
        result["statistic"] = round(result["statistic"], 6)
        result["p_value"] = round(result["p_value"], 8)
        result["drifted"] = bool(result["psi"] >= psi_threshold and result["p_value"] < p_value)
    drifted = sorted(name for name, result in features.items() if result["drifted"])
    share = len(drifted) / len(features)
    return {
        "reference_rows": len(reference),
        "current_rows": len(current),
        "features": features,
        "drifted_features": drifted,
        "drift_share": round(share, 6),
        "dataset_drift": share > drift_share_threshold,
        "thresholds": {"psi": psi_threshold, "p_value": p_value, "drift_share": drift_share_threshold},
    }


def class_shares(train: pd.DataFrame) -> dict[str, float]:
    """Each class's share of the training rows: what the served prediction mix is compared with."""
    if TARGET not in train.columns or train.empty:
        return {}
    shares = train[TARGET].astype(str).value_counts(normalize=True).sort_index()
    return {str(label): round(float(share), 6) for label, share in shares.items()}


def batch_source(path: Path | str) -> str:
    """SIMULATED when the file is simulate_drift's Parquet output (its metadata says so), else OBSERVED."""
    if not str(path).endswith((".parquet", ".pq")):
        return OBSERVED
    metadata = pq.read_schema(str(path)).metadata or {}
    return SIMULATED if metadata.get(SOURCE_KEY) == SIMULATED.encode() else OBSERVED


def drift_metrics(report: dict[str, Any], training_shares: dict[str, float], source: str) -> CollectorRegistry:
    """The report as Prometheus gauges (names and labels as the alerting rules and the dashboard read them)."""
    registry = CollectorRegistry()
    Gauge(
        "model_drift_share", "Share of contract features that drifted in the last batch.", ["source"], registry=registry
    ).labels(source).set(report["drift_share"])
    Gauge(
        "model_dataset_drift",
        "1 when the drift share is above monitor.drift_share_threshold.",
        ["source"],
        registry=registry,
    ).labels(source).set(int(report["dataset_drift"]))
    psi_gauge = Gauge(
        "model_feature_psi", "Population stability index per feature.", ["feature", "source"], registry=registry
    )
    for name, result in report["features"].items():
        psi_gauge.labels(name, source).set(result["psi"])
    share_gauge = Gauge(
        "model_training_class_share", "Share of each class in the training data.", ["class"], registry=registry
    )
    for label, share in training_shares.items():
        share_gauge.labels(label).set(share)
    return registry


def simulate_drift(test: pd.DataFrame, shift: float, seed: int) -> pd.DataFrame:
    """A batch that looks like next season's data: heavier birds, more of them seen on one island.

    Deterministic for a seed, and every row still satisfies the contract, so the monitor
    sees drift, not bad data.
    """
    rng = np.random.default_rng(seed)
    batch = test[list(FEATURE_COLUMNS)].copy()
    batch["body_mass_g"] = (batch["body_mass_g"] * (1 + shift)).clip(upper=7000.0).round(1)
    batch["flipper_length_mm"] = (batch["flipper_length_mm"] * (1 + shift / 3)).clip(upper=250.0).round(1)
    islands = CATEGORICAL_COLUMNS["island"]
    moved = rng.random(len(batch)) < shift * 2
    batch.loc[moved, "island"] = islands[-1]
    assert all(not find_violations(row, labelled=False) for row in batch.to_dict(orient="records"))
    return batch.reset_index(drop=True)


def save_plot(report: dict[str, Any], path: Path) -> None:
    names = list(report["features"])
    values = [report["features"][name]["psi"] for name in names]
    colours = ["tab:red" if report["features"][name]["drifted"] else "tab:blue" for name in names]
    figure, axis = plt.subplots(figsize=(6, 3.5))
    axis.barh(names, values, color=colours)
    axis.axvline(report["thresholds"]["psi"], color="grey", linestyle="--", label="PSI threshold")
    axis.set(
        xlabel="Population stability index",
        title=f"Feature drift (share drifted {report['drift_share']:.0%})",
    )
    axis.legend(loc="lower right")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)


def run_simulation(test: Path, current: Path, *, shift: float, seed: int) -> None:
    if current.suffix not in (".parquet", ".pq"):
        raise StageFailed(
            f"simulate_drift writes Parquet, which records that the batch is simulated; "
            f"monitor.current is {str(current)!r}: give it a .parquet name"
        )
    batch = simulate_drift(pd.read_parquet(test), shift, seed)
    table = pa.Table.from_pandas(batch, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), SOURCE_KEY: SIMULATED.encode()})
    current.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, current)
    print(f"simulate_drift: {len(batch)} rows shifted by {shift:.0%} -> {current} (marked {SIMULATED})")


def run(
    train: Path,
    current: Path,
    reports: Path,
    *,
    psi_threshold: float,
    p_value: float,
    drift_share_threshold: float,
    fail_on_drift: bool,
) -> dict[str, Any]:
    reference = pd.read_parquet(train)
    report = drift_report(
        reference,
        read_frame(current),
        psi_threshold=psi_threshold,
        p_value=p_value,
        drift_share_threshold=drift_share_threshold,
    )
    write_json(report, reports / "drift.json")
    save_plot(report, reports / "drift" / "drift.png")
    source = batch_source(current)
    registry = drift_metrics(report, class_shares(reference), source)
    write_textfile(registry, reports / "drift" / "metrics.prom")
    push(registry, "monitor")
    summary = f"{source} batch, {len(report['drifted_features'])} of {len(report['features'])} features drifted ({', '.join(report['drifted_features']) or 'none'})"
    if report["dataset_drift"]:
        message = f"monitor: DRIFT DETECTED in {current}: {summary}, above monitor.drift_share_threshold={drift_share_threshold:.0%}; see {reports / 'drift.json'}"
        if fail_on_drift:
            raise DriftDetected(message)
        print(message + " (monitor.fail_on_drift is false: reported, not failed)")
    else:
        print(f"monitor: no dataset drift in {current}: {summary}")
    return report


def simulate_stage(p: Params) -> None:
    run_simulation(p.paths.test, p.monitor.current, shift=p.monitor.simulated_shift, seed=p.split.seed)


def stage(p: Params) -> None:
    run(
        p.paths.train,
        p.monitor.current,
        p.paths.reports,
        psi_threshold=p.monitor.psi_threshold,
        p_value=p.monitor.p_value,
        drift_share_threshold=p.monitor.drift_share_threshold,
        fail_on_drift=p.monitor.fail_on_drift,
    )
