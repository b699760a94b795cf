"""Generated tier: bake, set up and run a project's own checks and pipeline, as its team would.

Each combination is baked and set up once per worker (module-scoped fixture) and committed,
so the checks run on the project's first commit. `make test` runs this tier too.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from harness import (
    COMBINATIONS,
    Project,
    bake,
    baked_path,
    combo_id,
    find_interpreter,
    free_port,
    project_env,
    run,
    serve,
    setup,
)

pytestmark = pytest.mark.generated


@dataclass
class SetUpProject(Project):
    """A bake set up and committed once per worker, shared by this module's tests, which may train it."""

    reproduced: bool = field(default=False)
    # Seconds per day-one step (bake, setup, check), reported by test_make_check_passes_on_the_first_commit.
    seconds: dict[str, float] = field(default_factory=dict)

    def repro(self) -> str:
        output = self.run("make repro")
        self.reproduced = True
        return output


# Named combinations (harness.COMBINATIONS) baked and set up here, and whether the pipeline tier runs on them too.
PIPELINE_TOO: dict[str, bool] = {
    "defaults": True,
    "gcp-gitlab-no-tracking-py3.13": True,
    "azure-no-ci-py3.11": False,
}
# Answers beyond the named combination: a name whose folder takes all 32 characters the hooks allow must
# still format and lint cleanly, and text answers with quotes and backslashes (written escaped into
# TOML, YAML, JSON and Markdown) must leave the project green (tests/test_names.py parses them back).
EXTRA_ANSWERS: dict[str, dict[str, str]] = {
    "azure-no-ci-py3.11": {
        "project_name": 'Seabird "Census" Forecasting\\Lab X',
        "description": 'Ada\'s "v2": counts from C:\\ surveys & *more* <b>',
        "author_name": 'Ada "Countess" O\'Brien \\ Lovelace',
        "author_email": '"ada\\"lovelace"@example.com',
    }
}


def answers_for(name: str) -> dict[str, str]:
    return {**COMBINATIONS[name], **EXTRA_ANSWERS.get(name, {})}


def combo_params(pipeline_only: bool = False) -> list[object]:
    return [
        pytest.param(name, id=combo_id(COMBINATIONS[name]), marks=pytest.mark.xdist_group(name))
        for name, pipeline in PIPELINE_TOO.items()
        if pipeline or not pipeline_only
    ]


@pytest.fixture(scope="module")
def projects() -> dict[str, SetUpProject]:
    return {}


def get_project(name: str, projects: dict[str, SetUpProject], cookies_session) -> SetUpProject:  # noqa: ANN001
    """Bake, `make setup` and commit a combination once per worker."""
    if name not in projects:
        answers = answers_for(name)
        version = answers.get("python_version", "3.12")
        if find_interpreter(version) is None:
            pytest.skip(f"no Python {version} interpreter on this machine (looked under `uv python find`)")
        started = time.perf_counter()
        root = baked_path(cookies_session.bake(extra_context=answers))
        project = SetUpProject(root=root, env=project_env(version))
        project.seconds["bake"] = time.perf_counter() - started
        started = time.perf_counter()
        setup(project.root, project.env)
        project.seconds["setup"] = time.perf_counter() - started
        project.run("git -c user.name=ci -c user.email=ci@example.com commit --quiet --message 'First commit'")
        projects[name] = project
    return projects[name]


@pytest.fixture
def project(
    request: pytest.FixtureRequest,
    projects: dict[str, SetUpProject],
    cookies_session,  # noqa: ANN001
) -> SetUpProject:
    return get_project(request.param, projects, cookies_session)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("project", combo_params(), indirect=True)
def test_make_check_passes_on_the_first_commit(
    request: pytest.FixtureRequest,
    project: SetUpProject,
    record_property,  # noqa: ANN001
) -> None:
    """Green on the first commit: `make check`, and on the combinations whose pipeline runs here the slow tier of
    its tests too (`make test-slow`: the rest of `make check-all`, as its CI runs it), so every generated test runs
    once per such bake. The time to green (bake, setup, check) and the slow tier's are reported, never asserted."""
    started = time.perf_counter()
    project.run("make check")
    project.seconds["check"] = time.perf_counter() - started
    if PIPELINE_TOO[request.node.callspec.params["project"]]:
        started = time.perf_counter()
        project.run("make test-slow")
        project.seconds["test_slow"] = time.perf_counter() - started
    for step, seconds in project.seconds.items():  # printed in the run's summary by conftest.py
        record_property(f"seconds_{step}", round(seconds, 1))


