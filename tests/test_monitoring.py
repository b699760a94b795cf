"""Monitoring tier: the alerting rules, their unit tests, the dashboard and the runbooks of a bake agree.

On every cloud value (and both runbook hosts, GitHub and GitLab):
- promtool checks the PrometheusRule's rules and runs its unit tests (rules.test.yaml), in which
  every alert is shown quiet and firing on the same series; a rule made wrong fails them;
- every Grafana dashboard query is a query the unit tests evaluate;
- every alert links a runbook that exists in the bake and names the alert, and every runbook
  names only alerts that exist;
- the rules read metrics the service and the pipeline really publish;
- the component renders in the staging and prod overlays, whose resources pass the strict
  Kubernetes schemas; the Prometheus Operator CRDs (PodMonitor, PrometheusRule), which
  kubernetes-validate has no schema for, are skipped by name and checked for shape here.
promtool comes from Debian's `prometheus` package: installed here when the tests run as root
with apt-get (as on CI), otherwise the promtool tests skip and say why.
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
from harness import INFRA_SET, combinations, debian_tool, grouped_param, run
from infra_checks import K8S_VERSIONS, by_kind, render, strict_errors, tool_env

COMBOS: list[dict[str, str]] = combinations(*INFRA_SET)
COMPONENT = Path("infra/k8s/components/monitoring")
OPERATOR_KINDS = {"PodMonitor", "PrometheusRule"}  # CRDs: no schema in kubernetes-validate


PARAMS = [grouped_param(c, "monitoring") for c in COMBOS]


def promtool() -> str:
    return debian_tool("promtool", "prometheus")


def rule_spec(root: Path) -> dict[str, Any]:
    document = yaml.safe_load((root / COMPONENT / "prometheusrule.yaml").read_text())
    assert document["kind"] == "PrometheusRule"
    return document["spec"]


def rules(root: Path) -> list[dict[str, Any]]:
    return [rule for group in rule_spec(root)["groups"] for rule in group["rules"]]


def alerts(root: Path) -> dict[str, dict[str, Any]]:
    return {rule["alert"]: rule for rule in rules(root) if "alert" in rule}


def unit_tests(root: Path) -> dict[str, Any]:
    return yaml.safe_load((root / COMPONENT / "rules.test.yaml").read_text())


def rule_workdir(root: Path, folder: Path, spec: dict[str, Any] | None = None) -> Path:
    """The rules' spec as a plain rule file beside a copy of the unit tests, as promtool reads them."""
    (folder / "service.rules.yaml").write_text(yaml.safe_dump(spec or rule_spec(root), sort_keys=False))
    shutil.copy(root / COMPONENT / "rules.test.yaml", folder / "rules.test.yaml")
    return folder


def dashboard_queries(root: Path) -> list[str]:
    dashboard = json.loads((root / COMPONENT / "dashboard.json").read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]


# --------------------------------------------------------------------------------------------
# Rules: promtool
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("combo", PARAMS)
def test_rules_pass_promtool_check_and_their_unit_tests(baked: Any, combo: dict[str, str], tmp_path: Path) -> None:
    binary = promtool()
    root = baked(combo)
    folder = rule_workdir(root, tmp_path)
    checked = run([binary, "check", "rules", "service.rules.yaml"], cwd=folder, env=tool_env())
    assert f"SUCCESS: {len(rules(root))} rules found" in checked
    tested = run([binary, "test", "rules", "rules.test.yaml"], cwd=folder, env=tool_env())
    assert "SUCCESS" in tested


@pytest.mark.parametrize("combo", PARAMS[:1])
def test_a_wrong_threshold_fails_the_rule_unit_tests(baked: Any, combo: dict[str, str], tmp_path: Path) -> None:
    """The unit tests can fail: a latency alert that never fires is caught, by name."""
    binary = promtool()
    root = baked(combo)
    spec = rule_spec(root)
    for group in spec["groups"]:
        for rule in group["rules"]:
            if rule.get("alert") == "ServiceLatencyP99High":
                rule["expr"] = rule["expr"].replace("> 0.25", "> 25")
    folder = rule_workdir(root, tmp_path, spec)
    result = subprocess.run([binary, "test", "rules", "rules.test.yaml"], cwd=folder, capture_output=True, text=True)
    assert result.returncode != 0
    assert "alertname: ServiceLatencyP99High" in result.stdout + result.stderr


