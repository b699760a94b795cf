"""Infra tier: the Terraform, Kubernetes manifests, CI files and pipeline image of a bake validate offline.

What runs here, and what cannot:
- Terraform: `terraform fmt -check`, every file parsed with python-hcl2 (resources, outputs,
  variables, partial backend, each environment's tfvars and backend file), and the root's
  variable validation evaluated by terraform itself: the root's variables.tf is copied into a
  provider-free module and planned with each environment's values and with bad values.
  `terraform validate`/`plan` of the real root need the cloud providers, which cannot be
  downloaded here: not run.
- Kubernetes: `kubectl kustomize` renders each overlay (and both components);
  kubernetes-validate --strict checks every rendered resource against each Kubernetes minor
  release of the last two years.
- CI: actionlint (with shellcheck) and the workflow/action JSON schemas; the GitLab CI schema.
- hadolint on the pipeline image's Dockerfile; shellcheck on the infra shell scripts.
- checkov (--skip-download, every framework) once per bake, in an isolated environment made by
  `uv tool run`, so its pins never touch the template's venv.
Steps whose binary is missing skip with the reason.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from bakery import TEMPLATE_DIR, bake, combo_id, grouped_param, run

hcl2 = pytest.importorskip("hcl2", reason="python-hcl2 is in the template's test extra (make venv)")
kubernetes_validate = pytest.importorskip("kubernetes_validate", reason="kubernetes-validate is in the test extra")

CLOUDS = ("aws", "gcp", "azure")
# Full infra checks: every cloud value and every ci value at least once, checkov once per bake.
INFRA_COMBOS: list[dict[str, str]] = [
    {"cloud": "aws", "ci": "github"},
    {"cloud": "gcp", "ci": "gitlab"},
    {"cloud": "azure", "ci": "none", "experiment_tracking": "none"},
    {"cloud": "none", "ci": "github"},
]
# The CI files log in to the chosen cloud: lint each CI system against every cloud.
CI_COMBOS: list[dict[str, str]] = [
    {"cloud": cloud, "ci": ci} for ci in ("github", "gitlab") for cloud in (*CLOUDS, "none")
]

# Kubernetes minor releases of the last two years (1.32 shipped in December 2024) that the
# pinned kubernetes-validate carries schemas for.
K8S_OLDEST = (1, 32)
K8S_VERSIONS = sorted(
    {v for v in kubernetes_validate.utils.all_versions() if tuple(int(p) for p in v.split(".")[:2]) >= K8S_OLDEST},
    key=lambda v: tuple(int(p) for p in v.split(".")),
)

# What each cloud's Terraform must define.
EXPECTED_RESOURCES: dict[str, set[str]] = {
    "aws": {
        "aws_s3_bucket",
        "aws_s3_bucket_versioning",
        "aws_s3_bucket_server_side_encryption_configuration",
        "aws_s3_bucket_public_access_block",
        "aws_s3_bucket_lifecycle_configuration",
        "aws_kms_key",
        "aws_ecr_repository",
        "aws_ecr_lifecycle_policy",
        "aws_iam_openid_connect_provider",
        "aws_iam_role",
        "aws_eks_cluster",
        "aws_eks_node_group",
        "aws_eks_access_entry",
        "aws_eks_access_policy_association",
    },
    "gcp": {
        "google_storage_bucket",
        "google_kms_crypto_key",
        "google_artifact_registry_repository",
        "google_iam_workload_identity_pool",
        "google_iam_workload_identity_pool_provider",
        "google_service_account",
        "google_service_account_iam_member",
        "google_container_cluster",
        "google_container_node_pool",
    },
    "azure": {
        "azurerm_resource_group",
        "azurerm_storage_account",
        "azurerm_storage_container",
        "azurerm_storage_management_policy",
        "azurerm_container_registry",
        "azurerm_user_assigned_identity",
        "azurerm_federated_identity_credential",
        "azurerm_role_assignment",
        "azurerm_kubernetes_cluster",
        "azurerm_kubernetes_cluster_node_pool",
        "azurerm_log_analytics_workspace",
    },
}
COMMON_OUTPUTS = {"dvc_remote_url", "mlflow_artifact_root", "image_registry_url", "cluster_name", "k8s_namespace"}
CI_OUTPUTS = {
    "aws": {"ci_role"},
    "gcp": {"ci_service_account", "ci_workload_identity_provider"},
    "azure": {"ci_client_id", "tenant_id"},
}
REMOTE_SCHEMES = {"aws": "s3://", "gcp": "gs://", "azure": "azure://"}
BACKENDS = {"aws": "s3", "gcp": "gcs", "azure": "azurerm"}
# A bad value per variable, the words its error must contain; checked against every root.
BAD_VALUES: dict[str, list[tuple[str, str, str]]] = {
    "common": [
        ("environment", "dev", 'environment must be "staging" or "prod"'),
        ("project", "Churn_Prediction", "project must be 3-32 lowercase"),
        ("ci_system", "jenkins", "ci_system must be github, gitlab or none"),
        ("repository", "no-owner", "repository must look like owner/name"),
        ("noncurrent_version_days", "0", "noncurrent_version_days must be between 1 and 3650"),
        ("node_count_max", "0", "node_count_max must be"),
    ],
    "aws": [
        ("region", "europe-west1", "region must be an AWS region"),
        ("subnet_ids", '["subnet-0123456789abcdef0"]', "subnet_ids must list at least two"),
        ("cluster_public_access_cidrs", '["0.0.0.0/0"]', "may not be 0.0.0.0/0"),
        ("kubernetes_version", "1.33.2", "kubernetes_version must be a minor version"),
    ],
    "gcp": [
        ("region", "eu-west-1", "region must be a Google Cloud region"),
        ("project_id", "My Project", "project_id must be a Google Cloud project ID"),
        ("master_ipv4_cidr_block", "172.16.0.0/24", "must be a /28 CIDR block"),
        ("cluster_authorized_networks", '["0.0.0.0/0"]', "may not be 0.0.0.0/0"),
    ],
    "azure": [
        ("location", "West Europe", "location must be an Azure region name"),
        ("subscription_id", "not-a-guid", "subscription_id must be a subscription GUID"),
        ("subnet_id", "aks-subnet", "subnet_id must be a subnet resource ID"),
        ("name_suffix", "TooLong99", "name_suffix must be at most 6"),
        ("allowed_ip_ranges", '["0.0.0.0/0"]', "may not be 0.0.0.0/0"),
    ],
}

_BAKES: dict[tuple[tuple[str, str], ...], Path] = {}


@pytest.fixture(scope="module")
def baked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """bake(combo) -> project folder, baked once per combination and worker."""

    def get(combo: Mapping[str, str]) -> Path:
        key = tuple(sorted(combo.items()))
        if key not in _BAKES:
            root = bake(tmp_path_factory.mktemp("infra"), **combo)
            if combo.get("ci") == "github":
                # actionlint finds local actions relative to the repository root.
                subprocess.run(["git", "init", "--quiet"], cwd=root, check=True)
            _BAKES[key] = root
        return _BAKES[key]

    yield get


def tool(name: str) -> str:
    """A command-line tool from the template's venv or PATH, or skip the test."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (the template's test extra or PATH provides it)")
    return found


