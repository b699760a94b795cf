"""CI/CD security tier: what a bake's CI may run, with which identity, and what it ships.

- zizmor (offline) over the generated GitHub workflows and actions of every cloud: no
  high-severity finding, no unsuppressed medium one; a workflow with the old flaws is caught.
- Every action is pinned to a full commit SHA with its release in a comment (bakes and the
  template's own workflow); one SHA is one release everywhere.
- `uv sync --locked` everywhere (workflows, actions, GitLab CI, Dockerfiles); no image installs a
  package outside uv.lock.
- Deploys: only pushes to the default branch of the repository (or a hand-run on it or a tag),
  jobs chained with `needs:`, the service image built only from the champion that `make champion`
  verified, training without any write permission, signed in (where there is a cloud) only as the
  training identity, to pull the DVC-tracked data. The shell guards that refuse an unconfigured
  registry, data CI cannot pull or a swapped model are run, both ways.
- GitLab: deploy, image push, training and champion jobs run only on the default branch.
- Terraform: each environment's deploy identity trusts that environment's claim, not a branch;
  the training identity reaches the artifacts only; the deploy identity no longer reaches them.
- Renovate: the bake's and the template's configs validate against Renovate's schema
  (check-jsonschema), cover each kind of pin, and their regex managers match every pin they
  claim to update.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from harness import TEMPLATE_DIR, combinations, combo_id, grouped_param, run

# Each CI system's files differ by cloud (the login steps, the deploy's permissions): every cloud once.
GITHUB_COMBOS = combinations("aws-github", "gcp-github", "azure-github", "no-cloud-github")
GITLAB_COMBOS = combinations("aws-gitlab", "gcp-gitlab", "azure-gitlab", "no-cloud-gitlab")
# The release guard and the registry check differ by tracking choice.
TRACKING_COMBOS = combinations("aws-github-no-tracking", "aws-gitlab-no-tracking")

SHA_PIN = re.compile(r"^(?P<action>[\w.-]+/[\w./-]+)@(?P<sha>[0-9a-f]{40}) # (?P<version>v\d+\.\d+\.\d+)$")
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>.+?)\s*$", re.MULTILINE)
DEFAULT_BRANCH_RULE = "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"


def tool_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def extra_pin(name: str) -> str:
    """The `name==version` pin of the template's test extra."""
    extras = tomllib.loads((TEMPLATE_DIR / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    (requirement,) = [r for r in extras["test"] if r.startswith(f"{name}==")]
    return requirement


def zizmor_command() -> list[str]:
    """zizmor from the template's venv (test extra), else the same pin through `uv tool run`."""
    beside = Path(sys.executable).parent / "zizmor"
    if beside.exists():
        return [str(beside)]
    uv = Path(sys.executable).parent / "uv"
    uv_path = str(uv) if uv.exists() else shutil.which("uv")
    if uv_path is None:
        pytest.skip("neither zizmor nor uv is installed (the template's test extra provides both)")
    return [uv_path, "tool", "run", "--from", extra_pin("zizmor"), "zizmor"]


def zizmor(root: Path, *paths: str) -> list[dict[str, Any]]:
    """zizmor --offline findings (JSON) for these paths of a repository."""
    result = subprocess.run(
        [*zizmor_command(), "--offline", "--format", "json", *(paths or (".",))],
        cwd=root, env=tool_env(), capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    # Exit codes 0 and 10-14 mean "ran; findings up to that severity"; anything else is a crash.
    assert result.returncode in {0, 10, 11, 12, 13, 14}, result.stderr[-4000:]
    return json.loads(result.stdout or "[]")


def severity_counts(findings: list[dict[str, Any]]) -> dict[str, int]:
    counts = {"High": 0, "Medium": 0, "Low": 0, "Informational": 0, "Unknown": 0}
    for finding in findings:
        if not finding.get("ignored"):
            counts[finding["determinations"]["severity"]] += 1
    return counts


def describe(findings: list[dict[str, Any]], severities: set[str]) -> str:
    lines = []
    for f in findings:
        if f["determinations"]["severity"] in severities and not f.get("ignored"):
            where = f["locations"][0]["symbolic"]["key"]["Local"]["verbatim_path"]
            row = f["locations"][0]["concrete"]["location"]["start_point"]["row"] + 1
            lines.append(f"{f['ident']} ({f['determinations']['severity']}) {where}:{row}")
    return "\n".join(lines)


def workflow(root: Path, name: str) -> dict[str, Any]:
    document = yaml.safe_load((root / ".github" / "workflows" / name).read_text())
    # YAML 1.1 reads the key `on` as True.
    document["on"] = document.pop(True, document.get("on"))
    return dict(document)


def step_named(job: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    (step,) = [s for s in job["steps"] if s.get("name", "").startswith(prefix)]
    return dict(step)


def run_script(script: str, cwd: Path, env: Mapping[str, str], shell: str = "bash") -> subprocess.CompletedProcess[str]:
    return subprocess.run([shell, "-eu", "-c", script], cwd=cwd, env={"PATH": os.environ["PATH"], **env},
                          capture_output=True, text=True, timeout=60)  # fmt: skip


# --------------------------------------------------------------------------------------------
# zizmor
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("combo", [grouped_param(c, "cisec") for c in GITHUB_COMBOS])
def test_zizmor_finds_no_high_and_no_unsuppressed_medium(baked: Any, combo: dict[str, str]) -> None:
    root = baked(combo)
    findings = zizmor(root, ".github")
    counts = severity_counts(findings)
    print(f"zizmor {combo_id(combo)}: " + ", ".join(f"{k.lower()} {v}" for k, v in counts.items()))
    assert counts["High"] == 0, describe(findings, {"High"})
    assert counts["Medium"] == 0, describe(findings, {"Medium"})
    # A suppression is allowed only with its reason beside it.
    for path in sorted((root / ".github").rglob("*.yml")):
        for line in path.read_text().splitlines():
            if "zizmor: ignore" in line:
                assert re.search(r"zizmor: ignore\[[a-z-]+(?:,\s*[a-z-]+)*\]\s+\S.{15,}", line), f"{path.name}: {line}"


def test_zizmor_finds_nothing_to_fix_in_the_template_workflow() -> None:
    findings = zizmor(TEMPLATE_DIR, ".github")
    counts = severity_counts(findings)
    assert counts["High"] == counts["Medium"] == 0, describe(findings, {"High", "Medium"})


def test_zizmor_catches_the_flaws_the_release_workflow_removed(tmp_path: Path) -> None:
    """The check can fail: a deploy workflow like the old one (workflow_run, tag pins, GITHUB_ENV)."""
    folder = tmp_path / "repo" / ".github" / "workflows"
    folder.mkdir(parents=True)
    (folder / "deploy.yml").write_text(
        "name: deploy\n"
        "on:\n  workflow_run:\n    workflows: [service]\n    types: [completed]\n    branches: [main]\n"
        "permissions:\n  contents: read\n"
        "jobs:\n  staging:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - uses: actions/checkout@v6.0.1\n"
        "        with:\n          ref: ${{ github.event.workflow_run.head_sha }}\n          persist-credentials: false\n"
        "      - run: echo \"IMAGE=${{ github.event.workflow_run.head_branch }}\" >> \"$GITHUB_ENV\"\n"
    )  # fmt: skip
    subprocess.run(["git", "init", "--quiet"], cwd=tmp_path / "repo", check=True)
    findings = zizmor(tmp_path / "repo", ".github")
    high = {f["ident"] for f in findings if f["determinations"]["severity"] == "High" and not f.get("ignored")}
    assert {"dangerous-triggers", "unpinned-uses"} <= high, high


# --------------------------------------------------------------------------------------------
# Pins
# --------------------------------------------------------------------------------------------


def action_refs(paths: list[Path]) -> list[tuple[Path, str]]:
    return [(p, m.group("ref")) for p in paths for m in USES.finditer(p.read_text())]


@pytest.mark.parametrize("combo", [grouped_param(c, "cisec") for c in GITHUB_COMBOS])
def test_every_action_is_pinned_to_a_commit_sha_with_its_release(baked: Any, combo: dict[str, str]) -> None:
    root = baked(combo)
    files = sorted((root / ".github").rglob("*.yml")) + sorted((TEMPLATE_DIR / ".github" / "workflows").glob("*.yml"))
    refs = action_refs(files)
    remote = [(p, ref) for p, ref in refs if not ref.startswith("./")]
    assert remote, "no action found: the pattern no longer matches the workflows"
    releases: dict[tuple[str, str], set[str]] = {}
    for path, ref in remote:
        match = SHA_PIN.match(ref)
        assert match, f"{path.name}: `{ref}` is not `owner/repo@<40-hex SHA> # vX.Y.Z`"
        releases.setdefault((match["action"], match["sha"]), set()).add(match["version"])
    # One commit is one release: the same SHA never carries two version comments.
    assert all(len(v) == 1 for v in releases.values()), releases
    # And one action is at one commit across the repository, so an update moves all of them.
    by_action: dict[str, set[str]] = {}
    for action, sha in releases:
        by_action.setdefault(action, set()).add(sha)
    assert all(len(v) == 1 for v in by_action.values()), by_action
    local = {ref for _, ref in refs if ref.startswith("./")}
    assert local <= {"./.github/actions/cloud-login", "./.github/actions/image"}, local


# --------------------------------------------------------------------------------------------
# uv sync --locked
# --------------------------------------------------------------------------------------------


def uv_commands(text: str) -> list[str]:
    return re.findall(r"\buv (?:sync|pip install)\b[^\n]*", text)


@pytest.mark.parametrize(
    "combo", [grouped_param(c, "cisec") for c in (GITHUB_COMBOS[0], GITLAB_COMBOS[1], TRACKING_COMBOS[0])]
)
def test_uv_installs_only_what_the_lock_file_says(baked: Any, combo: dict[str, str]) -> None:
    root = baked(combo)
    ci_files = [root / ".gitlab-ci.yml"] if combo["ci"] == "gitlab" else sorted((root / ".github").rglob("*.yml"))
    dockerfiles = [root / "service" / "Dockerfile", root / "pipelines" / "Dockerfile"]
    seen = 0
    for path in [*ci_files, *dockerfiles]:
        text = path.read_text()
        for command in uv_commands(text):
            seen += 1
            assert "uv pip install" not in command, f"{path.name}: `{command}` installs outside uv.lock"
            assert "--locked" in command.split(), f"{path.name}: `{command}` may re-lock"
    assert seen >= 4, "no uv command found: the pattern no longer matches"
    for path in dockerfiles:
        # `uv.loc[k]` copies nothing when the lock is missing, and then `uv sync --locked` stops the build.
        text = path.read_text()
        assert re.search(r"^COPY pyproject\.toml uv\.loc(?:k|\[k\]) \./$", text, re.MULTILINE), f"{path}: no uv.lock"
    # Every uv command of a CI job (make verbs included) is locked too.
    if combo["ci"] == "gitlab":
        assert yaml.safe_load((root / ".gitlab-ci.yml").read_text())["variables"]["UV_LOCKED"] == "1"
    else:
        for name in ("ci.yml", "pipeline.yml", "service.yml", "release.yml"):
            assert workflow(root, name)["env"]["UV_LOCKED"] == "1", name


# --------------------------------------------------------------------------------------------
# GitHub: who deploys, from what
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("combo", [grouped_param(c, "cisec") for c in (*GITHUB_COMBOS, TRACKING_COMBOS[0])])
def test_release_runs_only_for_the_default_branch_chained_by_needs(baked: Any, combo: dict[str, str]) -> None:
    root = baked(combo)
    names = sorted(p.name for p in (root / ".github" / "workflows").glob("*.yml"))
    documents = {name: workflow(root, name) for name in names}
    for name, document in documents.items():
        assert "workflow_run" not in document["on"] and "pull_request_target" not in document["on"], name
    release = documents["release.yml"]
    assert set(release["on"]) == {"push", "workflow_dispatch"}
    assert release["on"]["push"] == {"branches": ["main"]}
    jobs = release["jobs"]
    assert list(jobs) == ["train", "champion", "staging", "prod"]
    guard = " ".join(jobs["train"]["if"].split())
    assert guard.startswith("!github.event.repository.fork && ("), guard
    assert "github.ref == format('refs/heads/{0}', github.event.repository.default_branch)" in guard
    assert "github.event_name == 'workflow_dispatch' && startsWith(github.ref, 'refs/tags/')" in guard
    # The rest hang off train through needs: no job can run without the guard passing.
    assert [jobs[j].get("needs") for j in ("champion", "staging", "prod")] == [
        "train",
        "champion",
        ["champion", "staging"],
    ]
    assert all("if" not in jobs[j] for j in ("champion", "staging", "prod"))
    assert [jobs[j]["environment"] for j in jobs] == ["training", "training", "staging", "prod"]

    # Training and the champion fetch hold no write permission; the champion fetch no cloud identity, training
    # only (with a cloud) the training identity's OIDC token, to pull the DVC-tracked data.
    assert jobs["champion"]["permissions"] == {"contents": "read"}
    assert "cloud-login" not in json.dumps(jobs["champion"])
    logins = [s for s in jobs["train"]["steps"] if s.get("uses") == "./.github/actions/cloud-login"]
    if combo["cloud"] == "none":
        assert jobs["train"]["permissions"] == {"contents": "read"}
        assert not logins
    else:
        assert jobs["train"]["permissions"] == {"contents": "read", "id-token": "write"}
        assert [login["with"]["purpose"] for login in logins] == ["training"]
    deploy_write = {"packages"} if combo["cloud"] == "none" else {"id-token"}
    for name in ("staging", "prod"):
        writes = {k for k, v in jobs[name]["permissions"].items() if v == "write"}
        assert writes == deploy_write, name

    # The model that ships: `make champion`, then the same bytes (by sha256) into the image.
    champion_runs = [s.get("run", "") for s in jobs["champion"]["steps"]]
    assert "make champion" in champion_runs
    assert not any("make repro" in r for r in champion_runs)
    for name in ("staging", "prod"):
        steps = jobs[name]["steps"]
        uses = [s.get("uses", "").split("@")[0] for s in steps]
        check = next(i for i, s in enumerate(steps) if "sha256sum --check" in s.get("run", ""))
        images = [i for i, u in enumerate(uses) if u == "./.github/actions/image"]
        assert uses.index("actions/download-artifact") < check < min(images), name
        assert not any("make repro" in s.get("run", "") for s in steps), name
    image_action = yaml.safe_load((root / ".github" / "actions" / "image" / "action.yml").read_text())
    image_runs = " ".join(s.get("run", "") for s in image_action["runs"]["steps"])
    assert "make " not in image_runs and "uv " not in image_runs, "the image action must not train or install"

    # Pull requests build and train, but hold nothing that can ship.
    for name in ("ci.yml", "pipeline.yml", "service.yml"):
        document = documents[name]
        assert "push" not in document["on"] or name == "ci.yml", name
        text = (root / ".github" / "workflows" / name).read_text()
        assert "secrets." not in text and "cloud-login" not in text, name
        for job in document["jobs"].values():
            assert "environment" not in job, name
            assert all(v == "read" for v in job.get("permissions", {}).values()), name
    service = documents["service.yml"]["jobs"]["build"]
    image_step = next(s for s in service["steps"] if s.get("uses") == "./.github/actions/image")
    assert image_step["with"]["push"] == "false"


@pytest.mark.parametrize("combo", [grouped_param(c, "cisec") for c in (GITHUB_COMBOS[0], TRACKING_COMBOS[0])])
def test_release_stops_when_the_team_registry_is_not_configured(
    baked: Any, combo: dict[str, str], tmp_path: Path
) -> None:
    """The guard step of train and champion, run by bash as the runner would."""
    root = baked(combo)
    release = workflow(root, "release.yml")
    tracking = release["env"]["TRACKING"]
    assert tracking == combo.get("experiment_tracking", "mlflow")
    for job in ("train", "champion"):
        script = step_named(release["jobs"][job], "The team's model registry is configured")["run"]
        assert release["jobs"][job]["env"]["MLFLOW_TRACKING_URI"] == "${{ vars.MLFLOW_TRACKING_URI }}"
        unset = run_script(script, tmp_path, {"TRACKING": tracking, "MLFLOW_TRACKING_URI": ""})
        if tracking == "mlflow":
            assert unset.returncode == 1, (job, unset)
            assert "::error::Set the variable MLFLOW_TRACKING_URI of the environment 'training'" in unset.stdout
        else:
            assert unset.returncode == 0, (job, unset)
        configured = run_script(
            script, tmp_path, {"TRACKING": tracking, "MLFLOW_TRACKING_URI": "https://mlflow.example"}
        )
        assert configured.returncode == 0, (job, configured)


PULL_STEP = "Pull the pipeline's DVC-tracked data"


def fake_uv(folder: Path) -> Path:
    """A `uv` on PATH that answers `uv run --no-sync dvc …` from the environment: the pull's exit code, the remote."""
    bin_dir = folder / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    uv = bin_dir / "uv"
    uv.write_text(
        "#!/bin/sh\n"
        "shift 3\n"  # run --no-sync dvc
        'case "$1" in\n'
        '  pull) shift; echo "$@" >> "$PULLED"; exit "$PULL_EXIT" ;;\n'
        '  remote) if [ "$2" = default ]; then echo "$REMOTE"; else printf \'%s\\t%s\\n\' "$REMOTE" "$REMOTE_URL"; fi ;;\n'
        "esac\n"
    )
    uv.chmod(0o755)
    return bin_dir


def pull_cases(script: str, tmp_path: Path, shell: str, error: str) -> None:
    """The pull guard in a git checkout: no DVC-tracked file, then one it pulls, then one it cannot pull."""
    checkout = tmp_path / f"checkout-{shell}"
    checkout.mkdir()
    subprocess.run(["git", "init", "--quiet"], cwd=checkout, check=True)
    env = {"PATH": f"{fake_uv(tmp_path / shell)}{os.pathsep}{os.environ['PATH']}", "PULLED": str(checkout / "pulled")}
    nothing = run_script(script, checkout, {**env, "PULL_EXIT": "1"}, shell)
    assert nothing.returncode == 0 and "the pipeline's data is in git" in nothing.stdout, nothing
    assert not (checkout / "pulled").exists()  # nothing DVC-tracked: dvc is not asked
    data = checkout / "core" / "data"
    data.mkdir(parents=True)
    (data / "team.csv.dvc").write_text("outs:\n- md5: 0\n  path: team.csv\n")
    subprocess.run(["git", "add", "core/data/team.csv.dvc"], cwd=checkout, check=True)
    pulled = run_script(script, checkout, {**env, "PULL_EXIT": "0"}, shell)
    assert pulled.returncode == 0, pulled
    assert (checkout / "pulled").read_text().split() == ["core/data/team.csv.dvc"]
    for remote, url, where in [
        ("local", "../../team-dvc-storage", "a folder on one machine (../../team-dvc-storage) that CI cannot reach"),
        ("storage", "s3://bucket/dvc", "the DVC remote 'storage' (s3://bucket/dvc)"),
        ("", "", "no DVC remote"),
    ]:
        refused = run_script(script, checkout, {**env, "PULL_EXIT": "1", "REMOTE": remote, "REMOTE_URL": url}, shell)
        assert refused.returncode == 1, (url, refused)
        message = f"{error}core/data/team.csv: tracked by DVC, and CI could not pull it from"
        assert message in refused.stdout and where in refused.stdout, (url, refused.stdout)
        assert "dvc push" in refused.stdout and ".dvc/config" in refused.stdout


@pytest.mark.parametrize("combo", [grouped_param(c, "cisec") for c in GITHUB_COMBOS])
def test_release_training_pulls_its_data_as_the_training_identity_or_says_what_to_configure(
    baked: Any, combo: dict[str, str], tmp_path: Path
) -> None:
    """The train job: (sign in as the training identity,) pull the DVC-tracked inputs, then make repro."""
    steps = workflow(baked(combo), "release.yml")["jobs"]["train"]["steps"]
    names = [step.get("name", step.get("uses", "")) for step in steps]
    pull = names.index(next(name for name in names if name.startswith(PULL_STEP)))
    repro = next(i for i, step in enumerate(steps) if step.get("run") == "make repro")
    sync = next(i for i, step in enumerate(steps) if step.get("run") == "uv sync --locked --all-packages")
    login = [i for i, step in enumerate(steps) if step.get("uses") == "./.github/actions/cloud-login"]
    assert sync < pull < repro
    assert login == ([] if combo["cloud"] == "none" else [pull - 1])
    pull_cases(steps[pull]["run"], tmp_path, "bash", "::error::")


@pytest.mark.parametrize("combo", [grouped_param(c, "cisec") for c in GITLAB_COMBOS])
def test_gitlab_training_pulls_its_data_as_the_training_identity_or_says_what_to_configure(
    baked: Any, combo: dict[str, str], tmp_path: Path
) -> None:
    document = yaml.safe_load((baked(combo) / ".gitlab-ci.yml").read_text())
    train = document["train"]
    script = train["script"]
    (pull,) = [i for i, line in enumerate(script) if isinstance(line, list) and "dvc pull" in line[0]]
    assert script.index("uv sync --locked --all-packages") < pull < script.index("make repro")
    logins = [line for line in script[:pull] if isinstance(line, str) and "CLOUD_ID_TOKEN" in line]
    if combo["cloud"] == "none":
        assert "id_tokens" not in train and not logins
    else:
        assert set(train["id_tokens"]) == {"CLOUD_ID_TOKEN"} and logins
        assert "CLOUD_IDENTITY" in " ".join(line for line in script[:pull] if isinstance(line, str))
    # Only train signs in with a token for storage; the champion fetch has none.
    assert "id_tokens" not in document["champion"]
    pull_cases(script[pull][0], tmp_path, "sh", "")


STAND_IN = "the pipeline runs on the committed sample"


@pytest.mark.parametrize("combo", [grouped_param(c, "cisec") for c in (GITHUB_COMBOS[0], GITLAB_COMBOS[0])])
def test_pull_request_previews_stand_the_committed_sample_in_for_data_they_cannot_pull(
    baked: Any, combo: dict[str, str]
) -> None:
    """No secrets, no DVC-tracked data: the sample stands in before `make repro`, and no metrics diff claims more.

    tests/test_byod.py runs the GitHub step in a clone of a `make dataset` project, then `make repro` there.
    """
    root = baked(combo)
    if combo["ci"] == "github":
        steps = workflow(root, "pipeline.yml")["jobs"]["repro"]["steps"]
        runs = [step.get("run", "") for step in steps]
        stand_in = next(i for i, text in enumerate(runs) if STAND_IN in text)
        assert runs.index("uv sync --locked --all-packages") < stand_in < runs.index("make repro")
        assert 'echo "stand-in=${stand_in}" >> "${GITHUB_OUTPUT}"' in runs[stand_in]
        summary = step_named(workflow(root, "pipeline.yml")["jobs"]["repro"], "Metrics and params")
        assert summary["env"]["STAND_IN"] == f"${{{{ steps.{steps[stand_in]['id']}.outputs.stand-in }}}}"
        branch, rest = summary["run"].split("else", 1)
        assert "On the committed sample" in branch and "metrics diff" not in branch and "metrics diff" in rest
        service = workflow(root, "service.yml")["jobs"]["build"]["steps"]
        (build,) = [step["run"] for step in service if "make repro" in step.get("run", "")]
        assert build.index(STAND_IN) < build.index("make repro")
    else:
        script = yaml.safe_load((root / ".gitlab-ci.yml").read_text())["pipeline"]["script"]
        stand_in = next(i for i, line in enumerate(script) if STAND_IN in line)
        assert script.index("uv sync --locked --all-packages") < stand_in < script.index("make repro")
        (diff,) = [line for line in script if "dvc metrics diff" in line]
        assert diff.index('if [ -n "${stand_in}" ]') < diff.index("On the committed sample") < diff.index("else")


@pytest.mark.parametrize("combo", [grouped_param(GITHUB_COMBOS[0], "cisec")])
def test_deploy_jobs_refuse_a_model_other_than_the_verified_champion(
    baked: Any, combo: dict[str, str], tmp_path: Path
) -> None:
    root = baked(combo)
    release = workflow(root, "release.yml")
    hash_script = step_named(release["jobs"]["champion"], "Hash the champion")["run"]
    check_script = step_named(release["jobs"]["staging"], "The model is the champion")["run"]
    (tmp_path / "models" / "champion").mkdir(parents=True)
    model = tmp_path / "models" / "champion" / "model.onnx"
    model.write_bytes(b"champion model bytes")
    outputs, summary = tmp_path / "outputs", tmp_path / "summary"
    env = {"GITHUB_OUTPUT": str(outputs), "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_SHA": "a" * 40}
    assert run_script(hash_script, tmp_path, env).returncode == 0
    produced = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    import hashlib

    digest = hashlib.sha256(b"champion model bytes").hexdigest()
    assert produced == {"sha256": digest, "tag": f"{'a' * 40}-{digest[:12]}"}

    same = run_script(check_script, tmp_path, {"MODEL_SHA256": digest})
    assert same.returncode == 0, same
    model.write_bytes(b"a model some job trained")
    swapped = run_script(check_script, tmp_path, {"MODEL_SHA256": digest})
    assert swapped.returncode != 0 and "FAILED" in swapped.stdout, swapped


# --------------------------------------------------------------------------------------------
# GitLab
# --------------------------------------------------------------------------------------------


def gitlab_jobs(root: Path) -> dict[str, dict[str, Any]]:
    document = yaml.safe_load((root / ".gitlab-ci.yml").read_text())
    reserved = {"workflow", "stages", "variables", "default", "include"}
    jobs = {k: v for k, v in document.items() if k not in reserved and not k.startswith(".") and isinstance(v, dict)}
    templates = {k: v for k, v in document.items() if k.startswith(".") and isinstance(v, dict)}

    def resolved(job: dict[str, Any]) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        parents = job.get("extends", [])
        for parent in [parents] if isinstance(parents, str) else parents:
            merged.update(resolved(templates[parent]))
        merged.update(job)
        return merged

    return {name: resolved(job) for name, job in jobs.items()}


@pytest.mark.parametrize("combo", [grouped_param(c, "cisec") for c in (*GITLAB_COMBOS, TRACKING_COMBOS[1])])
def test_gitlab_ships_only_from_the_default_branch_through_the_champion(baked: Any, combo: dict[str, str]) -> None:
    root = baked(combo)
    jobs = gitlab_jobs(root)
    protected = {"train", "champion", "service-image-push", "pipeline-image-push", "deploy-staging", "deploy-prod"}
    assert protected <= set(jobs)
    for name, job in jobs.items():
        environment = job.get("environment", {}).get("name")
        ships = name in protected or environment is not None or "docker push" in json.dumps(job.get("script", []))
        if ships:
            rules = job["rules"]
            assert rules and all(rule.get("if") == DEFAULT_BRANCH_RULE for rule in rules), (name, rules)
    assert jobs["train"]["environment"]["name"] == jobs["champion"]["environment"]["name"] == "training"
    assert jobs["deploy-prod"]["environment"]["name"] == "prod"
    assert jobs["deploy-prod"]["rules"][0]["when"] == "manual"
    assert jobs["champion"]["needs"] == ["train"]
    assert jobs["champion"]["artifacts"]["reports"]["dotenv"] == "release.env"
    for name in ("service-image-push", "pipeline-image-push"):
        assert jobs[name]["needs"] == ["champion"], name
        script = jobs[name]["script"]
        check = next(i for i, line in enumerate(script) if "sha256sum -c" in line)
        assert check < next(i for i, line in enumerate(script) if "docker build" in line), name
    for name in ("deploy-staging", "deploy-prod"):
        assert "champion" in jobs[name]["needs"], name
        assert any("$RELEASE_TAG" in line for line in jobs[name]["script"]), name
    # Merge requests: a preview without protected environments.
    assert "environment" not in jobs["pipeline"]
    assert all(rule["if"] == '$CI_PIPELINE_SOURCE == "merge_request_event"' for rule in jobs["pipeline"]["rules"])


@pytest.mark.parametrize("combo", [grouped_param(c, "cisec") for c in (GITLAB_COMBOS[0], TRACKING_COMBOS[1])])
def test_gitlab_stops_when_the_team_registry_is_not_configured(
    baked: Any, combo: dict[str, str], tmp_path: Path
) -> None:
    root = baked(combo)
    document = yaml.safe_load((root / ".gitlab-ci.yml").read_text())
    tracking = document["variables"]["TRACKING"]
    assert tracking == combo.get("experiment_tracking", "mlflow")
    for job in ("train", "champion"):
        guard = document[job]["script"][0]
        assert isinstance(guard, list), f"{job}: the registry check must run first"
        (script,) = guard
        unset = run_script(script, tmp_path, {"TRACKING": tracking}, shell="sh")
        if tracking == "mlflow":
            assert unset.returncode == 1 and "Set the variable MLFLOW_TRACKING_URI" in unset.stdout, unset
        else:
            assert unset.returncode == 0, unset
        ok = run_script(script, tmp_path, {"TRACKING": tracking, "MLFLOW_TRACKING_URI": "https://m.example"}, "sh")
        assert ok.returncode == 0, ok


KUBECTL_CHECK = re.compile(r'^echo "\$KUBECTL_SHA256  (?P<path>/\S+)" \| sha256sum -c -$')


@pytest.mark.parametrize("combo", [grouped_param(c, "cisec") for c in GITLAB_COMBOS])
def test_gitlab_deploy_runs_only_a_kubectl_whose_sha256_matches_the_pin(
    baked: Any, combo: dict[str, str], tmp_path: Path
) -> None:
    """Every deploy job that fetches kubectl checks the file against KUBECTL_SHA256 before anything runs it."""
    root = baked(combo)
    document = yaml.safe_load((root / ".gitlab-ci.yml").read_text())
    pinned = document["variables"]["KUBECTL_SHA256"]
    assert re.fullmatch(r"[0-9a-f]{64}", pinned), pinned
    for name in ("deploy-staging", "deploy-prod"):
        steps = [*gitlab_jobs(root)[name].get("before_script", []), *gitlab_jobs(root)[name]["script"]]
        fetches = [i for i, line in enumerate(steps) if "kubectl" in line and ("curl" in line or "install-cli" in line)]
        if combo["cloud"] == "gcp":  # the pinned google/cloud-sdk image carries kubectl; nothing is downloaded
            assert not fetches, steps
            continue
        assert len(fetches) == 1, (name, steps)
        check = next(i for i, line in enumerate(steps) if KUBECTL_CHECK.match(line))
        runs = [i for i, line in enumerate(steps) if i > fetches[0] and "kubectl" in line and i != check]
        assert fetches[0] < check < min(runs, default=len(steps)), (name, steps)
        # The check itself: the pinned file passes, any other bytes fail with `FAILED`.
        path = KUBECTL_CHECK.match(steps[check]).group("path")  # type: ignore[union-attr]
        local = steps[check].replace(path, str(tmp_path / "kubectl"))
        (tmp_path / "kubectl").write_bytes(b"a kubectl someone swapped")
        swapped = run_script(local, tmp_path, {"KUBECTL_SHA256": pinned}, shell="sh")
        assert swapped.returncode != 0 and "FAILED" in swapped.stdout, swapped
        digest = hashlib.sha256(b"a kubectl someone swapped").hexdigest()
        assert run_script(local, tmp_path, {"KUBECTL_SHA256": digest}, shell="sh").returncode == 0


# --------------------------------------------------------------------------------------------
# Terraform identities
# --------------------------------------------------------------------------------------------

TF_COMBOS = [grouped_param(c, "cisec") for c in GITHUB_COMBOS if c["cloud"] != "none"]


def load_hcl(folder: Path) -> dict[str, list[Any]]:
    hcl2 = pytest.importorskip("hcl2", reason="python-hcl2 is in the template's test extra (make venv)")
    merged: dict[str, list[Any]] = {}
    for path in sorted(folder.glob("*.tf")):
        with path.open() as handle:
            for block, items in hcl2.load(handle).items():
                merged.setdefault(block, []).extend(items)
    return merged


def resources(module: dict[str, list[Any]], kind: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for block in module.get("resource", []):
        for k, named in block.items():
            if k.strip('"') == kind:
                found.update({n.strip('"'): body for n, body in named.items()})
    return found


@pytest.mark.parametrize("combo", TF_COMBOS)
def test_deploy_identity_trusts_the_environment_and_training_reaches_only_artifacts(
    baked: Any, combo: dict[str, str]
) -> None:
    cloud = combo["cloud"]
    tree = baked(combo) / "infra" / "terraform" / cloud
    main = (tree / "main.tf").read_text()
    module = load_hcl(tree / "modules" / "ci_identity")
    module_text = (tree / "modules" / "ci_identity" / "main.tf").read_text()
    assert "refs/heads" not in main, "an identity still trusts a GitHub branch"
    if cloud in ("aws", "azure"):
        assert 'subjects          = ["repo:${var.repository}:environment:${var.environment}"]' in main
        assert 'training_subjects = ["repo:${var.repository}:environment:training"]' in main
    if cloud == "aws":
        documents = {}
        for block in module["data"]:
            for kind, named in block.items():
                if kind.strip('"') == "aws_iam_policy_document":
                    documents.update({n.strip('"'): body for n, body in named.items()})
        actions = {
            name: {a.strip('"') for statement in doc["statement"] for a in statement["actions"]}
            for name, doc in documents.items()
        }
        assert not any(a.startswith(("s3:", "kms:")) for a in actions["ci"]), actions["ci"]
        assert {a.split(":")[0] for a in actions["training"]} == {"s3", "kms"}, actions["training"]
        roles = resources(module, "aws_iam_role")
        assert "training_trust" in roles["training"]["assume_role_policy"]
    elif cloud == "azure":
        assignments = resources(module, "azurerm_role_assignment")
        principals = {name: body["principal_id"] for name, body in assignments.items()}
        assert "training" in principals["artifacts"]
        assert all(
            "azurerm_user_assigned_identity.ci." in principals[n] for n in ("push", "cluster_user", "namespace_writer")
        )
        assert set(resources(module, "azurerm_federated_identity_credential")) == {"ci", "training"}
    else:
        provider = resources(module, "google_iam_workload_identity_pool_provider")["ci"]
        assert "attribute.environment in" in provider["attribute_condition"]
        bindings = resources(module, "google_service_account_iam_member")
        assert bindings["federation"]["member"].strip('"').endswith("/attribute.environment/${var.environment}")
        assert bindings["training_federation"]["member"].strip('"').endswith("/attribute.environment/training")
        bucket = resources(module, "google_storage_bucket_iam_member")["artifacts"]
        assert "google_service_account.training" in bucket["member"]
        assert "attribute.environment" in main
    assert "training" in module_text


def gitlab_oidc(tree: Path) -> dict[str, Any]:
    """The root module's `ci_oidc.gitlab` local: what the GitLab identities trust."""
    (oidc,) = [block["ci_oidc"] for block in load_hcl(tree)["locals"] if "ci_oidc" in block]
    return dict(oidc["gitlab"])


def unquoted(values: list[str]) -> list[str]:
    return [value.strip('"') for value in values]


@pytest.mark.parametrize("combo", [grouped_param(c, "cisec") for c in GITLAB_COMBOS if c["cloud"] != "none"])
def test_gitlab_prod_trust_is_the_claim_the_cloud_can_match_and_the_handbook_says_which(
    baked: Any, combo: dict[str, str]
) -> None:
    """GitLab's subject never names the environment. Google Cloud matches the `environment` claim; AWS and
    Azure match only the subject, so they trust the default branch exactly, and the CI/CD page says so."""
    cloud = combo["cloud"]
    root = baked(combo)
    tree = root / "infra" / "terraform" / cloud
    gitlab = gitlab_oidc(tree)
    handbook = " ".join((root / "docs" / "ci-cd.md").read_text().split())
    if cloud == "gcp":
        mapping = {key.strip('"'): value.strip('"') for key, value in gitlab["attribute_mapping"].items()}
        assert mapping["attribute.environment"] == "assertion.environment", mapping
        module = load_hcl(tree / "modules" / "ci_identity")
        provider = resources(module, "google_iam_workload_identity_pool_provider")["ci"]
        assert "attribute.environment in" in provider["attribute_condition"]
        member = resources(module, "google_service_account_iam_member")["federation"]["member"].strip('"')
        assert member.endswith("/attribute.environment/${var.environment}"), member
        assert (
            "maps that `environment` claim" in handbook and "jobs of the protected environment `prod` alone" in handbook
        )
        return
    branch = "project_path:${var.repository}:ref_type:branch:ref:main"
    assert unquoted(gitlab["subjects"]) == unquoted(gitlab["training_subjects"]) == [branch], gitlab
    provider = {"aws": "AWS", "azure": "Azure"}[cloud]
    assert f"{provider} matches" in handbook, handbook
    assert "trusts every job that runs on `main`, not only the jobs of the protected environment `prod`" in handbook


@pytest.mark.parametrize("combo", [grouped_param({"cloud": c, "ci": "github"}, "cisec") for c in ("aws", "azure")])
def test_terraform_refuses_an_identity_that_trusts_a_branch(baked: Any, combo: dict[str, str], tmp_path: Path) -> None:
    """The module's own variables.tf, evaluated by terraform without providers."""
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("terraform is not installed: variable validation not exercised")
    tree = baked(combo) / "infra" / "terraform" / combo["cloud"] / "modules" / "ci_identity"
    shutil.copy(tree / "variables.tf", tmp_path / "variables.tf")
    env = {**tool_env(), "TF_CLI_CONFIG_FILE": os.devnull, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    run([terraform, "init", "-input=false", "-no-color"], cwd=tmp_path, env=env)
    common = {
        "aws": {"name": "n", "repository": "o/r", "issuer_url": "https://token.actions.githubusercontent.com",
                "audience": "sts.amazonaws.com", "repository_arns": "[]", "bucket_arn": "b", "kms_key_arn": "k",
                "cluster_arn": "c"},
        "azure": {"name": "n", "resource_group_name": "g", "location": "westeurope",
                  "issuer_url": "https://token.actions.githubusercontent.com", "registry_id": "r",
                  "container_id": "c", "cluster_id": "k", "namespace": "ns"},
    }[combo["cloud"]]  # fmt: skip
    good = {"subjects": '["repo:o/r:environment:prod"]', "training_subjects": '["repo:o/r:environment:training"]'}

    def plan(values: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
        args = [a for k, v in {**common, **values}.items() for a in ("-var", f"{k}={v}")]
        return subprocess.run([terraform, "plan", "-input=false", "-no-color", "-lock=false", *args],
                              cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)  # fmt: skip

    assert plan(good).returncode == 0
    for variable in ("subjects", "training_subjects"):
        bad = plan({**good, variable: '["repo:o/r:ref:refs/heads/main"]'})
        assert bad.returncode != 0, f"{variable} trusting a branch was accepted"
        message = " ".join(bad.stderr.split())
        assert "Invalid value for variable" in message and f"{variable} must name" in message, message
        assert "trust" in message and "GitHub branch" in message, message


# --------------------------------------------------------------------------------------------
# Renovate
# --------------------------------------------------------------------------------------------


def js_to_python_regex(pattern: str) -> re.Pattern[str]:
    """A Renovate (JavaScript) regex as Python's: named groups are spelled (?P<name>...)."""
    return re.compile(re.sub(r"\(\?<(?=[A-Za-z])", "(?P<", pattern))


def file_pattern(pattern: str) -> re.Pattern[str]:
    assert pattern.startswith("/") and pattern.endswith("/"), f"{pattern}: managerFilePatterns are /regex/"
    return js_to_python_regex(pattern[1:-1])


def check_renovate_schema(path: Path, cwd: Path) -> None:
    run([str(Path(sys.executable).parent / "check-jsonschema"), "--builtin-schema", "vendor.renovate", str(path)],
        cwd=cwd, env=tool_env())  # fmt: skip


@pytest.mark.parametrize("combo", [grouped_param(GITHUB_COMBOS[0], "cisec"), grouped_param(GITLAB_COMBOS[1], "cisec")])
def test_renovate_config_validates_and_covers_every_kind_of_pin(
    baked: Any, combo: dict[str, str], tmp_path: Path
) -> None:
    root = baked(combo)
    config_path = root / "renovate.json"
    check_renovate_schema(config_path, root)
    config = json.loads(config_path.read_text())
    # The schema is Renovate's own: a wrong type is refused, naming the field.
    broken = {**config, "lockFileMaintenance": {"enabled": "yes"}}
    (tmp_path / "renovate.json").write_text(json.dumps(broken))
    refused = subprocess.run(
        [str(Path(sys.executable).parent / "check-jsonschema"), "--builtin-schema", "vendor.renovate",
         str(tmp_path / "renovate.json")], capture_output=True, text=True, env=tool_env(),
    )  # fmt: skip
    assert refused.returncode == 1 and "lockFileMaintenance.enabled" in refused.stdout + refused.stderr, refused

    managers = set(config["enabledManagers"])
    # uv.lock (pep621 + lock file maintenance), action SHAs, image digests, providers, hooks, k8s.
    assert {"pep621", "dockerfile", "terraform", "kustomize", "kubernetes", "pre-commit", "custom.regex"} <= managers
    assert ("github-actions" if combo["ci"] == "github" else "gitlabci") in managers
    assert config["lockFileMaintenance"]["enabled"] is True
    assert "docker:pinDigests" in config["extends"]
    assert "helpers:pinGitHubActionDigestsToSemver" in config["extends"]
    assert config["pre-commit"]["enabled"] is True
    files = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and ".git" not in p.parts]
    k8s_patterns = [file_pattern(p) for p in config["kubernetes"]["managerFilePatterns"]]
    k8s_files = [f for f in files if f.startswith("infra/k8s/") and f.endswith(".yaml")]
    assert k8s_files and all(any(p.search(f) for p in k8s_patterns) for f in k8s_files)

    # The hooks pin nothing themselves: each runs a tool of the dev group (`uv run`), which pep621 updates.
    hook_file = (root / ".pre-commit-config.yaml").read_text()
    assert not re.search(r"==|additional_dependencies", hook_file)
    dev = tomllib.loads((root / "pyproject.toml").read_text())["dependency-groups"]["dev"]
    assert all(re.fullmatch(r"[A-Za-z0-9._\[\]-]+==[0-9][^=]*", pin) for pin in dev if "==" in pin)
    by_description = {m["description"]: m for m in config["customManagers"]}
    uv_manager = next(m for d, m in by_description.items() if "uv release" in d)
    ci_file = ".github/workflows/ci.yml" if combo["ci"] == "github" else ".gitlab-ci.yml"
    assert any(file_pattern(p).search(ci_file) for p in uv_manager["managerFilePatterns"])
    versions = [
        m["currentValue"]
        for p in uv_manager["matchStrings"]
        for m in js_to_python_regex(p).finditer((root / ci_file).read_text())
    ]
    assert versions == [json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())["_versions"]["uv"]]
    own = next(r for r in config["packageRules"] if r.get("enabled") is False)
    assert set(own["matchPackageNames"]) == {f"{root.name}/service", f"{root.name}/pipelines"}


def test_template_renovate_config_covers_the_versions_table(tmp_path: Path) -> None:
    config_path = TEMPLATE_DIR / "renovate.json"
    check_renovate_schema(config_path, TEMPLATE_DIR)
    config = json.loads(config_path.read_text())
    assert {"github-actions", "pep621", "custom.regex"} <= set(config["enabledManagers"])
    text = (TEMPLATE_DIR / "cookiecutter.json").read_text()
    versions = json.loads(text)["_versions"]
    found: dict[str, list[tuple[str, str]]] = {}
    for manager in config["customManagers"]:
        assert any(file_pattern(p).search("cookiecutter.json") for p in manager["managerFilePatterns"])
        for pattern in manager["matchStrings"]:
            for match in js_to_python_regex(pattern).finditer(text):
                key = match.groupdict().get("depName") or next(
                    k for k, v in versions.items() if f'"{k}": "{v}"' == match.group(0)
                )
                found.setdefault(key, []).append((match["currentValue"], manager["datasourceTemplate"]))
    # Every pin of the table, once, from PyPI; nothing else of cookiecutter.json.
    assert set(found) == set(versions), set(found) ^ set(versions)
    assert all(len(v) == 1 and v[0] == (versions[k], "pypi") for k, v in found.items()), found
    # The PyPI names the managers derive are the ones the bakes install (the dev group holds the tool pins).
    dev_group = (TEMPLATE_DIR / "{{cookiecutter.project_slug}}" / "pyproject.toml").read_text()
    installed = dict(re.findall(r"\"([A-Za-z0-9._-]+)==\{\{ cookiecutter\._versions\.([a-z_]+) \}\}", dev_group))
    assert installed, "no pin found in the dev group: the pattern no longer matches"
    generic = next(m for m in config["customManagers"] if "packageNameTemplate" in m)
    assert generic["packageNameTemplate"] == "{{{replace '_' '-' depName}}}"
    for package, key in installed.items():
        special = [m for m in config["customManagers"] if m.get("depNameTemplate") == package]
        assert package == key.replace("_", "-") or special, f"_versions.{key} installs {package}: no manager maps it"


# --------------------------------------------------------------------------------------------
# The handbook: what a release needs
# --------------------------------------------------------------------------------------------

HANDBOOK_COMBOS = combinations("aws-github", "gcp-gitlab", "aws-no-ci-no-tracking", "no-cloud-github-no-tracking")


@pytest.mark.parametrize("combo", [grouped_param(c, "cisec") for c in HANDBOOK_COMBOS])
def test_the_handbook_lists_what_a_release_on_the_default_branch_needs(baked: Any, combo: dict[str, str]) -> None:
    root = baked(combo)
    assert not (root / "docs" / "_ci-cd").exists(), "the other CI systems' pages were left in the bake"
    page = (root / "docs" / "ci-cd.md").read_text()
    assert "ci-cd.md" in (root / "mkdocs.yml").read_text()
    mlflow = combo.get("experiment_tracking", "mlflow") == "mlflow"
    assert ("MLFLOW_TRACKING_URI" in page) == mlflow
    assert "make champion" in page and "uv.lock" in page and "--locked" in page
    if combo["ci"] == "none":
        assert "docker build -f service/Dockerfile" in page
        return
    for environment in ("training", "staging", "prod"):
        assert f"`{environment}`" in page, environment
    assert "renovate.json" in page
    cloud = combo.get("cloud", "aws")
    expected = {"KUBECONFIG"} if cloud == "none" else {"IMAGE_REGISTRY", "CLUSTER_NAME", "CLOUD_IDENTITY"}
    assert all(name in page for name in expected), expected
    # Every variable and secret the CI files read is on the page.
    ci_text = (
        (root / ".gitlab-ci.yml").read_text()
        if combo["ci"] == "gitlab"
        else "".join(p.read_text() for p in (root / ".github" / "workflows").glob("release.yml"))
    )
    read = set(re.findall(r"\$\{\{ (?:vars|secrets)\.([A-Z_]+) \}\}", ci_text)) - {"GITHUB_TOKEN"}
    if combo["ci"] == "github":
        if cloud != "none":
            read -= {"KUBECONFIG"}  # only the cloud=none login reads it
        if cloud != "azure":
            read -= {"CLOUD_ACCOUNT", "CLOUD_RESOURCE_GROUP"}
        if cloud in ("aws", "none"):
            read -= {"CLOUD_IDENTITY_PROVIDER"}
        if cloud == "none":
            read -= {"CLOUD_REGION", "CLUSTER_NAME", "CLOUD_IDENTITY"}
        if not mlflow:
            read -= {"MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"}
        assert read, "no variable found: the pattern no longer matches release.yml"
    missing = {name for name in read if f"`{name}`" not in page}
    assert not missing, f"docs/ci-cd.md does not say to set {sorted(missing)}"


@pytest.mark.parametrize("combo", [grouped_param(HANDBOOK_COMBOS[2], "cisec")])
def test_the_handbook_without_ci_builds_strictly(baked: Any, combo: dict[str, str], tmp_path: Path) -> None:
    mkdocs = Path(sys.executable).parent / "mkdocs"
    if not mkdocs.exists():
        pytest.skip("mkdocs is not installed (the template's test extra provides it)")
    root = baked(combo)
    run([str(mkdocs), "build", "--strict", "--site-dir", str(tmp_path / "site")], cwd=root, env=tool_env())
    assert (tmp_path / "site" / "ci-cd" / "index.html").is_file()


# --------------------------------------------------------------------------------------------
# deploy.sh
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("combo", [grouped_param(GITHUB_COMBOS[0], "cisec")])
def test_deploy_script_refuses_a_bad_registry_or_tag_before_touching_anything(
    baked: Any, combo: dict[str, str]
) -> None:
    """The release tag and registry reach deploy.sh from job outputs: a malformed one stops it first."""
    root = baked(combo)
    script = root / "infra" / "k8s" / "deploy.sh"
    good_tag = f"{'a' * 40}-{'b' * 12}"
    cases = [
        ("", good_tag, "is not an image registry prefix"),
        ("https://registry.example.com/team", good_tag, "is not an image registry prefix"),
        ("registry.example.com/team; kubectl delete ns x", good_tag, "is not an image registry prefix"),
        ("registry.example.com/team", "", "is not a valid image tag"),
        ("registry.example.com/team", "v1;rm -rf /", "is not a valid image tag"),
    ]
    for registry, tag, message in cases:
        result = subprocess.run(["sh", str(script), "staging", registry, tag, "--render-only"], cwd=root,
                                capture_output=True, text=True, timeout=60)  # fmt: skip
        assert result.returncode == 2 and message in result.stderr, (registry, tag, result)
    assert not list((root / "infra" / "k8s").glob(".release.*")), "a refused call left a release overlay behind"
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed: the accepted call cannot render")
    ok = run(["sh", str(script), "prod", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/churn/prod", good_tag,
              "--render-only"], cwd=root, env=tool_env())  # fmt: skip
    assert f"123456789012.dkr.ecr.eu-west-1.amazonaws.com/churn/prod/service:{good_tag}" in ok