def _cut_absent_up(expr: str) -> str:
    return expr.split(" or absent(")[0]


# Each clause the review found missing or untested, removed from the rules: the unit tests must fail, naming
# the alert or recording rule that lost it.
MUTATIONS = {
    "drift of the simulated batch pages": (
        "ModelDataDrift",
        lambda e: e.replace(', source!="simulated"', ""),
    ),
    "overload 503s are not errors": (
        "namespace:http_errors_5xx:ratio_rate5m",
        lambda e: e.replace('status=~"5.."', 'status="500"'),
    ),
    "no pod at all is not ServiceDown": ("ServiceDown", _cut_absent_up),
    "a missing training mix is silent": (
        "ModelPredictionMixShift",
        lambda e: e.split(" or on (namespace)")[0],
    ),
    "scoring that never succeeded is silent": (
        "BatchScoringStale",
        lambda e: "vector(0) > 1" if e.startswith("absent(") else e,
    ),
    "p99 latency of every route": (
        "namespace:http_request_duration_seconds:p99_5m",
        lambda e: e.replace(', route=~"/v1/predict.*"', ""),
    ),
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_each_rule_clause_is_held_by_the_unit_tests(baked: Any, mutation: str, tmp_path: Path) -> None:
    binary = promtool()
    root = baked(COMBOS[0])
    name, change = MUTATIONS[mutation]
    spec = rule_spec(root)
    changed = 0
    for group in spec["groups"]:
        for rule in group["rules"]:
            if name in (rule.get("alert"), rule.get("record")) and change(rule["expr"]) != rule["expr"]:
                rule["expr"] = change(rule["expr"])
                changed += 1
    assert changed == 1, f"{mutation}: the rule {name} no longer has the clause this test removes"
    folder = rule_workdir(root, tmp_path, spec)
    result = subprocess.run([binary, "test", "rules", "rules.test.yaml"], cwd=folder, capture_output=True, text=True)
    assert result.returncode != 0, f"{mutation}: the unit tests pass without the clause"
    assert "FAILED" in result.stdout + result.stderr


@pytest.mark.parametrize("combo", PARAMS)
def test_every_alert_is_tested_quiet_and_firing(baked: Any, combo: dict[str, str]) -> None:
    root = baked(combo)
    cases: dict[str, set[bool]] = {}
    for test in unit_tests(root)["tests"]:
        for case in test.get("alert_rule_test", []):
            cases.setdefault(case["alertname"], set()).add(bool(case.get("exp_alerts")))
    assert {name: {False, True} for name in alerts(root)} == cases


@pytest.mark.parametrize("combo", PARAMS)
def test_the_issue_s_alerts_are_all_there(baked: Any, combo: dict[str, str]) -> None:
    """Availability and error ratio, p99 latency, model not ready, class-mix shift, drift, batch scoring."""
    assert set(alerts(baked(combo))) >= {
        "ServiceDown",
        "ServiceErrorBudgetBurn",
        "ServiceLatencyP99High",
        "ModelNotReady",
        "ModelPredictionMixShift",
        "ModelDataDrift",
        "BatchScoringQuarantineHigh",
        "BatchScoringStale",
    }


# --------------------------------------------------------------------------------------------
# Dashboard
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("combo", PARAMS)
def test_every_dashboard_query_is_evaluated_by_the_rule_tests(baked: Any, combo: dict[str, str]) -> None:
    root = baked(combo)
    evaluated = {case["expr"] for test in unit_tests(root)["tests"] for case in test.get("promql_expr_test", [])}
    queries = dashboard_queries(root)
    assert len(queries) >= 8
    assert [q for q in queries if q not in evaluated] == []
    recorded = {rule["record"] for rule in rules(root) if "record" in rule}
    # The dashboard shows what the alerts judge: every recording rule is on it.
    assert recorded <= set(queries)


@pytest.mark.parametrize("combo", PARAMS[:1])
def test_every_batch_scoring_figure_is_on_the_dashboard(baked: Any, combo: dict[str, str]) -> None:
    """The batch-scoring runbook says the dashboard shows rows, duration and last success: each has a panel."""
    root = baked(combo)
    package = root.name.replace("-", "_")
    pushed = set(
        re.findall(
            r'Gauge\(\s*"(batch_score_[a-z_]+)"',
            (root / "pipelines" / "src" / f"{package}_pipelines" / "score.py").read_text(),
        )
    )
    assert pushed >= {"batch_score_rows", "batch_score_duration_seconds", "batch_score_last_success_timestamp_seconds"}
    shown = set().union(*(metric_names(query) for query in dashboard_queries(root)))
    assert pushed <= shown, f"not on the dashboard: {sorted(pushed - shown)}"


@pytest.mark.parametrize("combo", PARAMS)
def test_the_dashboard_is_provisioned_by_a_configmap(baked: Any, combo: dict[str, str]) -> None:
    root = baked(combo)
    for overlay in ("staging", "prod"):
        resources = render(root / "infra" / "k8s" / "overlays" / overlay)
        config = by_kind(resources, "ConfigMap", "grafana-dashboard")
        assert config["metadata"]["labels"]["grafana_dashboard"] == "1"
        assert json.loads(config["data"]["dashboard.json"]) == json.loads(
            (root / COMPONENT / "dashboard.json").read_text()
        )


@pytest.mark.parametrize("combo", PARAMS[:1])
def test_a_stock_kube_prometheus_stack_finds_the_objects_by_the_settings(
    baked: Any, combo: dict[str, str], tmp_path: Path
) -> None:
    """settings.yaml decides the `release` label the operator selects on and the dashboard's sidecar label."""
    root = baked(combo)
    copy = tmp_path / "bake"
    shutil.copytree(root / "infra", copy / "infra")
    settings_path = copy / COMPONENT / "settings.yaml"
    settings = yaml.safe_load(settings_path.read_text())
    assert settings["metadata"]["annotations"]["config.kubernetes.io/local-config"] == "true"
    for values in (
        settings["data"],
        {"prometheusRelease": "prom-ops", "grafanaDashboard": "yes", "grafanaFolder": "ml"},
    ):
        settings["data"] = values
        settings_path.write_text(yaml.safe_dump(settings))
        for overlay in ("staging", "prod"):
            resources = render(copy / "infra" / "k8s" / "overlays" / overlay)
            assert not [r for r in resources if r["metadata"]["name"] == "monitoring-settings"], "local config applied"
            for kind in sorted(OPERATOR_KINDS):
                assert by_kind(resources, kind)["metadata"]["labels"]["release"] == values["prometheusRelease"], kind
            dashboard = by_kind(resources, "ConfigMap", "grafana-dashboard")["metadata"]
            assert dashboard["labels"]["grafana_dashboard"] == values["grafanaDashboard"]
            assert dashboard["annotations"]["grafana_folder"] == values["grafanaFolder"]
    # The two settings of the kube-prometheus-stack install itself are written down beside them.
    text = (root / COMPONENT / "settings.yaml").read_text()
    assert "honorLabels" in text and "searchNamespace" in text


# --------------------------------------------------------------------------------------------
# Runbooks
# --------------------------------------------------------------------------------------------

ALERT_NAME = re.compile(r"\b(?:Service|Model|BatchScoring)[A-Z][A-Za-z0-9]+\b")


@pytest.mark.parametrize("combo", PARAMS)
def test_every_alert_links_a_runbook_that_names_it(baked: Any, combo: dict[str, str]) -> None:
    root = baked(combo)
    host = "https://gitlab.com/" if combo["ci"] == "gitlab" else "https://github.com/"
    for name, rule in alerts(root).items():
        url = rule["annotations"]["runbook_url"]
        assert url.startswith(f"{host}acme-ml/{root.name}/"), (name, url)
        relative = re.sub(r"^.*/blob/main/", "", url)
        runbook = root / relative
        assert runbook.is_file(), (name, url)
        assert name in runbook.read_text(), f"{relative} does not name {name}"
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], name
        assert rule["labels"]["severity"] in {"page", "ticket"}, name


