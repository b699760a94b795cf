"""Batch scoring tier: `make score` in a set-up bake scores the example data with the champion model.

Each combination is baked, set up and trained (`make repro` writes models/champion/) once. The
rows come from the example data and are split by the bake's own contract: the good ones must all
be scored, the broken ones (the example's own gaps plus rows broken on purpose, one way per
contract rule) must all land in the quarantine file with a reason, and none may be lost. A model
that does not match its card is refused. The cloud value changes only the DVC plugin, not the
scoring code; `tests/test_monitoring.py` checks the scoring CronJob on every cloud value.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from harness import COMBINATIONS, baked_path, find_interpreter, project_env, run, setup

pytestmark = pytest.mark.generated

# Named combinations of the harness: the defaults, and no cloud, no CI, no MLflow.
COMBOS = {name: COMBINATIONS[name] for name in ("defaults", "no-cloud-no-ci-no-tracking")}

# Runs in the bake's environment: inputs derived from its contract and example data.
MAKE_INPUTS = r"""
import json, sys
import pandas as pd
from {pkg}_core import CATEGORICAL_COLUMNS, FEATURE_COLUMNS, NUMERIC_COLUMNS, find_violations, iter_records

frame = pd.DataFrame(list(iter_records()))
valid = [not find_violations(row, labelled=False) for row in frame.to_dict(orient="records")]
good = frame[valid].reset_index(drop=True)
good.to_csv("score-in/good.csv", index=False)
good.to_parquet("score-in/good.parquet", index=False)
broken = good.head(3).astype(object).copy()
category = next(iter(CATEGORICAL_COLUMNS))
broken.at[0, category] = "not-" + "-".join(CATEGORICAL_COLUMNS[category])
broken.at[1, NUMERIC_COLUMNS[0]] = None
broken.at[2, NUMERIC_COLUMNS[-1]] = "twelve"
mixed = pd.concat([frame.astype(object), broken], ignore_index=True)
mixed.to_csv("score-in/mixed.csv", index=False)
json.dump({{"good": len(good), "mixed": len(mixed), "bad": len(frame) - len(good) + len(broken)}}, sys.stdout)
"""

READ_OUTPUTS = r"""
import json, sys
import pandas as pd
def read(path):
    return pd.read_parquet(path) if path.endswith(".parquet") else pd.read_csv(path)
scored, quarantine = read(sys.argv[1]), pd.read_csv(sys.argv[2])
card = json.load(open("models/champion/model_card.json"))
json.dump({{
    "scored": len(scored), "quarantined": len(quarantine),
    "predictions_in_classes": bool(scored["prediction"].isin(card["classes"]).all()) if len(scored) else True,
    "reasons": quarantine["reason"].tolist(), "rows": quarantine["row"].tolist(),
}}, sys.stdout)
"""


@pytest.fixture(scope="module", params=list(COMBOS), ids=list(COMBOS))
def project(request: pytest.FixtureRequest, cookies_session) -> tuple[Path, dict[str, str]]:  # noqa: ANN001
    answers = COMBOS[request.param]
    version = answers.get("python_version", "3.12")
    if find_interpreter(version) is None:
        pytest.skip(f"no Python {version} interpreter on this machine")
    root = baked_path(cookies_session.bake(extra_context=answers))  # its own bake: setup and repro write into it
    env = project_env(version)
    setup(root, env)
    run("make repro", root, env)
    assert (root / "models" / "champion" / "model.onnx").is_file(), "make repro wrote no champion"
    (root / "score-in").mkdir()
    return root, env


def python(project: tuple[Path, dict[str, str]], code: str, *args: str) -> dict[str, object]:
    root, env = project
    package = root.name.replace("-", "_")
    output = run(["uv", "run", "--no-sync", "python", "-c", code.format(pkg=package), *args], root, env)
    return json.loads(output.strip().splitlines()[-1])


def test_make_score_scores_every_good_row(project: tuple[Path, dict[str, str]]) -> None:
    root, env = project
    counts = python(project, MAKE_INPUTS)
    for source, target in (("good.csv", "out/good.parquet"), ("good.parquet", "out/good.csv")):
        printed = run(f"make score INPUT=score-in/{source} OUTPUT={target}", root, env)
        assert f"{counts['good']} of {counts['good']} rows scored" in printed
        result = python(project, READ_OUTPUTS, target, target.rsplit(".", 1)[0] + ".quarantine.csv")
        assert (result["scored"], result["quarantined"]) == (counts["good"], 0)
        assert result["predictions_in_classes"] is True


def test_make_score_quarantines_bad_rows_with_reasons_and_loses_none(project: tuple[Path, dict[str, str]]) -> None:
    root, env = project
    counts = python(project, MAKE_INPUTS)
    printed = run("make score INPUT=score-in/mixed.csv OUTPUT=out/mixed.csv", root, env)
    assert f"{counts['bad']} quarantined with reasons" in printed
    result = python(project, READ_OUTPUTS, "out/mixed.csv", "out/mixed.quarantine.csv")
    assert result["scored"] + result["quarantined"] == counts["mixed"]
    assert result["quarantined"] == counts["bad"]
    assert all(": " in reason and "(rule " in reason for reason in result["reasons"])  # type: ignore[union-attr]
    # The rows broken on purpose are the last three, each quarantined for its own rule.
    last = dict(zip(result["rows"], result["reasons"], strict=True))  # type: ignore[call-overload]
    assert "literal_error" in last[counts["mixed"] - 3]
    assert "missing" in last[counts["mixed"] - 2]
    assert "float_type" in last[counts["mixed"] - 1]


def test_make_score_refuses_a_model_that_does_not_match_its_card(project: tuple[Path, dict[str, str]]) -> None:
    root, env = project
    python(project, MAKE_INPUTS)
    tampered = root / "score-in" / "tampered"
    shutil.copytree(root / "models" / "champion", tampered, dirs_exist_ok=True)
    model = bytearray((tampered / "model.onnx").read_bytes())
    model[-1] ^= 0xFF
    (tampered / "model.onnx").write_bytes(bytes(model))
    command = f"make score INPUT=score-in/good.csv OUTPUT=out/refused.csv MODEL={tampered / 'model.onnx'}"
    result = subprocess.run(command, shell=True, cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode != 0
    assert "does not match its card" in result.stderr
    assert not (root / "out" / "refused.csv").exists()


def test_make_score_without_files_says_how_to_call_it(project: tuple[Path, dict[str, str]]) -> None:
    root, env = project
    result = subprocess.run(["make", "score"], cwd=root, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "usage: make score INPUT=" in result.stderr


# The series the rules read, as the bake really publishes them: the service's /metrics after a good and a
# refused request (TestClient on the app with the champion), the score command's registry, and the
# monitor stage's reports/drift/metrics.prom that `make repro` wrote.
PUBLISHED_LABELS = r"""
import json, sys, time
from fastapi.testclient import TestClient
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from {pkg}_service import create_app
from {pkg}_service.settings import Settings
from {pkg}_pipelines.score import ScoreResult, score_metrics

