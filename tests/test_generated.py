"""Generated tier: bake, set up and run a project's own checks and pipeline, as its team would.

Each combination is baked and set up once per worker (module-scoped fixture) and committed,
so the checks run on the project's first commit. `make test` runs this tier too.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from bakery import bake, find_interpreter, project_env, run

pytestmark = pytest.mark.generated


@dataclass
class Project:
    root: Path
    env: dict[str, str]
    answers: dict[str, str]
    reproduced: bool = field(default=False)

    def run(self, command: str, timeout: float = 900) -> str:
        return run(command, self.root, self.env, timeout=timeout)

    @property
    def package(self) -> str:
        return self.root.name.replace("-", "_")

    def repro(self) -> str:
        output = self.run("make repro")
        self.reproduced = True
        return output


# name -> (answers, runs the pipeline tier too)
COMBOS: dict[str, tuple[dict[str, str], bool]] = {
    "defaults": ({}, True),
    "python:3.13-cloud:gcp-ci:gitlab-experiment_tracking:none": (
        {
            "python_version": "3.13",
            "cloud": "gcp",
            "ci": "gitlab",
            "experiment_tracking": "none",
            "license": "Apache-2.0",
        },
        True,
    ),
    "python:3.11-cloud:azure-ci:none-longest-name": (
        # 32 characters: the longest name the hooks accept must still format and lint cleanly.
        {
            "python_version": "3.11",
            "cloud": "azure",
            "ci": "none",
            "license": "BSD-3-Clause",
            "project_name": "Seabird Census Forecasting Lab X",
        },
        False,
    ),
}


def combo_params(pipeline_only: bool = False) -> list[object]:
    return [
        pytest.param(name, id=name, marks=pytest.mark.xdist_group(name))
        for name, (_, pipeline) in COMBOS.items()
        if pipeline or not pipeline_only
    ]


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Project]:
    return {}


def get_project(name: str, projects: dict[str, Project], tmp_path_factory: pytest.TempPathFactory) -> Project:
    """Bake, `make setup` and commit a combination once per worker."""
    if name not in projects:
        answers = COMBOS[name][0]
        version = answers.get("python_version", "3.12")
        if find_interpreter(version) is None:
            pytest.skip(f"no Python {version} interpreter on this machine (looked under pyenv and on PATH)")
        root = bake(tmp_path_factory.mktemp(name.replace(":", "_")), **answers)
        project = Project(root=root, env=project_env(version), answers=answers)
        project.run("make setup")
        project.run("git -c user.name=ci -c user.email=ci@example.com commit --quiet --message 'First commit'")
        projects[name] = project
    return projects[name]


@pytest.fixture
def project(
    request: pytest.FixtureRequest, projects: dict[str, Project], tmp_path_factory: pytest.TempPathFactory
) -> Project:
    return get_project(request.param, projects, tmp_path_factory)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("project", combo_params(), indirect=True)
def test_make_check_passes_on_the_first_commit(project: Project) -> None:
    project.run("make check")


@pytest.mark.parametrize("project", combo_params(), indirect=True)
def test_pre_commit_twice_changes_nothing(project: Project) -> None:
    project.run("uv run --no-sync pre-commit run --all-files")
    project.run("uv run --no-sync pre-commit run --all-files")
    assert project.run("git status --porcelain --untracked-files=no") == ""


@pytest.mark.parametrize("project", combo_params(pipeline_only=True), indirect=True)
def test_repro_writes_every_output(project: Project) -> None:
    project.repro()
    root = project.root
    assert (root / "dvc.lock").is_file()
    metrics = json.loads((root / "reports/metrics.json").read_text())
    assert set(metrics) == {"accuracy", "f1_macro", "roc_auc_ovr", "log_loss"}
    assert metrics["f1_macro"] > 0.9
    for image in [
        "plots/roc_curve.png",
        "plots/confusion_matrix.png",
        "plots/feature_importance.png",
        "drift/drift.png",
    ]:
        assert (root / "reports" / image).read_bytes()[:4] == b"\x89PNG", image
    card = json.loads((root / "models/model_card.json").read_text())
    assert card["version"] == hashlib.sha256((root / "models/model.onnx").read_bytes()).hexdigest()[:12]
    assert card["parity"]["max_abs_diff"] <= 1e-5
    assert json.loads((root / "reports/validation.json").read_text())["quarantined_rows"] == 11


@pytest.mark.parametrize("project", combo_params(pipeline_only=True), indirect=True)
def test_the_registry_matches_the_tracking_option(project: Project) -> None:
    if not project.reproduced:
        project.repro()
    registry = project.root / "reports/registry.json"
    if project.answers.get("experiment_tracking", "mlflow") == "mlflow":
        record = json.loads(registry.read_text())
        assert (record["alias"], record["alias_version"], record["promoted"]) == ("champion", "1", True)
        assert (project.root / "mlflow.db").is_file()
    else:
        assert not registry.exists()
        assert "mlflow" not in project.run("uv pip list --format freeze").lower()


@pytest.mark.parametrize("project", combo_params(pipeline_only=True), indirect=True)
def test_a_second_repro_runs_nothing(project: Project) -> None:
    if not project.reproduced:
        project.repro()
    output = project.run("make repro")
    assert "Running stage" not in output
    assert "didn't change, skipping" in output


@pytest.mark.parametrize("project", combo_params(pipeline_only=True), indirect=True)
def test_a_forced_rerun_reproduces_metrics_and_model_card(project: Project) -> None:
    if not project.reproduced:
        project.repro()
    before = {
        name: sha256(project.root / name)
        for name in ["reports/metrics.json", "models/model_card.json", "models/model.onnx"]
    }
    project.run("uv run --no-sync dvc repro --force")
    after = {name: sha256(project.root / name) for name in before}
    assert after == before


@pytest.mark.parametrize("project", combo_params(pipeline_only=True), indirect=True)
def test_push_then_pull_restores_every_output_byte_for_byte(project: Project) -> None:
    if not project.reproduced:
        project.repro()
    # Every file of the cached outputs (metrics JSON and DVC's .gitignore bookkeeping belong to git).
    outputs = {
        p: sha256(p)
        for folder in ["data", "models", "reports/plots", "reports/drift"]
        for p in (project.root / folder).rglob("*")
        if p.is_file() and p.name != ".gitignore"
    }
    project.run("uv run --no-sync dvc push")
    shutil.rmtree(project.root / ".dvc" / "cache")
    for path in outputs:
        path.unlink()
    project.run("uv run --no-sync dvc pull")
    assert {p: sha256(p) for p in outputs if p.exists()} == outputs


@pytest.mark.parametrize("project", combo_params(pipeline_only=True), indirect=True)
def test_an_experiment_shows_in_exp_show(project: Project) -> None:
    if not project.reproduced:
        project.repro()
    # As a team would: commit the trained pipeline (dvc.lock, metrics), then experiment from it.
    project.run("git add --all && git -c user.name=ci -c user.email=ci@example.com commit --quiet -m 'Train the model'")
    project.run("uv run --no-sync dvc exp run --name low-c -S train.c=0.05")
    table = json.loads(project.run("uv run --no-sync dvc exp show --json --no-pager"))
    experiments = [exp for commit in table for exp in (commit.get("experiments") or [])]
    names = {revision.get("name") for exp in experiments for revision in exp.get("revs", [])}
    assert "low-c" in names


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("project", [combo_params(pipeline_only=True)[0]], indirect=True)
def test_a_real_mlflow_server_receives_the_run_and_the_model_version(project: Project, tmp_path: Path) -> None:
    import time
    import urllib.request

    if not project.reproduced:
        project.repro()
    port = free_port()
    server = subprocess.Popen(
        [
            str(project.root / ".venv/bin/mlflow"), "server", "--host", "127.0.0.1", "--port", str(port),
            "--backend-store-uri", f"sqlite:///{tmp_path / 'server.db'}", "--artifacts-destination", str(tmp_path / "artifacts"),
            "--workers", "1",
        ],
        cwd=tmp_path, env=project.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(1)
        env = {**project.env, "MLFLOW_TRACKING_URI": base}
        run(f"uv run --no-sync python -m {project.package}_pipelines register", project.root, env)
        name = project.root.name
        with urllib.request.urlopen(f"{base}/api/2.0/mlflow/registered-models/get?name={name}", timeout=10) as response:
            model = json.loads(response.read())["registered_model"]
        versions = model["latest_versions"]
        assert [v["version"] for v in versions] == ["1"]
        with urllib.request.urlopen(
            f"{base}/api/2.0/mlflow/runs/get?run_id={versions[0]['run_id']}", timeout=10
        ) as response:
            metrics = {m["key"] for m in json.loads(response.read())["run"]["data"]["metrics"]}
        assert {"accuracy", "f1_macro", "roc_auc_ovr"} <= metrics
        assert [alias["alias"] for alias in model.get("aliases", [])] == ["champion"]
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.parametrize("project", combo_params(pipeline_only=True), indirect=True)
def test_the_cloud_remote_is_configuration_with_its_plugin_installed(project: Project) -> None:
    cloud = project.answers.get("cloud", "aws")
    scheme, plugin = {"aws": ("s3", "dvc_s3"), "gcp": ("gs", "dvc_gs"), "azure": ("azure", "dvc_azure")}[cloud]
    url = f"{scheme}://{project.root.name}-staging-artifacts/dvc"
    try:
        listing = project.run(f"make dvc-remote DVC_REMOTE_URL={url}")
        assert re.search(rf"^storage\s+{re.escape(url)}", listing, re.MULTILINE), listing
        assert project.run("uv run --no-sync dvc remote default").strip() == "storage"
        project.run(f"uv run --no-sync python -c 'import {plugin}'")
    finally:
        project.run("git checkout -- .dvc/config")  # back to the committed local remote


def test_setup_gives_a_bake_inside_an_ignored_folder_its_own_repository(tmp_path: Path) -> None:
    """As `make demo` does: the template's checkout ignores build/, so the bake needs a repository of its own."""
    if find_interpreter("3.12") is None:
        pytest.skip("no Python 3.12 interpreter on this machine")
    run("git init --quiet && printf 'build/\\n' > .gitignore", tmp_path, project_env("3.12"))
    root = bake(tmp_path / "build")
    project = Project(root=root, env=project_env("3.12"), answers={})
    project.run("make setup")
    assert Path(project.run("git rev-parse --show-toplevel").strip()) == root
    assert "pyproject.toml" in project.run("git ls-files")