# The runbooks of the handbook before the alerts came; each gained an alert-response section.
ANSWERING_RUNBOOKS = {"add-feature.md", "drift-alert.md", "retrain-and-promote.md", "rollback.md", "rotate-model.md"}


@pytest.mark.parametrize("combo", PARAMS)
def test_every_runbook_names_the_alerts_it_answers_and_no_other(baked: Any, combo: dict[str, str]) -> None:
    root = baked(combo)
    known = set(alerts(root))
    linked = {rule["annotations"]["runbook_url"].rsplit("/", 1)[-1] for rule in alerts(root).values()}
    runbooks = {path.name: path.read_text() for path in (root / "docs" / "runbooks").glob("*.md")}
    assert ANSWERING_RUNBOOKS | linked <= set(runbooks)
    for name in sorted(ANSWERING_RUNBOOKS | linked):
        assert "## Alert response" in runbooks[name], f"{name} has no alert-response section"
        assert ALERT_NAME.findall(runbooks[name]), f"{name} names no alert"
    for name, text in runbooks.items():  # any runbook that names an alert names one that exists
        named = set(ALERT_NAME.findall(text))
        assert named <= known, f"{name} names alerts that do not exist: {named - known}"


# --------------------------------------------------------------------------------------------
# The metrics the rules read exist
# --------------------------------------------------------------------------------------------