def tool_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    # Terraform: no CLI config of this machine, no prompts, no checkpoint calls.
    env.update(TF_CLI_CONFIG_FILE=os.devnull, TF_IN_AUTOMATION="1", TF_INPUT="0", CHECKPOINT_DISABLE="1")
    return env


def unquote(value: str) -> str:
    return value.strip('"')


def load_hcl(folder: Path) -> dict[str, list[Any]]:
    """Every .tf file of one folder parsed and merged by block type."""
    merged: dict[str, list[Any]] = {}
    for path in sorted(folder.glob("*.tf")):
        with path.open() as handle:
            for block, items in hcl2.load(handle).items():
                merged.setdefault(block, []).extend(items)
    return merged


def names(blocks: list[dict[str, Any]]) -> set[str]:
    return {unquote(name) for block in blocks for name in block}


def resource_types(module: dict[str, list[Any]]) -> set[str]:
    return {unquote(kind) for block in module.get("resource", []) for kind in block}


@functools.cache
def _strict_schema(version: str, kind: str, api_version: str) -> Any:
    """The strict schema of one kind, with its definitions, loaded once per test process."""
    import jsonschema
    import referencing

    group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    folder = f"kubernetes-json-schema/v{version}-local-strict"
    schema = kubernetes_validate.utils.schema_contents(f"{folder}/{kind.lower()}-{group}.json", version)
    definitions = kubernetes_validate.utils.schema_contents(f"{folder}/_definitions.json", version)
    registry = referencing.Registry().with_resources(
        [(schema.get("$id", ""), referencing.Resource.from_contents(schema)),
         (definitions.get("$id", ""), referencing.Resource.from_contents(definitions))]
    )  # fmt: skip
    return jsonschema.Draft202012Validator(schema, registry=registry)


