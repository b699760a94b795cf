"""Bake tier: the pipeline's files follow the cloud and tracking answers (their passages come from templates/)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml
from harness import CHOICES, OPTIONS, BakeCache, combo_id, pairwise
from packaging.requirements import Requirement

# pairwise() covers every (cloud, experiment_tracking) pair; the same list as test_bake.py, so the bakes are shared.
COMBOS = pairwise(CHOICES)
VERSIONS: dict[str, str] = OPTIONS["_versions"]  # type: ignore[assignment]
# DVC's plugin for each cloud's object storage, where `make dvc-remote` points it (docs/options.md).
DVC_EXTRAS = {"aws": {"s3"}, "gcp": {"gs"}, "azure": {"azure"}, "none": set()}
# The in-cluster MLflow server's client for the cloud's artifact store; its database driver comes with every cloud.
MLFLOW_SERVER = {"aws": {"boto3"}, "gcp": {"google-cloud-storage"}, "azure": {"azure-storage-blob", "azure-identity"}}
DATABASE_DRIVER = "psycopg2-binary"


@pytest.fixture(params=COMBOS, ids=combo_id)
def combination(request: pytest.FixtureRequest, baked: BakeCache) -> tuple[str, str, Path]:
    answers: dict[str, str] = request.param
    return answers["cloud"], answers["experiment_tracking"], baked(answers)


def requirements(lines: list[str]) -> dict[str, Requirement]:
    return {req.name: req for req in map(Requirement, lines)}


def commented(text: str, line: str) -> bool:
    """Whether `line` (a YAML key line) has a comment line right above it, at its own indentation."""
    found = re.search(rf"^(?P<indent> *)# .*\n(?P=indent){re.escape(line.strip())}$", text, re.MULTILINE)
    return found is not None


def test_the_pipelines_member_depends_on_the_clouds_dvc_plugin_and_on_mlflow_when_chosen(
    combination: tuple[str, str, Path],
) -> None:
    cloud, tracking, root = combination
    project = tomllib.loads((root / "pipelines/pyproject.toml").read_text())["project"]
    needs = requirements(project["dependencies"])
    assert needs["dvc"].extras == DVC_EXTRAS[cloud], needs["dvc"]
    assert str(needs["dvc"].specifier) == f"=={VERSIONS['dvc']}"
    assert ("mlflow" in needs) == (tracking == "mlflow"), sorted(needs)
    extras = project.get("optional-dependencies", {})
    if tracking == "mlflow":
        assert set(requirements(extras["mlflow-server"])) == MLFLOW_SERVER.get(cloud, set()) | {DATABASE_DRIVER}
        assert str(needs["mlflow"].specifier) == f"=={VERSIONS['mlflow']}"
    else:
        assert extras == {}, "no MLflow server to install for"


def test_params_name_the_registry_alias_only_with_mlflow(combination: tuple[str, str, Path]) -> None:
    _, tracking, root = combination
    text = (root / "params.yaml").read_text()
    register = yaml.safe_load(text)["register"]
    if tracking == "mlflow":
        assert register["alias"] == "champion"
        assert commented(text, "  alias: champion"), "the alias lost its comment or its indentation"
    else:
        assert "alias" not in register, register


def test_the_champion_folder_is_cached_with_mlflow_and_committed_without(combination: tuple[str, str, Path]) -> None:
    _, tracking, root = combination
    text = (root / "dvc.yaml").read_text()
    outs = yaml.safe_load(text)["stages"]["register"]["outs"]
    champion = next(out["${paths.champion}"] for out in outs if isinstance(out, dict) and "${paths.champion}" in out)
    expected = {"cache": True} if tracking == "mlflow" else {"cache": False, "persist": True}
    assert champion == expected
    first = next(iter(expected))
    assert commented(text, f"          {first}: {str(expected[first]).lower()}"), "the out lost its comment"


def test_the_pipelines_readme_describes_the_chosen_remote_and_registry(combination: tuple[str, str, Path]) -> None:
    cloud, tracking, root = combination
    text = (root / "pipelines/README.md").read_text()
    assert ("`make dvc-remote ENV=staging`" in text) == (cloud != "none")
    assert ("`uv run dvc remote add -d storage <url>`" in text) == (cloud == "none")
    assert ("MLFLOW_TRACKING_URI" in text) == (tracking == "mlflow")
    assert ("the champion is committed to git" in text) == (tracking == "none")