series = {{}}
def add(text, source):
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            series.setdefault(sample.name, {{"labels": set(), "source": source}})["labels"].update(sample.labels)

card = json.load(open("models/champion/model_card.json"))
with TestClient(create_app(Settings(model_path="models/champion/model.onnx", access_log=False))) as client:
    for _ in range(600):  # the model loads in the background: wait for readiness, at most a minute
        if client.get("/readyz").status_code == 200:
            break
        time.sleep(0.1)
    assert client.post("/v1/predict", json=card["example"]).status_code == 200
    assert client.post("/v1/predict", json={{}}).status_code == 422
    add(client.get("/metrics").text, "scraped")
# A run's predictions per task: rows per class of the card, or (regression) the mean value.
predicted = {{label: 3.0 for label in card["classes"]}} or {{"mean": 1.0}}
result = ScoreResult(10, 9, 1, "o.csv", "q.csv", "v", 1.0, predicted=predicted)
add(generate_latest(score_metrics(result)).decode(), "pushed")
add(open("reports/drift/metrics.prom").read(), "pushed")
json.dump({{name: {{"labels": sorted(v["labels"]), "source": v["source"]}} for name, v in series.items()}}, sys.stdout)
"""
# Labels Prometheus adds: the PodMonitor's target labels on scraped series; job/instance on pushed ones
# (kept by honorLabels); `up` is Prometheus' own series of every target.
TARGET_LABELS = {
    "scraped": {"job", "instance", "namespace", "pod", "container", "endpoint"},
    "pushed": {"job", "instance"},
}
# The batch-scoring panel shows the prediction series of either task; a bake publishes its own task's.
OTHER_TASK_SERIES = {"classification": "batch_score_prediction_mean", "regression": "batch_score_predictions"}
MATCHER = re.compile(r"([A-Za-z_:][A-Za-z0-9_:]*)\{([^}]*)\}")
GROUPING = re.compile(r"\b(?:by|on|ignoring|without)\s*\(([^)]*)\)")


def test_the_rules_select_labels_the_bake_really_publishes(project: tuple[Path, dict[str, str]]) -> None:
    root, _ = project
    task = json.loads((root / "models/champion/model_card.json").read_text())["task"]
    published: dict[str, Any] = python(project, PUBLISHED_LABELS)  # type: ignore[assignment]
    labels = {name: set(v["labels"]) | TARGET_LABELS[v["source"]] for name, v in published.items()}
    labels["up"] = TARGET_LABELS["scraped"]
    spec = yaml.safe_load((root / "infra/k8s/components/monitoring/prometheusrule.yaml").read_text())["spec"]
    exprs = [rule["expr"] for group in spec["groups"] for rule in group["rules"]]
    dashboard = json.loads((root / "infra/k8s/components/monitoring/dashboard.json").read_text())
    exprs += [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    every = set().union(*labels.values())
    checked = set()
    for expr in exprs:
        for metric, matchers in MATCHER.findall(expr):
            if ":" in metric:  # a recording rule's series: its labels are its own `by` clause, checked below
                continue
            if metric == OTHER_TASK_SERIES[task]:
                assert metric not in labels, f"{metric} is the other task's series, yet this bake publishes it"
                continue
            assert metric in labels, f"{metric} in {expr!r} is published by nothing"
            used = set(re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)", matchers))
            assert used <= labels[metric], f"{metric} has no label {used - labels[metric]} ({expr!r})"
            checked |= {(metric, label) for label in used}
        for group in GROUPING.findall(expr):
            grouped = {label.strip() for label in group.split(",") if label.strip()}
            assert grouped <= every, f"{grouped - every} in {expr!r} is a label nothing publishes"
    # The checks saw the labels that matter: route and status of the errors, class of the predictions,
    # source of the drift, outcome of batch scoring.
    assert {("http_request_errors_total", "status"), ("http_request_errors_total", "route"),
            ("model_dataset_drift", "source"), ("batch_score_rows", "outcome")} <= checked  # fmt: skip
    assert "class" in labels["model_predictions_total"]
