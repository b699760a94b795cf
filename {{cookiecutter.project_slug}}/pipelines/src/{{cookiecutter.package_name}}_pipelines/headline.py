"""Pipelines (MLOps): `make metrics` — the last run's headline figures from reports/, in a few lines."""

from __future__ import annotations

from typing import Any

from .errors import StageFailed
from .files import read_json
from .params import Params

EVERY_FIGURE = "Every figure: uv run dvc metrics show --md; against the last commit: uv run dvc metrics diff --md"


def lines(p: Params) -> list[str]:
    """One line per report the last run wrote (a report not written yet is left out)."""
    reports = p.paths.reports

    def report(name: str) -> dict[str, Any] | None:
        path = reports / name
        return read_json(path) if path.is_file() else None

    found = []
    if metrics := report("metrics.json"):
        metric = p.register_.task_metric
        found.append(
            f"model  {metric} {metrics[metric]:.4g} on the test split (baseline {metrics[f'baseline_{metric}']:.4g})"
        )
    if gate := report("registry.json"):
        found.append(f"gate   {gate['outcome']}: {gate['reason']}")
    if rows := report("validation.json"):
        found.append(
            f"data   {rows['valid_rows']} of {rows['rows']} rows kept, {rows['quarantined_rows']} quarantined "
            f"({p.paths.quarantine})"
        )
    if drift := report("drift.json"):
        from .monitor import SIMULATED, batch_source  # scipy and onnxruntime: only when there is a drift report

        verdict = "drifted" if drift["dataset_drift"] else "no drift"
        current = p.monitor.current
        simulated = current.is_file() and batch_source(current) == SIMULATED
        note = " (the simulated batch: drift is what it is made for)" if simulated else ""
        found.append(
            f"drift  {verdict}: {drift['drifted_features']} of {drift['features']} features in {p.monitor.current}"
            f"{note}"
        )
    return found


def show(p: Params) -> None:
    """Print the headline, or say that there is none yet."""
    found = lines(p)
    if not found:
        raise StageFailed(f"no reports in {p.paths.reports} yet: run `make repro` first")
    print("\n".join([*found, EVERY_FIGURE]))