def published_metrics(root: Path) -> set[str]:
    """Metric names the service registers and the pipeline pushes (with histogram series suffixes)."""
    package = root.name.replace("-", "_")
    sources = [
        root / "service" / "src" / f"{package}_service" / "metrics.py",
        root / "pipelines" / "src" / f"{package}_pipelines" / "monitor.py",
        root / "pipelines" / "src" / f"{package}_pipelines" / "score.py",
    ]
    names: set[str] = {"up"}
    for source in sources:
        text = source.read_text()
        for kind, name in re.findall(r"\b(Counter|Gauge|Histogram)\(\s*\"([a-z_:]+)\"", text):
            if kind == "Counter":
                names.add(name if name.endswith("_total") else f"{name}_total")
            elif kind == "Histogram":
                names |= {f"{name}_bucket", f"{name}_count", f"{name}_sum"}
            else:
                names.add(name)
        # Gauges built from a table of (name, help, value) rows: the monitor's drift and profile gauges.
        names |= set(re.findall(r"\(\s*\"(model_[a-z_]+)\",", text))
    return names


PROMQL_WORDS = {
    "sum",
    "rate",
    "increase",
    "histogram_quantile",
    "abs",
    "max",
    "min",
    "and",
    "or",
    "unless",
    "time",
    "group_left",
    "absent",
    "count",
}