def strict_errors(resource: dict[str, Any], version: str) -> list[str]:
    """What kubernetes-validate --strict reports for one resource on one Kubernetes version."""
    validator = _strict_schema(version, resource["kind"], resource["apiVersion"])
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(resource)]


def render(kustomization: Path) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed: kustomize overlays cannot be rendered")
    output = run([kubectl, "kustomize", str(kustomization)], cwd=kustomization, env=tool_env())
    resources = [doc for doc in yaml.safe_load_all(output) if doc]
    assert resources, f"{kustomization} renders nothing"
    return resources


def by_kind(resources: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    found = [r for r in resources if r["kind"] == kind and (name is None or r["metadata"]["name"] == name)]
    assert len(found) == 1, (kind, name, len(found))
    return found[0]


def pod_specs(resources: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for r in resources:
        spec = r.get("spec", {})
        if r["kind"] in {"Deployment", "Job"}:
            yield r["metadata"]["name"], spec["template"]["spec"]
        elif r["kind"] == "CronJob":
            yield r["metadata"]["name"], spec["jobTemplate"]["spec"]["template"]["spec"]


# --------------------------------------------------------------------------------------------
# Files each answer leaves
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("combo", [grouped_param(c, "infra") for c in INFRA_COMBOS])
def test_infra_files_follow_the_answers(baked: Any, combo: dict[str, str]) -> None:
    root = baked(combo)
    terraform = root / "infra" / "terraform"
    clouds = sorted(p.name for p in terraform.iterdir()) if terraform.exists() else []
    assert clouds == ([] if combo["cloud"] == "none" else [combo["cloud"]])
    assert (root / "infra" / "k8s" / "base" / "kustomization.yaml").is_file()
    assert (root / "infra" / "README.md").is_file()
    assert (root / "pipelines" / "Dockerfile").is_file()
    mlflow = root / "infra" / "k8s" / "components" / "mlflow-server"
    assert mlflow.exists() == (combo.get("experiment_tracking", "mlflow") == "mlflow")
    assert (root / ".github" / "workflows").exists() == (combo["ci"] == "github")
    assert (root / ".github" / "actions").exists() == (combo["ci"] == "github")
    assert (root / ".gitlab-ci.yml").exists() == (combo["ci"] == "gitlab")


# --------------------------------------------------------------------------------------------
# Terraform
# --------------------------------------------------------------------------------------------

TF_COMBOS = [grouped_param(c, "infra") for c in INFRA_COMBOS if c["cloud"] != "none"]


@pytest.mark.parametrize("combo", TF_COMBOS)
def test_terraform_is_formatted(baked: Any, combo: dict[str, str]) -> None:
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("terraform is not installed: fmt -check not run")
    root = baked(combo)
    run([terraform, "fmt", "-check", "-recursive", "-diff", "infra/terraform"], cwd=root, env=tool_env())


@pytest.mark.parametrize("combo", TF_COMBOS)
def test_terraform_defines_what_pipeline_and_ci_need(baked: Any, combo: dict[str, str]) -> None:
    cloud = combo["cloud"]
    tree = baked(combo) / "infra" / "terraform" / cloud
    modules = {folder.name: load_hcl(folder) for folder in sorted((tree / "modules").iterdir())}
    assert set(modules) == {"storage", "registry", "ci_identity", "cluster"}
    root = load_hcl(tree)
    defined = set().union(*(resource_types(m) for m in [*modules.values(), root]))
    assert EXPECTED_RESOURCES[cloud] <= defined, EXPECTED_RESOURCES[cloud] - defined

    outputs = {unquote(n): body for block in root["output"] for n, body in block.items()}
    assert COMMON_OUTPUTS | CI_OUTPUTS[cloud] <= set(outputs)
    assert unquote(outputs["dvc_remote_url"]["value"]).startswith(REMOTE_SCHEMES[cloud])
    assert all(unquote(o.get("description", "")) for o in outputs.values()), "an output lacks a description"
    # Partial backend: the block is empty, the values live in envs/<env>.backend.hcl.
    (settings,) = root["terraform"]
    (backend,) = settings["backend"]
    (kind,) = [unquote(k) for k in backend]
    assert kind == BACKENDS[cloud]
    assert set(backend[next(iter(backend))]) <= {"__is_block__"}, "the backend block must stay partial"

    # One root, one values file and one state per environment.
    assert sorted(p.name for p in (tree / "envs").iterdir()) == sorted(
        f"{env}{suffix}" for env in ("staging", "prod") for suffix in (".tfvars", ".backend.hcl")
    )
    backends = {}
    for env in ("staging", "prod"):
        with (tree / "envs" / f"{env}.backend.hcl").open() as handle:
            backends[env] = hcl2.load(handle)
        assert backends[env], f"{env}.backend.hcl is empty"
        with (tree / "envs" / f"{env}.tfvars").open() as handle:
            tfvars = hcl2.load(handle)
        assert unquote(tfvars["environment"]) == env
    assert backends["staging"] != backends["prod"], "staging and prod must not share a state"

    for folder, module in [*(("modules/" + k, v) for k, v in modules.items()), ("root", root)]:
        for block in module.get("variable", []):
            for name, body in block.items():
                assert "type" in body and unquote(body.get("description", "")), f"{folder}: variable {name}"

    root_variables = {unquote(n): b for block in root["variable"] for n, b in block.items()}
    for name in ("environment", "project", "region" if cloud != "azure" else "location", "repository", "ci_system"):
        assert root_variables[name].get("validation"), f"root variable {name} has no validation block"


@pytest.mark.parametrize("combo", TF_COMBOS)
def test_checkov_skips_give_a_reason(baked: Any, combo: dict[str, str]) -> None:
    tree = baked(combo) / "infra" / "terraform" / combo["cloud"]
    for path in tree.rglob("*.tf"):
        for line in path.read_text().splitlines():
            if "checkov:skip" in line:
                assert re.search(r"checkov:skip=CKV2?_[A-Z0-9]+_\d+:\S.{20,}", line), f"{path}: {line.strip()}"


@pytest.mark.parametrize("combo", TF_COMBOS)
def test_terraform_rejects_bad_variable_values(baked: Any, combo: dict[str, str], tmp_path: Path) -> None:
    """The root's own variables.tf, evaluated by terraform in a provider-free module.

    Good values (each environment's envs/<env>.tfvars) plan cleanly; each bad value fails the
    plan with its validation message. Exercises the real validation blocks, not a copy.
    """
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("terraform is not installed: variable validation not exercised")
    cloud = combo["cloud"]
    env = tool_env()
    root = baked(combo) / "infra" / "terraform" / cloud
    for environment in ("staging", "prod"):
        work = tmp_path / environment
        work.mkdir()
        shutil.copy(root / "variables.tf", work / "variables.tf")
        shutil.copy(root / "envs" / f"{environment}.tfvars", work / "terraform.tfvars")
        run([terraform, "init", "-input=false", "-no-color"], cwd=work, env=env)
        run([terraform, "validate", "-no-color"], cwd=work, env=env)
        run([terraform, "plan", "-input=false", "-no-color", "-lock=false"], cwd=work, env=env)
        for name, value, message in BAD_VALUES["common"] + BAD_VALUES[cloud]:
            result = subprocess.run(
                [terraform, "plan", "-input=false", "-no-color", "-lock=false", "-var", f"{name}={value}"],
                cwd=work,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert result.returncode != 0, f"{environment}: {name}={value} was accepted"
            assert "Invalid value for variable" in result.stderr, result.stderr
            assert message in " ".join(result.stderr.split()), f"{name}={value}: {result.stderr}"


@pytest.mark.generated
@pytest.mark.parametrize("combo", TF_COMBOS)
def test_terraform_root_validates_where_providers_install(baked: Any, combo: dict[str, str], tmp_path: Path) -> None:
    """`terraform validate` of the real root. It needs the providers: where they cannot be
    downloaded (as on the template's own CI machine), the test skips and says so."""
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("terraform is not installed: root not validated")
    root = tmp_path / combo["cloud"]
    shutil.copytree(baked(combo) / "infra" / "terraform" / combo["cloud"], root)
    env = {**tool_env(), "TF_PLUGIN_CACHE_DIR": str(tmp_path / "plugins")}
    (tmp_path / "plugins").mkdir()
    init = subprocess.run(
        [terraform, "init", "-backend=false", "-input=false", "-no-color"],
        cwd=root, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if init.returncode != 0:
        reason = next((line for line in init.stderr.splitlines() if "registry" in line or "provider" in line), "")
        pytest.skip(f"terraform providers cannot be installed here, root not validated: {reason.strip()[:200]}")
    run([terraform, "validate", "-no-color"], cwd=root, env=env)


# --------------------------------------------------------------------------------------------
# Kubernetes
# --------------------------------------------------------------------------------------------

K8S_COMBOS = [grouped_param(c, "infra") for c in INFRA_COMBOS]


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
    } <= kinds
    assert {r["metadata"].get("namespace") for r in resources} == {f"{root.name}-staging"}

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


# --------------------------------------------------------------------------------------------
# CI files
# --------------------------------------------------------------------------------------------

# A full commit SHA, and the release it is in as a comment (tests/test_ci_security.py checks more).
PINNED_ACTION = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")


@pytest.mark.parametrize("combo", [grouped_param(c, "infra") for c in CI_COMBOS if c["ci"] == "github"])
def test_github_workflows_lint_clean(baked: Any, combo: dict[str, str]) -> None:
    root = baked(combo)
    env = tool_env()
    run([tool("actionlint"), "-color=false"], cwd=root, env=env)
    workflows = sorted(str(p) for p in (root / ".github" / "workflows").glob("*.yml"))
    assert [Path(w).name for w in workflows] == ["ci.yml", "pipeline.yml", "release.yml", "service.yml"]
    checker = tool("check-jsonschema")
    run([checker, "--builtin-schema", "vendor.github-workflows", *workflows], cwd=root, env=env)
    actions = sorted(str(p) for p in (root / ".github" / "actions").glob("*/action.yml"))
    run([checker, "--builtin-schema", "vendor.github-actions", *actions], cwd=root, env=env)


@pytest.mark.parametrize("combo", [grouped_param(c, "infra") for c in CI_COMBOS if c["ci"] == "github"])
def test_github_workflows_are_least_privilege_pinned_and_cached(baked: Any, combo: dict[str, str]) -> None:
    root = baked(combo)
    for path in sorted((root / ".github").rglob("*.yml")):
        document = yaml.safe_load(path.read_text())
        uses = re.findall(r"uses:\s*(\S+(?: # \S+)?)", path.read_text())
        for ref in uses:
            assert ref.startswith("./") or PINNED_ACTION.match(ref), f"{path.name}: {ref} is not pinned to a release"
        if path.parent.name != "workflows":
            continue
        assert document["permissions"] == {"contents": "read"}, path.name
        assert "group" in document["concurrency"], path.name
        for name, job in document["jobs"].items():
            granted = job.get("permissions", {})
            assert set(granted.values()) <= {"read", "write"} and granted.get("contents", "read") == "read", (
                path.name,
                name,
            )
            assert "timeout-minutes" in job, (path.name, name)
    text = (root / ".github" / "workflows" / "ci.yml").read_text()
    assert "enable-cache: true" in text and "make check" in text
    deploy = yaml.safe_load((root / ".github" / "workflows" / "release.yml").read_text())
    assert deploy["jobs"]["prod"]["needs"] == ["champion", "staging"]
    assert deploy["jobs"]["prod"]["environment"] == "prod"
    writes = {k for job in deploy["jobs"].values() for k, v in job["permissions"].items() if v == "write"}
    assert writes == ({"packages"} if combo["cloud"] == "none" else {"id-token"})


@pytest.mark.parametrize("combo", [grouped_param(c, "infra") for c in CI_COMBOS if c["ci"] == "gitlab"])
def test_gitlab_ci_matches_its_schema(baked: Any, combo: dict[str, str]) -> None:
    root = baked(combo)
    run([tool("check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci", ".gitlab-ci.yml"], cwd=root, env=tool_env())
    document = yaml.safe_load((root / ".gitlab-ci.yml").read_text())
    assert document["stages"] == ["check", "pipeline", "build", "deploy"]
    assert document["deploy-prod"]["rules"][0]["when"] == "manual"
    assert document["deploy-prod"]["environment"]["name"] == "prod"
    assert (root / ".gitlab" / "CODEOWNERS").is_file()


# --------------------------------------------------------------------------------------------
# checkov: once per bake, every framework
# --------------------------------------------------------------------------------------------


def checkov_requirement() -> str:
    """The checkov pin of the template's pyproject (extra `infra-scan`), run in its own environment."""
    extras = tomllib.loads((TEMPLATE_DIR / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    (requirement,) = [r for r in extras["infra-scan"] if r.startswith("checkov==")]
    return requirement


@pytest.mark.generated
@pytest.mark.parametrize("combo", K8S_COMBOS)
def test_checkov_finds_nothing_to_fix(baked: Any, combo: dict[str, str]) -> None:
    root = baked(combo)
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed: checkov's kustomize framework would be skipped silently")
    command = [
        tool("uv"), "tool", "run", "--python", sys.executable, "--from", checkov_requirement(), "checkov",
        "--directory", ".", "--skip-download", "--output", "json", "--compact",
    ]  # fmt: skip
    result = subprocess.run(command, cwd=root, env=tool_env(), capture_output=True, text=True, timeout=900)
    assert result.stdout.strip().startswith(("[", "{")), result.stderr[-4000:]
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    counts = {r["check_type"]: r["summary"] for r in reports}
    failed = [
        f"{r['check_type']}: {c['check_id']} {c['resource']} ({c['file_path']})"
        for r in reports
        for c in r["results"].get("failed_checks", [])
    ]
    summary = ", ".join(f"{k} {v['passed']}/{v['failed']}/{v['skipped']}" for k, v in sorted(counts.items()))
    print(f"checkov {combo_id(combo)} passed/failed/skipped: {summary}")
    expected = {"terraform"} if combo["cloud"] != "none" else set()
    expected |= {"kubernetes", "kustomize", "dockerfile"}
    expected |= {"github": {"github_actions"}, "gitlab": {"gitlab_ci"}, "none": set()}[combo["ci"]]
    assert expected <= set(counts), f"frameworks missing from the scan: {expected - set(counts)}"
    assert not any(v.get("parsing_errors") for v in counts.values()), counts
    assert not failed, "\n".join(failed)
    assert result.returncode == 0, result.stderr[-4000:]
