"""Pipelines: drift statistics say 'no drift' for the same data and 'drift' for a shifted batch, as metrics too."""

from __future__ import annotations

import csv
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}_core import (
    CATEGORICAL_COLUMNS,
    FEATURE_COLUMNS,
    NUMERIC_COLUMNS,
    TARGET,
    TARGET_CLASSES,
    TASK,
    LabelledRecord,
    find_violations,
    iter_records,
)
from {{ cookiecutter.package_name }}_pipelines import monitor
from {{ cookiecutter.package_name }}_pipelines.errors import StageFailed
from {{ cookiecutter.package_name }}_pipelines.files import write_frame
from {{ cookiecutter.package_name }}_pipelines.monitor import (
    drift_metrics,
    drift_report,
    psi,
    simulate_drift,
    target_profile,
)
from {{ cookiecutter.package_name }}_pipelines.publish import JOB_PREFIX

# A shift strong enough that every column the simulation moves drifts on any contract: numbers move by two of their
# standard deviations and every category's rows go to its last one (the pipeline's 0.15 may not show on a small sample).
SHIFT = 0.5
THRESHOLDS: dict[str, Any] = {"psi_threshold": 0.2, "p_value": 0.01, "drift_share_threshold": 0.3}


# At most this many reference rows (evenly spread over the sample), so a large sample stays quick.
MAX_REFERENCE_ROWS = 2000


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    """The sample's contract-valid rows, its contract's columns: the training data drift is measured against.

    All of them (up to MAX_REFERENCE_ROWS), not a sample: on a small dataset (93 rows) a quarter is too few
    rows for the drift tests to see a 15% shift at p < 0.01, and the verdict would be the sample's, not the code's.
    """
    frame = pd.DataFrame(list(iter_records(sample=True)))[list(LabelledRecord.model_fields)]
    frame = frame[[not find_violations(row) for row in frame.to_dict(orient="records")]]
    step = max(1, -(-len(frame) // MAX_REFERENCE_ROWS))
    return frame.iloc[::step].reset_index(drop=True)


def test_psi_is_zero_for_identical_distributions() -> None:
    shares = np.array([0.2, 0.3, 0.5])
    assert psi(shares, shares) == 0.0


def test_psi_grows_with_the_shift() -> None:
    base = np.array([0.25, 0.25, 0.25, 0.25])
    assert psi(base, np.array([0.3, 0.3, 0.2, 0.2])) < psi(base, np.array([0.7, 0.1, 0.1, 0.1]))


def test_a_batch_compared_with_itself_has_not_drifted(reference: pd.DataFrame) -> None:
    frame = reference
    report = drift_report(frame, frame, **THRESHOLDS)
    assert report["drifted_features"] == []
    assert report["dataset_drift"] is False


def test_the_simulated_batch_drifts_and_still_meets_the_contract(reference: pd.DataFrame) -> None:
    frame = reference
    batch = simulate_drift(frame, shift=SHIFT, seed=1)
    assert set(batch.columns) == set(FEATURE_COLUMNS)
    assert not any(find_violations(row, labelled=False) for row in batch.to_dict(orient="records"))
    report = drift_report(frame, batch, **THRESHOLDS)
    # Every column the simulation moves, moved: numbers up, a share of each category's rows to its last one.
    moved = [c for c in NUMERIC_COLUMNS if (batch[c] != frame[c]).any()]
    moved += [c for c in CATEGORICAL_COLUMNS if (batch[c] != frame[c]).any()]
    assert set(report["drifted_features"]) <= set(FEATURE_COLUMNS)
    assert report["drifted_features"]
    assert set(report["drifted_features"]) <= set(moved)
    assert report["dataset_drift"] is True


def test_the_verdict_needs_both_psi_and_the_test(reference: pd.DataFrame) -> None:
    """PSI past its line alone, or a significant test alone, is not drift: the rule the chart colours by."""
    frame = reference
    report = drift_report(frame, simulate_drift(frame, shift=SHIFT, seed=1), **THRESHOLDS)
    for result in report["features"].values():
        both = result["psi"] >= THRESHOLDS["psi_threshold"] and result["p_value"] < THRESHOLDS["p_value"]
        assert result["drifted"] is both
    detail = monitor.detail_frame(report)
    assert detail.set_index("column")["drifted"].to_dict() == {n: r["drifted"] for n, r in report["features"].items()}


def test_the_headline_holds_figures_not_the_per_feature_detail(reference: pd.DataFrame) -> None:
    frame = reference
    labelled = simulate_drift(frame, shift=SHIFT, seed=1).assign(**{TARGET: frame[TARGET].to_numpy()})
    outputs = (frame[TARGET], labelled[TARGET])
    report = drift_report(frame, labelled, **THRESHOLDS, predictions=outputs)
    figures = monitor.headline(report)
    assert set(figures) == {
        "dataset_drift", "drift_share", "drifted_features", "features", "current_rows",
        "prediction_psi", "prediction_drifted", "target_psi", "target_drifted",
    }  # fmt: skip
    assert figures["features"] == len(FEATURE_COLUMNS)
    # The batch's target is the training rows' own: neither it nor the same 'prediction' has drifted.
    assert (figures["target_psi"], figures["target_drifted"]) == (0.0, False)
    assert report["outputs"]["prediction"]["kind"] == ("numeric" if TASK == "regression" else "categorical")
    unlabelled = drift_report(frame, labelled.drop(columns=[TARGET]), **THRESHOLDS)
    assert "target_psi" not in monitor.headline(unlabelled)


def test_no_shift_means_no_drift(reference: pd.DataFrame) -> None:
    frame = reference
    report = drift_report(frame, simulate_drift(frame, shift=0.0, seed=1), **THRESHOLDS)
    assert report["dataset_drift"] is False


class Gateway(BaseHTTPRequestHandler):
    """A stand-in Pushgateway: records each push (method, path, body) and answers 200."""

    pushes: ClassVar[list[tuple[str, str, str]]] = []

    def do_PUT(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        self.pushes.append((self.command, self.path, body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        """Quiet: the test reads the pushes, not the log."""


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str, str]]]:
    server = HTTPServer(("127.0.0.1", 0), Gateway)
    Gateway.pushes = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("PUSHGATEWAY_URL", f"http://127.0.0.1:{server.server_address[1]}")
    yield Gateway.pushes
    server.shutdown()
    server.server_close()


def test_the_report_becomes_gauges_the_alerts_read(reference: pd.DataFrame) -> None:
    frame = reference
    report = drift_report(frame, simulate_drift(frame, shift=SHIFT, seed=1), **THRESHOLDS)
    profile = target_profile(frame)
    registry = drift_metrics(report, profile, monitor.OBSERVED)
    observed = {"source": monitor.OBSERVED}
    assert registry.get_sample_value("model_drift_share", observed) == report["drift_share"]
    assert registry.get_sample_value("model_dataset_drift", observed) == 1
    for feature in FEATURE_COLUMNS:
        assert (
            registry.get_sample_value("model_feature_psi", {"feature": feature, **observed})
            == report["features"][feature]["psi"]
        )
    if TASK == "regression":
        assert profile == pytest.approx({"mean": frame[TARGET].mean(), "std": frame[TARGET].std(ddof=0)}, abs=1e-5)
        for stat, value in profile.items():
            assert registry.get_sample_value("model_training_target", {"stat": stat}) == value
        return
    assert set(profile) == set(frame[TARGET])
    assert set(profile) <= set(TARGET_CLASSES)
    assert sum(profile.values()) == pytest.approx(1.0, abs=1e-5)
    for label, share in profile.items():
        assert registry.get_sample_value("model_training_class_share", {"class": label}) == share


def test_the_monitor_run_writes_and_pushes_its_metrics(
    reference: pd.DataFrame, tmp_path: Path, gateway: list[tuple[str, str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    frame = reference
    frame.to_parquet(tmp_path / "train.parquet")
    simulate_drift(frame, shift=SHIFT, seed=1).to_parquet(tmp_path / "current.parquet")
    report = monitor.run(
        tmp_path / "train.parquet",
        tmp_path / "current.parquet",
        tmp_path / "reports",
        **THRESHOLDS,
        fail_on_drift=False,
    )
    textfile = (tmp_path / "reports" / "drift" / "metrics.prom").read_text()
    # A file nobody marked is an observed batch: its drift is what the ModelDataDrift alert reads.
    assert 'model_dataset_drift{source="observed"} 1.0' in textfile
    observed = 'source="observed"'
    assert f"model_drift_share{chr(123)}{observed}{chr(125)} {float(report['drift_share'])}" in textfile
    ((method, path, body),) = gateway
    assert (method, path) == ("PUT", f"/metrics/job/{JOB_PREFIX}-monitor")
    assert 'model_dataset_drift{source="observed"} 1.0' in body
    assert 'model_feature_psi{feature="' in body
    # Drift in an observed batch is the alarm itself.
    (verdict,) = [line for line in capsys.readouterr().out.splitlines() if line.startswith("monitor:")]
    assert verdict.startswith(f"monitor: DRIFT DETECTED in {tmp_path / 'current.parquet'}: observed batch")


def test_the_simulated_batch_is_published_as_simulated(
    reference: pd.DataFrame, tmp_path: Path, gateway: list[tuple[str, str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    """simulate_drift marks its output; the monitor labels its drift source="simulated", which the alert ignores,
    and says that the drift is the simulation's, and what to do once real records arrive, instead of alarming."""
    frame = reference
    frame.to_parquet(tmp_path / "train.parquet")
    frame.to_parquet(tmp_path / "test.parquet")
    monitor.run_simulation(tmp_path / "test.parquet", tmp_path / "current.parquet", shift=SHIFT, seed=1)
    assert monitor.batch_source(tmp_path / "current.parquet") == monitor.SIMULATED
    report = monitor.run(
        tmp_path / "train.parquet",
        tmp_path / "current.parquet",
        tmp_path / "reports",
        **THRESHOLDS,
        fail_on_drift=False,
    )
    assert report["dataset_drift"]
    textfile = (tmp_path / "reports" / "drift" / "metrics.prom").read_text()
    assert 'model_dataset_drift{source="simulated"} 1.0' in textfile
    assert 'source="observed"' not in textfile
    ((_, _, body),) = gateway
    assert 'model_dataset_drift{source="simulated"} 1.0' in body
    printed = capsys.readouterr().out
    verdict = printed[printed.index("monitor:") :]
    assert verdict.startswith(f"monitor: drift found, as intended, in {tmp_path / 'current.parquet'}: simulated batch")
    assert "DRIFT DETECTED in" not in verdict
    for named in ("simulate_drift stage", "monitor.simulated_shift", "monitor.current", "real production records"):
        assert named in verdict


def test_the_simulation_refuses_a_file_that_cannot_carry_its_mark(reference: pd.DataFrame, tmp_path: Path) -> None:
    reference.to_parquet(tmp_path / "test.parquet")
    with pytest.raises(StageFailed, match=r"simulate_drift writes Parquet.*current\.csv"):
        monitor.run_simulation(tmp_path / "test.parquet", tmp_path / "current.csv", shift=SHIFT, seed=1)
    assert not (tmp_path / "current.csv").exists()


def test_an_unreachable_gateway_is_reported_not_fatal(
    reference: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = reference
    frame.to_parquet(tmp_path / "train.parquet")
    monkeypatch.setenv("PUSHGATEWAY_URL", "http://127.0.0.1:9")  # discard port: nothing listens
    monitor.run(
        tmp_path / "train.parquet", tmp_path / "train.parquet", tmp_path / "reports", **THRESHOLDS, fail_on_drift=True
    )
    assert f"could not push {JOB_PREFIX}-monitor metrics" in capsys.readouterr().err
    assert (tmp_path / "reports" / "drift" / "metrics.prom").is_file()


def test_the_drift_chart_colours_each_bar_by_the_verdict(reference: pd.DataFrame, tmp_path: Path) -> None:
    """dvc.yaml's drift plot (plots/drift.json) reads features.csv as text: each verdict must map to its colour."""
    template = json.loads((Path(__file__).parents[1] / "plots" / "drift.json").read_text(encoding="utf-8"))
    colour = template["encoding"]["color"]
    assert colour["field"] == "drifted"
    palette = dict(zip(colour["scale"]["domain"], colour["scale"]["range"], strict=True))
    assert palette["True"] != palette["False"]
    seen: set[bool] = set()
    # The batch against itself (nothing drifted) and a shifted one (some features drifted): both colours.
    for batch in (reference, simulate_drift(reference, shift=SHIFT, seed=1)):
        report = drift_report(reference, batch, **THRESHOLDS)
        write_frame(monitor.detail_frame(report), tmp_path / "features.csv")
        with (tmp_path / "features.csv").open(newline="") as rows:
            drawn = {row["column"]: palette[row["drifted"]] for row in csv.DictReader(rows)}
        for name, result in {**report["features"], **report["outputs"]}.items():
            assert (drawn[name] == palette["True"]) is result["drifted"], name
            seen.add(result["drifted"])
    assert seen == {True, False}