def metric_names(expr: str) -> set[str]:
    """The series names a PromQL expression reads: label matchers, ranges, grouping and numbers removed."""
    stripped = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", expr)
    stripped = re.sub(r"\b(?:by|on|ignoring|without|group_left)\s*\([^)]*\)", " ", stripped)
    words = set(re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*", stripped))
    return words - PROMQL_WORDS


@pytest.mark.parametrize("combo", PARAMS)
def test_rules_and_dashboard_read_only_published_metrics(baked: Any, combo: dict[str, str]) -> None:
    root = baked(combo)
    recorded = {rule["record"] for rule in rules(root) if "record" in rule}
    published = published_metrics(root)
    read = set()
    for expr in [rule["expr"] for rule in rules(root)] + dashboard_queries(root):
        unknown = metric_names(expr) - published - recorded
        assert not unknown, f"{sorted(unknown)} in {expr!r} is published by nothing"
        read |= metric_names(expr)
    # The check sees the metrics: the service's, the monitor's and batch scoring's are all read.
    assert {"http_request_duration_seconds_bucket", "model_ready", "model_dataset_drift", "batch_score_rows"} <= read


# --------------------------------------------------------------------------------------------
# The component in the overlays
# --------------------------------------------------------------------------------------------


def metrics_port_setting(root: Path, resources: list[dict[str, Any]] | None = None) -> int | None:
    """METRICS_PORT as the service's ConfigMap or its image sets it (None: /metrics on the API port)."""
    for resource in resources or []:
        if resource["kind"] == "ConfigMap" and "METRICS_PORT" in resource.get("data", {}):
            return int(resource["data"]["METRICS_PORT"])
    found = re.search(r"\bMETRICS_PORT=(\d+)", (root / "service" / "Dockerfile").read_text())
    return int(found.group(1)) if found else None


@pytest.mark.parametrize("combo", PARAMS)
def test_the_component_renders_in_both_overlays_and_validates_strictly(baked: Any, combo: dict[str, str]) -> None:
    root = baked(combo)
    failures = []
    for overlay in ("staging", "prod"):
        resources = render(root / "infra" / "k8s" / "overlays" / overlay)
        namespace = f"{root.name}-{overlay}"
        kinds = {r["kind"] for r in resources}
        assert kinds >= OPERATOR_KINDS, overlay
        for resource in resources:
            assert resource["metadata"]["namespace"] == namespace
            if resource["kind"] in OPERATOR_KINDS:
                assert resource["apiVersion"] == "monitoring.coreos.com/v1"
                continue
            for version in K8S_VERSIONS:
                failures += [f"{overlay} {resource['kind']}/{resource['metadata']['name']} {version}: {e}"
                             for e in strict_errors(resource, version)]  # fmt: skip
        # The PodMonitor scrapes the service's pods on a port they declare; job = the project name.
        monitor = by_kind(resources, "PodMonitor", "service")["spec"]
        pods = by_kind(resources, "Deployment", "service")["spec"]["template"]
        assert monitor["selector"]["matchLabels"].items() <= pods["metadata"]["labels"].items()
        assert pods["metadata"]["labels"][monitor["jobLabel"]] == root.name
        ports = {p["name"] for p in pods["spec"]["containers"][0]["ports"]}
        assert {e["port"] for e in monitor["podMetricsEndpoints"]} <= ports
        # Where the service serves /metrics on a port of its own (METRICS_PORT), that port is scraped.
        metrics_port = metrics_port_setting(root, resources)
        if metrics_port is not None:
            numbers = {p["name"]: p["containerPort"] for p in pods["spec"]["containers"][0]["ports"]}
            assert {numbers[e["port"]] for e in monitor["podMetricsEndpoints"]} == {metrics_port}
        assert all(e["path"] == "/metrics" for e in monitor["podMetricsEndpoints"])
        rule = by_kind(resources, "PrometheusRule")
        assert rule["spec"] == rule_spec(root)
        pipeline_config = next(
            r for r in resources if r["kind"] == "ConfigMap" and r["metadata"]["name"].startswith("pipeline-")
            and "DVC_REMOTE_URL" in r["data"]
        )  # fmt: skip
        assert pipeline_config["data"]["PUSHGATEWAY_URL"].startswith("http://")
    assert not failures, "\n".join(failures[:20])


@pytest.mark.parametrize("combo", PARAMS)
def test_the_score_cronjob_runs_the_score_module_with_its_settings(baked: Any, combo: dict[str, str]) -> None:
    root = baked(combo)
    package = root.name.replace("-", "_")
    options = set(
        re.findall(
            r'environ\("(SCORE_[A-Z]+)"\)',
            (root / "pipelines" / "src" / f"{package}_pipelines" / "score.py").read_text(),
        )
    )
    assert options == {"SCORE_INPUT", "SCORE_OUTPUT", "SCORE_QUARANTINE", "SCORE_MODEL"}
    for overlay in ("staging", "prod"):
        resources = render(root / "infra" / "k8s" / "overlays" / overlay)
        cronjob = by_kind(resources, "CronJob", "score")
        spec = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        (container,) = spec["containers"]
        assert container["command"] == ["python", "-m", f"{package}_pipelines.score"]
        assert spec["serviceAccountName"] == "pipeline"  # the identity that may read and write the bucket
        sources = {ref["configMapRef"]["name"] for ref in container["envFrom"]}
        score_config = next(r for r in resources if r["kind"] == "ConfigMap" and r["metadata"]["name"] in sources
                            and "SCORE_INPUT" in r["data"])  # fmt: skip
        assert set(score_config["data"]) == options
        assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
