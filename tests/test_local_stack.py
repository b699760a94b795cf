"""Local stack tier: the bake's compose files and dev container are valid, and wired to the project's files.

Validated offline, on every cloud value: compose.yaml (and compose.override.yaml, the MLflow server,
present only with experiment tracking) against the Compose specification's JSON schema, which
check-jsonschema ships; the Prometheus configuration with `promtool check config`; the dev
container by parsing it against the properties the Dev Container specification defines. No Docker
engine is reachable here, so no image is pulled and no container is started: `docker compose up`
itself is not run.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from harness import OPTIONS, combinations, combo_id, run
from infra_checks import tool, tool_env
from test_monitoring import metrics_port_setting, promtool

# Every cloud and interpreter once, with and without the MLflow server.
COMBOS: list[dict[str, str]] = combinations(
    "defaults", "gcp-gitlab-no-tracking-py3.13", "azure-no-ci-py3.11", "no-cloud-github-no-tracking"
)
PARAMS = [pytest.param(c, id=combo_id(c), marks=pytest.mark.xdist_group(f"stack-{combo_id(c)}")) for c in COMBOS]
# Top-level properties of devcontainer.json (Dev Container specification, image-based configuration).
DEVCONTAINER_PROPERTIES = {
    "$schema", "name", "image", "build", "dockerFile", "context", "features", "overrideFeatureInstallOrder",
    "secrets", "forwardPorts", "portsAttributes", "otherPortsAttributes", "updateRemoteUserUID", "containerEnv",
    "containerUser", "mounts", "init", "privileged", "capAdd", "securityOpt", "remoteEnv", "remoteUser",
    "initializeCommand", "onCreateCommand", "updateContentCommand", "postCreateCommand", "postStartCommand",
    "postAttachCommand", "waitFor", "userEnvProbe", "hostRequirements", "customizations", "runArgs",
    "appPort", "workspaceMount", "workspaceFolder", "shutdownAction", "overrideCommand",
}  # fmt: skip


def compose_files(root: Path) -> list[Path]:
    return [p for p in (root / "compose.yaml", root / "compose.override.yaml") if p.exists()]


def merged_services(root: Path) -> dict[str, Any]:
    services: dict[str, Any] = {}
    for path in compose_files(root):
        services.update(yaml.safe_load(path.read_text())["services"])
    return services


@pytest.mark.parametrize("combo", PARAMS)
def test_compose_files_match_the_compose_spec(baked: Any, combo: dict[str, str]) -> None:
    root = baked(combo)
    files = compose_files(root)
    with_mlflow = combo.get("experiment_tracking", "mlflow") == "mlflow"
    assert [p.name for p in files] == ["compose.yaml", "compose.override.yaml"][: 2 if with_mlflow else 1]
    checker = tool("check-jsonschema")
    run([checker, "--builtin-schema", "vendor.compose-spec", *map(str, files)], cwd=root, env=tool_env())
    services = merged_services(root)
    assert set(services) == {"service", "pushgateway", "rules", "prometheus", "grafana"} | (
        {"mlflow"} if with_mlflow else set()
    )


def test_the_compose_schema_check_can_fail(baked: Any, tmp_path: Path) -> None:
    """A misspelt key is refused by the same check, so the passing check above means something."""
    document = yaml.safe_load((baked(COMBOS[0]) / "compose.yaml").read_text())
    document["services"]["service"]["port"] = document["services"]["service"].pop("ports")
    broken = tmp_path / "compose.yaml"
    broken.write_text(yaml.safe_dump(document))
    with pytest.raises(AssertionError, match="port"):
        run([tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(broken)], tmp_path, tool_env())


@pytest.mark.parametrize("combo", PARAMS)
def test_compose_mounts_and_builds_exist_in_the_bake(baked: Any, combo: dict[str, str]) -> None:
    root = baked(combo)
    for name, service in merged_services(root).items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (root / source).exists(), f"{name} mounts {source}, which the bake does not have"
        if "build" in service:
            assert (root / service["build"]["context"] / service["build"]["dockerfile"]).is_file(), name
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} beyond this machine"
        if "build" not in service:  # pulled images are pinned to a release
            assert re.search(r":v?\d+\.\d+", service["image"]), f"{name}: image {service['image']!r} is not pinned"
    if "mlflow" in merged_services(root):
        assert merged_services(root)["mlflow"]["image"].endswith(f":v{OPTIONS['_versions']['mlflow']}")


@pytest.mark.parametrize("combo", PARAMS)
def test_prometheus_reads_the_cluster_rules_and_scrapes_the_job_they_select(
    baked: Any, combo: dict[str, str], tmp_path: Path
) -> None:
    root = baked(combo)
    services = merged_services(root)
    # The one-shot step saves the PrometheusRule's spec where Prometheus' rule_files look.
    (step,) = services["rules"]["command"]
    assert step == "yq '.spec' /monitoring/prometheusrule.yaml > /rules/service.rules.yaml"
    assert "./infra/k8s/components/monitoring:/monitoring:ro" in services["rules"]["volumes"]
    assert "rules:/etc/prometheus/rules:ro" in services["prometheus"]["volumes"]
    config = yaml.safe_load((root / "infra" / "local" / "prometheus.yml").read_text())
    assert config["rule_files"] == ["/etc/prometheus/rules/*.yaml"]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    rules = (root / "infra" / "k8s" / "components" / "monitoring" / "prometheusrule.yaml").read_text()
    assert f'job="{root.name}"' in rules and root.name in jobs
    # /metrics on its own port when compose or the image sets one, else on the API's.
    port = int(services["service"].get("environment", {}).get("METRICS_PORT") or metrics_port_setting(root) or 8000)
    assert jobs[root.name]["static_configs"][0]["targets"] == [f"service:{port}"]
    assert jobs["pushgateway"]["honor_labels"] is True
    # promtool resolves rule_files on this machine: point a copy at the rules compose's one-shot step writes.
    rules_folder = tmp_path / "rules"
    rules_folder.mkdir()
    spec = yaml.safe_load(rules)["spec"]
    (rules_folder / "service.rules.yaml").write_text(yaml.safe_dump(spec))
    config["rule_files"] = [str(rules_folder / "*.yaml")]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    checked = run([promtool(), "check", "config", str(tmp_path / "prometheus.yml")], cwd=root, env=tool_env())
    count = sum(len(group["rules"]) for group in spec["groups"])
    assert "SUCCESS: 1 rule files found" in checked, checked
    assert f"SUCCESS: {count} rules found" in checked, checked


@pytest.mark.parametrize("combo", PARAMS)
def test_grafana_loads_the_cluster_dashboard_from_prometheus(baked: Any, combo: dict[str, str]) -> None:
    root = baked(combo)
    grafana = merged_services(root)["grafana"]
    mounts = dict(volume.rsplit(":", 1)[0].split(":", 1) for volume in grafana["volumes"])
    providers = yaml.safe_load((root / "infra" / "local" / "grafana-dashboards.yaml").read_text())["providers"]
    (provider,) = providers
    dashboard_mount = mounts["./infra/k8s/components/monitoring/dashboard.json"]
    assert Path(dashboard_mount).parent == Path(provider["options"]["path"])
    datasources = yaml.safe_load((root / "infra" / "local" / "grafana-datasources.yaml").read_text())["datasources"]
    assert [d["type"] for d in datasources] == ["prometheus"] and datasources[0]["isDefault"] is True
    assert datasources[0]["url"] == "http://prometheus:9090"
    dashboard = json.loads((root / "infra" / "k8s" / "components" / "monitoring" / "dashboard.json").read_text())
    (variable,) = dashboard["templating"]["list"]
    assert (variable["type"], variable["query"]) == ("datasource", "prometheus")


@pytest.mark.parametrize("combo", PARAMS)
def test_the_dev_container_opens_the_repo_with_uv_and_the_tools(baked: Any, combo: dict[str, str]) -> None:
    root = baked(combo)
    config = json.loads((root / ".devcontainer" / "devcontainer.json").read_text())
    assert set(config) <= DEVCONTAINER_PROPERTIES, set(config) - DEVCONTAINER_PROPERTIES
    assert config["image"].endswith(f"python:1-{combo.get('python_version', '3.12')}-bookworm")
    assert f"uv=={OPTIONS['_versions']['uv']}" in config["onCreateCommand"]
    assert config["postCreateCommand"] == "make setup"
    assert all(isinstance(v, str) for v in config["containerEnv"].values())
    assert all(feature.startswith("ghcr.io/devcontainers/features/") for feature in config["features"])
    published = {int(port.split(":")[1]) for s in merged_services(root).values() for port in s.get("ports", [])}
    # Exactly the stack's ports: none of a server the bake does not have (MLflow without experiment tracking).
    assert set(config["forwardPorts"]) == published
    assert (5000 in published) == (combo.get("experiment_tracking", "mlflow") == "mlflow")
    assert not list((root / ".devcontainer").glob("_*")), "the hooks left a variant behind"
    assert {str(port) for port in config["forwardPorts"]} == set(config["portsAttributes"])
    assert all(0 < port < 65536 for port in config["forwardPorts"])


def test_the_two_dev_container_variants_differ_only_in_mlflow_s_port(baked: Any) -> None:
    """Baked, not read from the template: the answers in devcontainer.json are Jinja until rendered."""
    with_mlflow, without = (
        json.loads((baked(combo) / ".devcontainer" / "devcontainer.json").read_text())
        for combo in combinations("aws-github", "aws-github-no-tracking")
    )
    with_mlflow["forwardPorts"].remove(5000)
    del with_mlflow["portsAttributes"]["5000"]
    assert with_mlflow == without


@pytest.mark.parametrize("combo", PARAMS[:1])
def test_the_handbook_documents_docker_compose_up(baked: Any, combo: dict[str, str]) -> None:
    root = baked(combo)
    page = (root / "docs" / "local-stack.md").read_text()
    assert "docker compose up" in page and "cannot pull images" in page
    assert "local-stack.md" in (root / "mkdocs.yml").read_text()