@pytest.mark.parametrize("project", combo_params(), indirect=True)
def test_pre_commit_twice_changes_nothing(project: SetUpProject) -> None:
    project.run("uv run --no-sync pre-commit run --all-files")
    project.run("uv run --no-sync pre-commit run --all-files")
    assert project.run("git status --porcelain --untracked-files=no") == ""


@pytest.mark.parametrize("project", combo_params(pipeline_only=True), indirect=True)
def test_repro_writes_every_output(project: SetUpProject) -> None:
    project.repro()
    root = project.root
    assert (root / "dvc.lock").is_file()
    metrics = json.loads((root / "reports/metrics.json").read_text())
    headline = {"accuracy", "f1_macro", "roc_auc_ovr", "log_loss"}
    # Each metric beside the baseline's (a Dummy model on the same split), which the model beats.
    assert set(metrics) == headline | {f"baseline_{name}" for name in headline}
    assert metrics["f1_macro"] > metrics["baseline_f1_macro"]
    for image in [
        "plots/roc_curve.png",
        "plots/confusion_matrix.png",
        "plots/feature_importance.png",
        "drift/drift.png",
    ]:
        assert (root / "reports" / image).read_bytes()[:4] == b"\x89PNG", image
    card = json.loads((root / "models/model_card.json").read_text())
    assert card["sha256"] == sha256(root / "models/model.onnx")
    assert card["version"] == card["sha256"][:12]
    assert card["parity"]["max_abs_diff"] <= 1e-5
    # The first model clears the floor and becomes the champion: the folder images are built from.
    assert sha256(root / "models/champion/model.onnx") == card["sha256"]
    # Quarantined: the rows of the data that core's per-row contract refuses, counted here from the contract.
    count = (
        f"from {project.package}_core.contract import find_violations\n"
        f"from {project.package}_core.dataset import iter_records\n"
        "print(sum(bool(find_violations(row)) for row in iter_records()))"
    )
    refused = int(project.run(f"uv run --no-sync python -c '{count}'").strip())
    assert refused > 0  # the bundled data carries bad rows, so quarantine is exercised
    assert json.loads((root / "reports/validation.json").read_text())["quarantined_rows"] == refused


@pytest.mark.parametrize("project", combo_params(pipeline_only=True), indirect=True)
def test_the_registry_matches_the_tracking_option(project: SetUpProject) -> None:
    if not project.reproduced:
        project.repro()
    record = json.loads((project.root / "reports/registry.json").read_text())
    assert (record["outcome"], record["promoted"], record["champion_score"]) == ("first", True, None)
    if project.answers.get("experiment_tracking", "mlflow") == "mlflow":
        contract = json.loads((project.root / "models/model_card.json").read_text())["contract"]
        assert record["model_name"] == f"{project.root.name}-{contract[:8]}"
        assert (record["alias"], record["alias_version"]) == ("champion", "1")
        assert (project.root / "mlflow.db").is_file()
    else:
        assert "mlflow" not in project.run("uv pip list --format freeze").lower()
        # Without a registry server the champion is committed to git, not hidden in DVC's cache.
        assert project.run("git check-ignore models/champion/model.onnx || echo not-ignored").strip() == "not-ignored"


@pytest.mark.parametrize("project", combo_params(pipeline_only=True), indirect=True)
def test_a_second_repro_runs_nothing(project: SetUpProject) -> None:
    if not project.reproduced:
        project.repro()
    output = project.run("make repro")
    assert "Running stage" not in output
    assert "didn't change, skipping" in output


