"""Pipelines (MLOps): monitor — drift of a current batch against the training data: features, prediction, target.

A column drifted when its population stability index (PSI) reaches its threshold AND its test (KS for
numbers, chi-squared for categories) is significant, so neither a tiny shift on a large batch nor a small
batch's noisy PSI pages anyone. Reports go to reports/drift*, gauges to metrics.prom and the Pushgateway,
labelled `source`: "simulated" for simulate_drift's batch (which the alerts ignore), else "observed".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display

import matplotlib.pyplot as plt
import numpy as np
import onnxruntime as ort
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from prometheus_client import CollectorRegistry, Gauge
from scipy import stats

from {{ cookiecutter.package_name }}_core import (
    CATEGORICAL_COLUMNS,
    FEATURE_COLUMNS,
    MODEL_NAME,
    NUMERIC_COLUMNS,
    NUMERIC_RANGES,
    TARGET,
    TARGET_CLASSES,
    TASK,
    find_violations,
    load_verified,
)

from .errors import StageFailed
from .files import read_frame, write_frame, write_json
from .params import Params
from .publish import push, write_textfile
from .scoring import onnx_feed, onnx_outputs

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


def _figures(kind: str, psi: float = 0.0, statistic: float = 0.0, p_value: float = 1.0) -> dict[str, Any]:
    """One comparison's figures (the defaults: nothing to compare, so no drift)."""
    test = "ks" if kind == "numeric" else "chi2"
    return {"kind": kind, "psi": psi, "test": test, "statistic": statistic, "p_value": p_value}


def numeric_drift(reference: pd.Series, current: pd.Series, bins: int = 10) -> dict[str, Any]:
    """PSI over the reference's deciles and the KS test; missing values (an optional column's gaps) are left out."""
    reference, current = reference.dropna(), current.dropna()
    if reference.empty or current.empty:  # a column missing in every row of one batch: nothing to compare
        return _figures("numeric")
    edges = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)))
    edges[0], edges[-1] = -np.inf, np.inf
    expected = np.histogram(reference, edges)[0] / len(reference)
    actual = np.histogram(current, edges)[0] / len(current)
    test = stats.ks_2samp(reference, current)
    return _figures("numeric", psi(expected, actual), float(test.statistic), float(test.pvalue))


def categorical_drift(reference: pd.Series, current: pd.Series, categories: tuple[str, ...]) -> dict[str, Any]:
    """PSI over the categories and the chi-squared test of the two batches' counts (missing values left out)."""
    if not reference.notna().any() or not current.notna().any():
        return _figures("categorical")
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
    return _figures(
        "categorical", psi(ref_counts / ref_counts.sum(), cur_counts / cur_counts.sum()), statistic, p_value
    )


def with_verdict(result: dict[str, Any], psi_threshold: float, p_value: float) -> dict[str, Any]:
    """One comparison's figures rounded, with the rule's verdict: drifted when PSI >= threshold AND p < p_value."""
    result = {
        **result,
        "psi": round(result["psi"], 6),
        "statistic": round(result["statistic"], 6),
        "p_value": round(result["p_value"], 8),
    }
    result["drifted"] = bool(result["psi"] >= psi_threshold and result["p_value"] < p_value)
    return result


def column_drift(reference: pd.Series, current: pd.Series, categories: tuple[str, ...] | None) -> dict[str, Any]:
    """Categorical drift when the column has categories, numeric drift otherwise."""
    if categories:
        return categorical_drift(reference.astype("string"), current.astype("string"), categories)
    return numeric_drift(reference.astype(float), current.astype(float))


def drift_report(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    psi_threshold: float,
    p_value: float,
    drift_share_threshold: float,
    predictions: tuple[pd.Series, pd.Series] | None = None,
) -> dict[str, Any]:
    """Every feature's drift (the share and dataset verdict count these only), and beside them the prediction's
    (reference, current) and the target's when `current` has it, each with its own verdict."""
    features: dict[str, dict[str, Any]] = {}
    for column in FEATURE_COLUMNS:
        result = column_drift(reference[column], current[column], CATEGORICAL_COLUMNS.get(column))
        features[column] = with_verdict(result, psi_threshold, p_value)
    drifted = sorted(name for name, result in features.items() if result["drifted"])
    share = len(drifted) / len(features)
    outputs: dict[str, dict[str, Any]] = {}
    classes = TARGET_CLASSES if TASK == "classification" else None
    if predictions is not None:
        outputs["prediction"] = with_verdict(column_drift(*predictions, classes), psi_threshold, p_value)
    if TARGET in current.columns and current[TARGET].notna().any():
        outputs["target"] = with_verdict(
            column_drift(reference[TARGET], current[TARGET], classes), psi_threshold, p_value
        )
    return {
        "reference_rows": len(reference),
        "current_rows": len(current),
        "features": features,
        "outputs": outputs,
        "drifted_features": drifted,
        "drift_share": round(share, 6),
        "dataset_drift": share > drift_share_threshold,
        "thresholds": {"psi": psi_threshold, "p_value": p_value, "drift_share": drift_share_threshold},
    }


