"""Bring your own data: `make dataset` on two real datasets that are not the bundled example.

Each case (binary classification, and regression on another Python) bakes the defaults with its answers,
commits the bake, runs `make dataset`, and checks what a team would: only the files make dataset names
changed, a second run changes nothing, a `git clone` of the commit — CI's checkout, without the DVC-tracked
data file — passes `make setup` and `make check` (the tests read the sample in git), `make repro` passes with
no hand edit, appended rows make DVC's ingest stage stale, and the champion serves one prediction through
`POST /v1/predict` of the `/v1/model` example.
The datasets and their sources are in tests/data/README.md.
"""

from __future__ import annotations

import csv as csv_module
import hashlib
import json
import subprocess
from pathlib import Path

import pytest
import yaml
from harness import DEFAULTS, bake, free_port, git_init, project_env, run, serve, setup
from test_shapes import get_json, git, post_json

pytestmark = pytest.mark.generated

DATA = Path(__file__).parent / "data"
TIMEOUT = 1800
# case -> (CSV, TARGET as in the CSV, the task make dataset must infer, the target's snake_case name, answers).
# The classification case is binary (the bundled example is multiclass) and swaps a bake whose example model is
# already the champion committed to git (experiment_tracking=none): that champion belongs to the old contract
# and must not block the new data. The regression case runs on another Python than the defaults.
CASES = {
    "binary-cars93": ("cars93.csv", "Origin", "classification", "origin", {"experiment_tracking": "none"}),
    "regression-mpg-py3.13": ("mpg.csv", "hwy", "regression", "hwy", {"task": "regression", "python_version": "3.13"}),
}


def _tree(root: Path) -> dict[str, str]:
    """sha256 of every file git would see (tracked or not ignored)."""
    files = git(root, "ls-files", "--cached", "--others", "--exclude-standard").splitlines()
    return {name: hashlib.sha256((root / name).read_bytes()).hexdigest() for name in files if (root / name).is_file()}


def _step_script(root: Path, workflow: str, job: str, step: str) -> str:
    """The shell of one step of a GitHub workflow (the default CI), found by the start of its name."""
    document = yaml.safe_load((root / ".github" / "workflows" / workflow).read_text())
    (found,) = [s for s in document["jobs"][job]["steps"] if s.get("name", "").startswith(step)]
    return str(found["run"])