@pytest.mark.parametrize("project", combo_params(pipeline_only=True), indirect=True)
def test_a_forced_rerun_reproduces_metrics_and_model_card(project: SetUpProject) -> None:
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
def test_push_then_pull_restores_every_output_byte_for_byte(project: SetUpProject) -> None:
    if not project.reproduced:
        project.repro()
    # Every file of the cached outputs (metrics JSON and DVC's .gitignore bookkeeping belong to git).
    committed = project.root / "models/champion"  # without MLflow the champion belongs to git
    outputs = {
        p: sha256(p)
        for folder in ["data", "models", "reports/plots", "reports/drift"]
        for p in (project.root / folder).rglob("*")
        if p.is_file()
        and p.name != ".gitignore"
        and not (project.answers.get("experiment_tracking") == "none" and p.is_relative_to(committed))
    }
    project.run("uv run --no-sync dvc push")
    shutil.rmtree(project.root / ".dvc" / "cache")
    for path in outputs:
        path.unlink()
    project.run("uv run --no-sync dvc pull")
    assert {p: sha256(p) for p in outputs if p.exists()} == outputs


def run_failing(project: SetUpProject, command: str, env: dict[str, str] | None = None) -> str:
    """Run a command that must fail; return its combined output."""
    result = subprocess.run(
        command, cwd=project.root, env=env or project.env, shell=True, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, timeout=900,
    )  # fmt: skip
    assert result.returncode != 0, f"`{command}` should have failed:\n{result.stdout[-4000:]}"
    return result.stdout