def headline(report: dict[str, Any]) -> dict[str, Any]:
    """The figures `dvc metrics show` lists: the verdict and its share, and the model output's PSI and verdict."""
    figures: dict[str, Any] = {
        "dataset_drift": report["dataset_drift"],
        "drift_share": report["drift_share"],
        "drifted_features": len(report["drifted_features"]),
        "features": len(report["features"]),
        "current_rows": report["current_rows"],
    }
    for name, result in report["outputs"].items():
        figures[f"{name}_psi"] = result["psi"]
        figures[f"{name}_drifted"] = result["drifted"]
    return figures


def detail_frame(report: dict[str, Any]) -> pd.DataFrame:
    """One row per compared column (features, then prediction and target): the chart's and DVC's plot data."""
    rows = [
        {"column": name, "part": part, "psi": result["psi"], "p_value": result["p_value"], "drifted": result["drifted"]}
        for part, results in (("feature", report["features"]), ("output", report["outputs"]))
        for name, result in results.items()
    ]
    return pd.DataFrame(rows, columns=["column", "part", "psi", "p_value", "drifted"])


def target_profile(train: pd.DataFrame) -> dict[str, float]:
    """Each class's share of the training rows, or the target's mean and spread: what served predictions face."""
    if TARGET not in train.columns or train.empty:
        return {}
    if TASK == "regression":
        values = train[TARGET].astype(float)
        return {"mean": round(float(values.mean()), 6), "std": round(float(values.std(ddof=0)), 6)}
    shares = train[TARGET].astype(str).value_counts(normalize=True).sort_index()
    return {str(label): round(float(share), 6) for label, share in shares.items()}


def batch_source(path: Path | str) -> str:
    """SIMULATED when the file is simulate_drift's Parquet output (its metadata says so), else OBSERVED."""
    if not str(path).endswith((".parquet", ".pq")):
        return OBSERVED
    metadata = pq.read_schema(str(path)).metadata or {}
    return SIMULATED if metadata.get(SOURCE_KEY) == SIMULATED.encode() else OBSERVED


def drift_metrics(report: dict[str, Any], profile: dict[str, float], source: str) -> CollectorRegistry:
    """The report as Prometheus gauges (names and labels as the alerting rules and the dashboard read them)."""
    registry = CollectorRegistry()
    per_batch = [
        ("model_drift_share", "Share of contract features that drifted in the last batch.", report["drift_share"]),
        (
            "model_dataset_drift",
            "1 when the drift share is above monitor.drift_share_threshold.",
            report["dataset_drift"],
        ),
    ]
    if prediction := report["outputs"].get("prediction"):
        per_batch += [
            (
                "model_prediction_psi",
                "PSI of the model's output on the batch against its output on the training rows.",
                prediction["psi"],
            ),
            (
                "model_prediction_drift",
                "1 when the model's output drifted (PSI over monitor.psi_threshold and test below monitor.p_value).",
                prediction["drifted"],
            ),
        ]
    for name, about, value in per_batch:
        Gauge(name, about, ["source"], registry=registry).labels(source).set(float(value))
    psi_gauge = Gauge(
        "model_feature_psi", "Population stability index per feature.", ["feature", "source"], registry=registry
    )
    for name, result in report["features"].items():
        psi_gauge.labels(name, source).set(result["psi"])
    name, about, label = (
        ("model_training_target", "The training target's mean and standard deviation.", "stat")
        if TASK == "regression"
        else ("model_training_class_share", "Share of each class in the training data.", "class")
    )
    profile_gauge = Gauge(name, about, [label], registry=registry)
    for key, value in profile.items():
        profile_gauge.labels(key).set(value)
    return registry


def simulate_drift(test: pd.DataFrame, shift: float, seed: int) -> pd.DataFrame:
    """A seeded drifted batch that still meets the contract: numbers moved up `shift` x 4 standard deviations
    (within range), a `2 x shift` share of each category column moved to its last category, gaps kept."""
    rng = np.random.default_rng(seed)
    batch = test[list(FEATURE_COLUMNS)].copy()
    for column in NUMERIC_COLUMNS:
        values = batch[column].astype(float)
        moved = values + shift * 4 * float(values.std(ddof=0) or 0.0)
        low, high = NUMERIC_RANGES[column]
        batch[column] = moved.clip(lower=low, upper=high).round(6)
    for column, categories in CATEGORICAL_COLUMNS.items():
        chosen = (rng.random(len(batch)) < shift * 2) & batch[column].notna().to_numpy()
        batch.loc[chosen, column] = categories[-1]
    broken = [
        (index, problems)
        for index, row in enumerate(batch.to_dict(orient="records"))
        if (problems := find_violations(row, labelled=False))
    ]
    if broken:
        index, problems = broken[0]
        raise StageFailed(
            f"simulate_drift made {len(broken)} row(s) that break the contract, e.g. row {index}: "
            + "; ".join(str(problem) for problem in problems)
        )
    return batch.reset_index(drop=True)