@pytest.mark.parametrize("case", list(CASES))
def test_a_teams_csv_becomes_the_dataset_and_serves_a_prediction(case: str, tmp_path: Path) -> None:
    csv, target, task, target_name, answers = CASES[case]
    try:
        env = project_env(answers.get("python_version", DEFAULTS["python_version"]))
    except LookupError as error:
        pytest.skip(str(error))
    root = bake(tmp_path, **answers)
    package = root.name.replace("-", "_")
    git_init(root)
    setup(root, env, timeout=TIMEOUT)
    committed_champion = answers.get("experiment_tracking") == "none"
    if committed_champion:
        run("make repro", root, env, timeout=TIMEOUT)
        old_card = json.loads((root / "models/champion/model_card.json").read_text())
    git(root, "add", "--all")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "--no-verify", "-m", "bake")

    core = f"core/src/{package}_core"
    bundled = {f"{core}/data/{path.name}" for path in (root / core / "data").iterdir()}  # the example it replaces
    report = run(["make", "dataset", f"CSV={DATA / csv}", f"TARGET={target}"], root, env)
    assert f"-> {task} of {target_name!r}" in report
    assert "make check" in report  # the next commands
    assert "make repro" in report
    (replaced,) = [line for line in report.splitlines() if "replaced the previous dataset" in line]
    assert all(Path(path).name in replaced for path in bundled)
    name = Path(csv).stem
    changed = {line[3:] for line in git(root, "status", "--porcelain", "--untracked-files=all").splitlines()}
    data = {f"{core}/data/{name}.csv.dvc", f"{core}/data/.gitignore", f"{core}/data/{name}.sample.csv"}
    assert changed == {f"{core}/schema.py", "params.yaml", *data, *bundled}
    assert not any((root / path).exists() for path in bundled)
    after_first = _tree(root)
    again = run(["make", "dataset", f"CSV={DATA / csv}", f"TARGET={target}"], root, env)
    assert "wrote: nothing" in again
    assert _tree(root) == after_first

    # What the report says to commit, then CI's view of it: a clone has the sample, not the DVC-tracked data.
    git(root, "add", "core", "params.yaml")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "--no-verify", "-m", csv)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(root), str(clone))
    assert (clone / core / "data" / f"{name}.sample.csv").is_file()
    assert not (clone / core / "data" / f"{name}.csv").exists()
    setup(clone, env, timeout=TIMEOUT)
    run("make check-all", clone, env, timeout=TIMEOUT)  # both tiers of tests, as the generated CI runs them
    # Here, where the data file is: the sample's rows are rows of it (skipped in the clone).
    assert "1 passed" in run("uv run --no-sync pytest core/tests/test_dataset.py -k rows_of_the_data", root, env)
    data_file, sample_file = Path(core, "data", f"{name}.csv"), Path(core, "data", f"{name}.sample.csv")
    # The release's train job in the clone: nothing pushed to DVC's remote (the bake's local folder) yet, so it
    # stops naming the data file; after `dvc push` from here it pulls the same bytes.
    pull = _step_script(clone, "release.yml", "train", "Pull the pipeline's")
    refused = subprocess.run(["bash", "-eu", "-c", pull], cwd=clone, env=env, capture_output=True, text=True)
    assert refused.returncode == 1, refused
    assert f"::error::{data_file}: tracked by DVC, and CI could not pull it" in refused.stdout
    run("uv run --no-sync dvc push", root, env)
    run(["bash", "-eu", "-c", pull], clone, env)
    assert (clone / data_file).read_bytes() == (root / data_file).read_bytes()
    # The pull request's pipeline preview: no secrets, no data, so the sample stands in for it.
    (clone / data_file).unlink()
    stand_in = _step_script(clone, "pipeline.yml", "repro", "The data, or the committed sample")
    standing = run(["bash", "-eu", "-c", f"GITHUB_OUTPUT=/dev/null\n{stand_in}"], clone, env)
    assert "::notice::The data file is tracked by DVC and this job has no secrets to pull it" in standing
    assert (clone / data_file).read_bytes() == (clone / sample_file).read_bytes()
    run("make repro", clone, env, timeout=TIMEOUT)

    run("make repro", root, env, timeout=TIMEOUT)
    registry = json.loads((root / "reports/registry.json").read_text())
    card = json.loads((root / "models/champion/model_card.json").read_text())
    assert card["contract"] == registry["contract"]  # the new data's model is the champion
    if committed_champion:
        assert (registry["outcome"], registry["champion_contract"]) == ("new_line", old_card["contract"])
        assert card["contract"] != old_card["contract"]

    # Appended rows are a changed dependency of the ingest stage.
    data_file = root / core / "data" / f"{name}.csv"
    original = data_file.read_bytes()
    data_file.write_bytes(original + original.splitlines(keepends=True)[-1])
    assert "changed deps" in run("uv run --no-sync dvc status ingest", root, env)
    data_file.write_bytes(original)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with serve(["make", "serve", f"PORT={port}"], root, env, ready_url=f"{base}/readyz", log=tmp_path / "serve.log"):
        model = get_json(f"{base}/v1/model")
        status, body = post_json(f"{base}/v1/predict", model["example"])
    assert status == 200, body
    if task == "classification":
        with (DATA / csv).open(newline="") as rows:
            assert sorted(model["classes"]) == sorted({row[target] for row in csv_module.DictReader(rows)})
        assert body["prediction"] in model["classes"]
        assert sorted(body["probabilities"]) == sorted(model["classes"])
        assert sum(body["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)
    else:
        assert isinstance(body["value"], float)