def set_params(project: SetUpProject, **sections: dict[str, object]) -> None:
    params = yaml.safe_load((project.root / "params.yaml").read_text())
    for section, values in sections.items():
        for key, value in values.items():  # one level deeper too: train.linear.c keeps train.linear.max_iter
            if isinstance(value, dict):
                params[section][key].update(value)
            else:
                params[section][key] = value
    (project.root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


class Payload:
    """Unpickling this creates its marker file: proof that something executed the pickle."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[Path]]:
        return Path.touch, (self.marker,)


# Finds, with the pipeline's own split, training and metric code, a small test split on which a
# weakly regularised challenger scores higher than the champion's recorded score (so a gate that
# compared recorded scores would promote it) although the champion is at least as good on those rows.
EASIER_SPLIT_SCAN = """
import json, sys
import pyarrow.parquet as pq
from {package}_core import FEATURE_COLUMNS, TARGET
from {package}_pipelines.scoring import classification_metrics
from {package}_pipelines.split import train_test_rows
from {package}_pipelines.train import fit

table = pq.read_table("data/validated/records.parquet")
frame = table.to_pandas()
def part(test_size, seed):
    train, test = train_test_rows(table.column(TARGET), test_size, seed)
    return frame.iloc[train], frame.iloc[test]
def f1(model, rows):
    probabilities = model.predict_proba(rows[list(FEATURE_COLUMNS)])
    return classification_metrics(rows[TARGET], probabilities, model.classes_)["f1_macro"]
train, test = part(0.25, 42)
champion = fit(train, c=0.1, max_iter=500, seed=42)
recorded = f1(champion, test)
for seed in range(1, 200):
    train, test = part(0.05, seed)
    own = f1(fit(train, c=0.01, max_iter=500, seed=42), test)
    if own > recorded and f1(champion, test) >= own:
        print(json.dumps({{"seed": seed, "recorded": recorded, "own": own}}))
        sys.exit(0)
sys.exit("no split found")
"""


@pytest.mark.parametrize("project", combo_params(pipeline_only=True), indirect=True)
def test_only_a_gated_model_reaches_the_champion_folder(project: SetUpProject, tmp_path: Path) -> None:
    """Issue 9's findings: a weaker model on an easier split, and one below the floor, never ship."""
    if not project.reproduced:
        project.repro()
    root, folder = project.root, project.root / "models/champion"
    saved = {path.name: path.read_bytes() for path in folder.iterdir()}
    params = (root / "params.yaml").read_text()
    env = dict(project.env)
    if project.answers.get("experiment_tracking", "mlflow") == "mlflow":
        env["MLFLOW_TRACKING_URI"] = f"sqlite:///{tmp_path / 'gate.db'}"  # a registry line of this test's own
    else:
        shutil.rmtree(folder)  # the committed champion is replaced by this test's own
    scan = json.loads(
        run(["uv", "run", "--no-sync", "python", "-c", EASIER_SPLIT_SCAN.format(package=project.package)], root, env)
    )
    try:
        set_params(project, train={"linear": {"c": 0.1}})
        run("make repro", root, env)
        assert json.loads((root / "reports/registry.json").read_text())["outcome"] == "first"
        shipped = sha256(folder / "model.onnx")

        set_params(project, train={"linear": {"c": 0.01}}, split={"test_size": 0.05, "seed": scan["seed"]})
        run("make repro", root, env)
        record = json.loads((root / "reports/registry.json").read_text())
        own = json.loads((root / "reports/metrics.json").read_text())["f1_macro"]
        # Judged by the champion's recorded score the challenger would win; on the same rows it does not.
        assert own > json.loads((folder / "model_card.json").read_text())["metrics"]["f1_macro"]
        assert (record["outcome"], record["promoted"]) == ("kept", False), record
        assert record["champion_score"] >= record["challenger_score"] == pytest.approx(own, abs=1e-6)
        rows = run(
            [
                "uv",
                "run",
                "--no-sync",
                "python",
                "-c",
                "import pandas; print(len(pandas.read_parquet('data/split/test.parquet')))",
            ],
            root,
            env,
        )
        assert record["evaluation_rows"] == int(rows)
        assert sha256(folder / "model.onnx") == shipped

        set_params(project, train={"linear": {"c": 0.0001}})
        output = run_failing(project, "make repro", env)
        assert "misses the floor" in output
        assert json.loads((root / "reports/registry.json").read_text())["outcome"] == "below_floor"
        assert sha256(folder / "model.onnx") == shipped
    finally:
        (root / "params.yaml").write_text(params)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        for name, content in saved.items():
            (folder / name).write_bytes(content)
        project.run("make repro")
    assert {path.name: path.read_bytes() for path in folder.iterdir()} == saved


@pytest.mark.parametrize("project", combo_params(pipeline_only=True), indirect=True)
def test_make_champion_refuses_what_it_cannot_verify(project: SetUpProject, tmp_path: Path) -> None:
    if not project.reproduced:
        project.repro()
    if project.answers.get("experiment_tracking", "mlflow") == "mlflow":
        no_server = {key: value for key, value in project.env.items() if key != "MLFLOW_TRACKING_URI"}
        # Without a server: the local registry `make repro` wrote, verified like any other.
        assert "from sqlite:///mlflow.db -> models/champion, verified" in project.run("make champion")
        empty = {**no_server, "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'empty.db'}"}
        assert "has no 'champion' for" in run_failing(project, "make champion", empty)
    else:
        project.run("make champion")
        model = project.root / "models/champion/model.onnx"
        original = model.read_bytes()
        try:
            model.write_bytes(original[:-1])
            assert "was changed after export and is refused" in run_failing(project, "make champion")
        finally:
            model.write_bytes(original)


@pytest.mark.parametrize("project", combo_params(pipeline_only=True), indirect=True)
def test_a_tampered_remote_object_is_refused_and_never_run(project: SetUpProject, tmp_path: Path) -> None:
    if not project.reproduced:
        project.repro()
    root = project.root
    project.run("uv run --no-sync dvc push")
    lock = yaml.safe_load((root / "dvc.lock").read_text())
    md5 = next(out["md5"] for out in lock["stages"]["train"]["outs"] if out["path"].endswith(".skops"))
    # The default remote is a folder beside the repository (.dvc/config): find the object in it.
    (stored,) = root.parent.glob(f"*-dvc-storage/files/md5/{md5[:2]}/{md5[2:]}")
    original = stored.read_bytes()
    marker = tmp_path / "payload-ran"
    payload = pickle.dumps(Payload(marker))
    model = root / "models/model.skops"
    stored.chmod(0o644)
    try:
        stored.write_bytes(payload)
        shutil.rmtree(root / ".dvc" / "cache")
        model.unlink()
        assert "models/model.skops" in run_failing(project, "uv run --no-sync dvc pull")
        assert not model.exists()
        # Had it arrived anyway (a remote without verification), the stage refuses it rather than running it.
        model.write_bytes(payload)
        assert "is not a skops model file" in run_failing(project, "uv run --no-sync dvc repro --single-item export")
        assert not marker.exists()
    finally:
        stored.write_bytes(original)
        model.unlink(missing_ok=True)
        project.run("uv run --no-sync dvc pull")
        project.run("make repro")
    assert hashlib.md5(model.read_bytes()).hexdigest() == md5


@pytest.mark.parametrize("project", combo_params(pipeline_only=True), indirect=True)
def test_an_experiment_shows_in_exp_show(project: SetUpProject) -> None:
    if not project.reproduced:
        project.repro()
    # As a team would: commit the trained pipeline (dvc.lock, metrics), then experiment from it.
    project.run("git add --all && git -c user.name=ci -c user.email=ci@example.com commit --quiet -m 'Train the model'")
    project.run("uv run --no-sync dvc exp run --name low-c -S train.linear.c=0.05")
    table = json.loads(project.run("uv run --no-sync dvc exp show --json --no-pager"))
    experiments = [exp for commit in table for exp in (commit.get("experiments") or [])]
    names = {revision.get("name") for exp in experiments for revision in exp.get("revs", [])}
    assert "low-c" in names


@pytest.mark.parametrize("project", [combo_params(pipeline_only=True)[0]], indirect=True)
def test_a_real_mlflow_server_receives_the_run_and_the_model_version(project: SetUpProject, tmp_path: Path) -> None:
    import urllib.request

    if not project.reproduced:
        project.repro()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [
        str(project.root / ".venv/bin/mlflow"), "server", "--host", "127.0.0.1", "--port", str(port),
        "--backend-store-uri", f"sqlite:///{tmp_path / 'server.db'}", "--artifacts-destination", str(tmp_path / "artifacts"),
        "--workers", "1",
    ]  # fmt: skip
    with serve(command, cwd=tmp_path, env=project.env, ready_url=f"{base}/health", log=tmp_path / "mlflow.log"):
        env = {**project.env, "MLFLOW_TRACKING_URI": base}
        run(f"uv run --no-sync python -m {project.package}_pipelines register", project.root, env)
        name = json.loads((project.root / "reports/registry.json").read_text())["model_name"]
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


@pytest.mark.parametrize("project", combo_params(pipeline_only=True), indirect=True)
def test_the_cloud_remote_is_configuration_with_its_plugin_installed(project: SetUpProject) -> None:
    cloud = project.answers.get("cloud", "aws")
    scheme, plugin = {"aws": ("s3", "dvc_s3"), "gcp": ("gs", "dvc_gs"), "azure": ("azure", "dvc_azure")}[cloud]
    url = f"{scheme}://{project.root.name}-staging-artifacts/dvc"
    try:
        listing = project.run(f"make dvc-remote DVC_REMOTE_URL={url}")
        assert re.search(rf"^storage\s+{re.escape(url)}", listing, re.MULTILINE), listing
        assert project.run("uv run --no-sync dvc remote default").strip() == "storage"
        assert project.run("uv run --no-sync dvc config remote.storage.verify").strip() == "true"
        project.run(f"uv run --no-sync python -c 'import {plugin}'")
    finally:
        project.run("git checkout -- .dvc/config")  # back to the committed local remote


def test_setup_gives_a_bake_inside_an_ignored_folder_its_own_repository(tmp_path: Path) -> None:
    """As `make demo` does: the template's checkout ignores build/, so the bake needs a repository of its own."""
    if find_interpreter("3.12") is None:
        pytest.skip("no Python 3.12 interpreter on this machine")
    run("git init --quiet && printf 'build/\\n' > .gitignore", tmp_path, project_env("3.12"))
    root = bake(tmp_path / "build")
    project = Project(root=root, env=project_env("3.12"))
    setup(project.root, project.env)
    assert Path(project.run("git rev-parse --show-toplevel").strip()) == root
    assert "pyproject.toml" in project.run("git ls-files")