def save_plot(report: dict[str, Any], path: Path) -> None:
    """PSI and the test's p-value side by side, each with its line; a bar is red when the rule says drifted."""
    detail = detail_frame(report).iloc[::-1]
    names = [
        name if part == "feature" else f"[{name}]" for name, part in zip(detail["column"], detail["part"], strict=True)
    ]
    colours = ["tab:red" if drifted else "tab:blue" for drifted in detail["drifted"]]
    thresholds = report["thresholds"]
    figure, (left, right) = plt.subplots(1, 2, figsize=(9, 0.35 * len(names) + 1.6), sharey=True)
    left.barh(names, detail["psi"], color=colours)
    left.axvline(thresholds["psi"], color="grey", linestyle="--")
    left.set(xlabel=f"PSI (line: {thresholds['psi']})")
    right.barh(names, -np.log10(np.clip(detail["p_value"].to_numpy(dtype=float), 1e-300, 1.0)), color=colours)
    right.axvline(-np.log10(thresholds["p_value"]), color="grey", linestyle="--")
    right.set(xlabel=f"-log10 p-value (line: p = {thresholds['p_value']})")
    figure.suptitle(
        f"Drift: {report['drift_share']:.0%} of features drifted; red = PSI past its line and p below its line"
    )
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


def predict(model: Path, reference: pd.DataFrame, current: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The verified champion's output (label or value) on the training rows and on the batch."""
    onnx_bytes, _ = load_verified(model / MODEL_NAME)
    session = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])

    def output(frame: pd.DataFrame) -> pd.Series:
        values, _ = onnx_outputs(session, onnx_feed(frame))
        return pd.Series(values).astype(str if TASK == "classification" else float)

    return output(reference), output(current)


def run(
    train: Path,
    current: Path,
    reports: Path,
    *,
    psi_threshold: float,
    p_value: float,
    drift_share_threshold: float,
    fail_on_drift: bool,
    model: Path | None = None,
) -> dict[str, Any]:
    reference = pd.read_parquet(train)
    batch = read_frame(current)
    report = drift_report(
        reference,
        batch,
        psi_threshold=psi_threshold,
        p_value=p_value,
        drift_share_threshold=drift_share_threshold,
        predictions=predict(model, reference, batch) if model is not None else None,
    )
    folder = reports / "drift"
    write_json(headline(report), reports / "drift.json")
    write_json(report, folder / "report.json")
    write_frame(detail_frame(report), folder / "features.csv")
    save_plot(report, folder / "drift.png")
    source = batch_source(current)
    registry = drift_metrics(report, target_profile(reference), source)
    write_textfile(registry, folder / "metrics.prom")
    push(registry, "monitor")
    outputs = "".join(
        f"; {name} PSI {result['psi']:.3f}{' (drifted)' if result['drifted'] else ''}"
        for name, result in report["outputs"].items()
    )
    summary = (
        f"{source} batch, {len(report['drifted_features'])} of {len(report['features'])} features drifted "
        f"({', '.join(report['drifted_features']) or 'none'}){outputs}"
    )
    if not report["dataset_drift"]:
        print(f"monitor: no dataset drift in {current}: {summary}")
        return report
    message = (
        f"DRIFT DETECTED in {current}: {summary}, above monitor.drift_share_threshold="
        f"{drift_share_threshold:.0%}; see {folder / 'report.json'}"
    )
    if fail_on_drift:
        raise DriftDetected(message)
    if source == SIMULATED:
        print(simulated_drift_message(current, summary))
    else:
        print(f"monitor: {message} (monitor.fail_on_drift is false: reported, not failed)")
    return report


def simulated_drift_message(current: Path, summary: str) -> str:
    """The drift found in simulate_drift's batch is the expected outcome, not an alarm: say so, and what comes next."""
    return (
        f"monitor: drift found, as intended, in {current}: {summary}\n"
        "  This batch is not production data: the simulate_drift stage shifted a sample of the test split by "
        "monitor.simulated_shift so that this check has something to find, and the alerts ignore it.\n"
        "  Once real production records arrive: point monitor.current (params.yaml) at them and remove the "
        "simulate_drift stage from dvc.yaml; their drift is then reported as DRIFT DETECTED "
        "(monitor.fail_on_drift: true fails the stage on it)."
    )


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
        model=p.paths.champion,
    )
