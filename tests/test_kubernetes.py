"""Infra tier, Kubernetes: overlays render with kustomize and validate strictly; hardening; images; scripts.

Part of the infra tier (see tests/infra_checks.py for the tools). Steps whose binary is missing skip with the reason.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from harness import grouped_param, run
from infra_checks import (
    INFRA_COMBOS,
    K8S_COMBOS,
    K8S_VERSIONS,
    by_kind,
    pod_specs,
    render,
    strict_errors,
    tool,
    tool_env,
)

# --------------------------------------------------------------------------------------------
# Kubernetes
# --------------------------------------------------------------------------------------------


def test_kubernetes_versions_cover_two_years() -> None:
    assert len(K8S_VERSIONS) >= 5, K8S_VERSIONS
    print(f"Kubernetes versions validated: {', '.join(K8S_VERSIONS)}")


def components_overlay(root: Path) -> Path:
    """A throwaway overlay: staging plus every component of the bake (kustomize needs relative paths)."""
    k8s = root / "infra" / "k8s"
    # Those that staging already includes are not added twice (a generator may not repeat).
    included = yaml.safe_load((k8s / "overlays" / "staging" / "kustomization.yaml").read_text()).get("components", [])
    components = sorted(
        p.name for p in (k8s / "components").iterdir() if p.is_dir() and f"../../components/{p.name}" not in included
    )
    overlay = k8s / "overlays" / ".test-components"
    overlay.mkdir(exist_ok=True)
    (overlay / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "resources": ["../staging"],
                "components": [f"../../components/{c}" for c in components],
            }
        )
    )
    return overlay


@pytest.mark.parametrize("combo", K8S_COMBOS)
def test_overlays_render_and_validate_strictly(baked: Any, combo: dict[str, str]) -> None:
    root = baked(combo)
    k8s = root / "infra" / "k8s"
    overlay = components_overlay(root)
    try:
        renders = {
            "base": render(k8s / "base"),
            "staging": render(k8s / "overlays" / "staging"),
            "prod": render(k8s / "overlays" / "prod"),
            "staging+components": render(overlay),
        }
    finally:
        shutil.rmtree(overlay)
    failures = []
    for name, resources in renders.items():
        for resource in resources:
            if resource["apiVersion"].startswith("monitoring.coreos.com/"):
                continue  # Prometheus Operator CRDs have no schema here: tests/test_monitoring.py checks them
            for version in K8S_VERSIONS:
                for error in strict_errors(resource, version):
                    failures.append(f"{name} {resource['kind']}/{resource['metadata']['name']} on {version}: {error}")
    assert not failures, "\n".join(failures[:20])


@pytest.mark.parametrize("combo", K8S_COMBOS)
def test_base_has_the_promised_objects_and_hardening(baked: Any, combo: dict[str, str]) -> None:
    root = baked(combo)
    resources = render(root / "infra" / "k8s" / "overlays" / "staging")
    kinds = {r["kind"] for r in resources}
    assert {
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "ServiceAccount",
        "ConfigMap",
        "Job",
        "CronJob",
        "Ingress",
    } <= kinds
    assert {r["metadata"].get("namespace") for r in resources} == {f"{root.name}-staging"}

    # The API is reached through ingress-nginx, which buffers and bounds bodies before the pod sees them.
    ingress = by_kind(resources, "Ingress", "service")
    (path,) = ingress["spec"]["rules"][0]["http"]["paths"]
    assert path["backend"]["service"] == {"name": "service", "port": {"name": "http"}}
    annotations = ingress["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/proxy-request-buffering"] == "on"
    assert re.fullmatch(r"\d+m", annotations["nginx.ingress.kubernetes.io/proxy-body-size"])
    policy = by_kind(resources, "NetworkPolicy", "service")
    sources = [rule["from"][0]["namespaceSelector"]["matchLabels"] for rule in policy["spec"]["ingress"]]
    assert {"kubernetes.io/metadata.name": "ingress-nginx"} in sources  # the controller may reach the API

    deployment = by_kind(resources, "Deployment", "service")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["ports"][0]["containerPort"] == 8000
    config = next(r for r in resources if r["kind"] == "ConfigMap" and r["metadata"]["name"].startswith("service-"))
    assert config["data"]["PORT"] == "8000"
    assert config["data"]["MODEL_PATH"].endswith("models/champion/model.onnx")

    for name, spec in pod_specs(resources):
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        assert spec.get("automountServiceAccountToken") is False, name
        for c in spec["containers"]:
            sc = c["securityContext"]
            assert sc["allowPrivilegeEscalation"] is False, name
            assert sc["readOnlyRootFilesystem"] is True, name
            assert sc["capabilities"]["drop"] == ["ALL"], name
            assert {"cpu", "memory"} <= set(c["resources"]["requests"]) and {"cpu", "memory"} <= set(
                c["resources"]["limits"]
            ), name
    images = {c["image"] for _, spec in pod_specs(resources) for c in spec["containers"]}
    assert images == {f"{root.name}/service:0.1.0-rc.1", f"{root.name}/pipelines:0.1.0-rc.1"}


@pytest.mark.parametrize("combo", K8S_COMBOS)
def test_overlays_differ_in_size_tag_and_namespace(baked: Any, combo: dict[str, str]) -> None:
    root = baked(combo)
    staging = render(root / "infra" / "k8s" / "overlays" / "staging")
    prod = render(root / "infra" / "k8s" / "overlays" / "prod")
    replicas = {
        name: by_kind(r, "Deployment", "service")["spec"]["replicas"] for name, r in [("s", staging), ("p", prod)]
    }
    assert replicas["s"] < replicas["p"]
    hpa = {name: by_kind(r, "HorizontalPodAutoscaler")["spec"] for name, r in [("s", staging), ("p", prod)]}
    assert hpa["s"]["maxReplicas"] < hpa["p"]["maxReplicas"]
    assert by_kind(prod, "PodDisruptionBudget")["spec"]["minAvailable"] >= 2
    assert {r["metadata"]["namespace"] for r in prod} == {f"{root.name}-prod"}
    prod_images = {c["image"] for _, spec in pod_specs(prod) for c in spec["containers"]}
    assert prod_images == {f"{root.name}/service:0.1.0", f"{root.name}/pipelines:0.1.0"}


@pytest.mark.parametrize("combo", K8S_COMBOS)
def test_components_add_gpus_and_mlflow(baked: Any, combo: dict[str, str]) -> None:
    root = baked(combo)
    overlay = components_overlay(root)
    try:
        resources = render(overlay)
    finally:
        shutil.rmtree(overlay)
    for name, spec in pod_specs(resources):
        if name.startswith("pipeline"):
            assert spec["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == "1"
            assert any(t["key"] == "nvidia.com/gpu" for t in spec["tolerations"])
            assert spec["nodeSelector"]
    has_mlflow = (root / "infra" / "k8s" / "components" / "mlflow-server").exists()
    assert any(r["kind"] == "Deployment" and r["metadata"]["name"] == "mlflow" for r in resources) == has_mlflow
    if has_mlflow:
        pipeline_config = next(
            r
            for r in resources
            if r["kind"] == "ConfigMap"
            and r["metadata"]["name"].startswith("pipeline-")
            and "DVC_REMOTE_URL" in r["data"]
        )
        assert pipeline_config["data"]["MLFLOW_TRACKING_URI"] == "http://mlflow:5000"


@pytest.mark.parametrize("combo", K8S_COMBOS)
def test_deploy_script_pins_both_images(baked: Any, combo: dict[str, str]) -> None:
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed: kustomize overlays cannot be rendered")
    root = baked(combo)
    script = root / "infra" / "k8s" / "deploy.sh"
    output = run(
        ["sh", str(script), "prod", "registry.example.com/team", "abc123", "--render-only"], cwd=root, env=tool_env()
    )
    images = set(re.findall(r"image: (\S+)", output))
    assert images == {"registry.example.com/team/service:abc123", "registry.example.com/team/pipelines:abc123"}
    assert not list((root / "infra" / "k8s").glob(".release.*")), "the release overlay was left behind"
    bad = subprocess.run(["sh", str(script), "dev", "r", "t"], cwd=root, capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown environment" in bad.stderr


@pytest.mark.parametrize("combo", [grouped_param(INFRA_COMBOS[0], "infra")])
def test_shell_scripts_pass_shellcheck(baked: Any, combo: dict[str, str]) -> None:
    root = baked(combo)
    scripts = [root / "infra" / "k8s" / "deploy.sh", root / "infra" / "k8s" / "base" / "run-pipeline.sh"]
    run([tool("shellcheck"), *map(str, scripts)], cwd=root, env=tool_env())


# --------------------------------------------------------------------------------------------
# Pipeline image
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("combo", K8S_COMBOS)
def test_pipeline_dockerfile_passes_hadolint(baked: Any, combo: dict[str, str]) -> None:
    root = baked(combo)
    run([tool("hadolint"), "pipelines/Dockerfile"], cwd=root, env=tool_env())
    text = (root / "pipelines" / "Dockerfile").read_text()
    assert f"--package {root.name}-pipelines" in text
    assert re.search(r"^USER 10001", text, re.MULTILINE)
    assert 'CMD ["dvc", "repro"]' in text
