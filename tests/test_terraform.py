"""Infra tier, Terraform: files per answer, formatting, resources and outputs, variable validation (offline).

`terraform validate`/`plan` of the real root need the cloud providers, which cannot be downloaded
here: that test is in the generated tier and skips without them.

Part of the infra tier (see tests/infra_checks.py for the tools). Steps whose binary is missing skip with the reason.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from harness import grouped_param, run
from infra_checks import (
    INFRA_COMBOS,
    hcl2,
    load_hcl,
    resource_types,
    tool_env,
    unquote,
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


# --------------------------------------------------------------------------------------------
# Files each answer leaves
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("combo", [grouped_param(c, "infra") for c in INFRA_COMBOS])
def test_infra_files_follow_the_answers(baked: Any, combo: dict[str, str]) -> None:
    root = baked(combo)
    terraform = root / "infra" / "terraform"
    clouds = sorted(p.name for p in terraform.iterdir() if p.is_dir()) if terraform.exists() else []
    assert clouds == ([] if combo["cloud"] == "none" else [combo["cloud"]])
    # The cloud's make target (`make dvc-remote`) goes with its Terraform root.
    assert (terraform / "dvc-remote.mk").is_file() == (combo["cloud"] != "none")
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
