"""Template maintainers' helpers for the infra test modules: offline tools, HCL parsing, kustomize rendering."""

from __future__ import annotations

import functools
import os
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from harness import INFRA_SET, combinations, grouped_param, run

hcl2 = pytest.importorskip("hcl2", reason="python-hcl2 is in the template's test extra (make venv)")
kubernetes_validate = pytest.importorskip("kubernetes_validate", reason="kubernetes-validate is in the test extra")

CLOUDS = ("aws", "gcp", "azure")
# Full infra checks: every cloud value and every ci value at least once, checkov once per bake.
INFRA_COMBOS: list[dict[str, str]] = combinations(*INFRA_SET)
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


K8S_COMBOS = [grouped_param(c, "infra") for c in INFRA_COMBOS]
