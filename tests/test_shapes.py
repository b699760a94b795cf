"""Dataset-shape tier: any team's CSV goes from `make dataset` to a served prediction with no hand edit.

Every case of tests/shapes.py (seeded synthetic shapes, and real datasets shipped inside a pinned package)
walks the path a team takes on one shared bake, committed to git, replacing the dataset in turn:

    make dataset CSV=… TARGET=…  ->  git commit  ->  make check  ->  make repro  ->  make serve  ->  POST /v1/predict

of one of the CSV's own rows. The answer must be one of the CSV's classes, or a finite number. The gate's
decision (reports/registry.json) must ship the model: every case carries a learnable signal. A negative case
(headers that collide) must be refused, naming the headers, and change nothing.

Each walk goes on after a failed step where it can, and its row (check result, gate decision with both
scores, seconds from CSV to the first served prediction) is printed and appended to `$SHAPES_REPORT` when
that is set: `python bench/byod.py` runs this tier and prints the table.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml
from harness import DEFAULTS, Project, bake, free_port, git_init, project_env, serve, setup
from shapes import CASES, Case

pytestmark = pytest.mark.generated

TIMEOUT = 1800
# Cases are spread over this many xdist groups (one worker each under --dist loadgroup); each worker bakes once.
GROUPS = 2
REPORT_ENV = "SHAPES_REPORT"
T = TypeVar("T")
# make names the verb whose recipe failed: "make: *** [Makefile:47: test] Error 2" (or "... Terminated").
FAILED_VERB = re.compile(r"^make(?:\[\d+\])?: \*\*\* \[\S+: ([a-z-]+)\] ", re.MULTILINE)
# pytest's closing line, with or without its rule of "=" (-q): "3 failed, 250 passed, 2 skipped in 95.1s".
PYTEST_TOTALS = re.compile(r"^=* ?(\d+ (?:passed|failed|errors?)\b[^\n]*?) in [\d.]+s", re.MULTILINE)


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


def commit(root: Path, message: str, *paths: str) -> None:
    """Stage `paths` (everything when none) and commit, as a team would; hooks run in `make check` instead."""
    git(root, "add", *(paths or ("--all",)))
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "--no-verify", "-m", message)


def get_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return dict(json.loads(response.read()))


def post_json(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(json.loads(response.read()))
    except urllib.error.HTTPError as error:
        return error.code, dict(json.loads(error.read() or b"{}"))


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        headers, *rows = list(csv.reader(handle))
    return headers, rows


# The walk
# ------------------------------------------------------------------------------------------------


@dataclass
class Walk:
    """What one CSV's walk showed: a row of the tier's table, and the failures to route."""

    case: str
    rows: int = 0
    columns: int = 0
    task: str = ""
    dataset: str = "not run"
    check: str = "not run"
    gate: str = "not run"
    metric: str = ""
    challenger: float | None = None
    baseline: float | None = None
    # The share of the gate's paired bootstrap resamples on which the challenger beat the baseline.
    beat_share: float | None = None
    prediction: str = ""
    seconds: dict[str, float] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    @property
    def to_prediction(self) -> float | None:
        """Seconds from the CSV to the first served prediction: make dataset, repro, serve, POST (not check)."""
        steps = ("dataset", "repro", "serve", "predict")
        return round(sum(self.seconds[s] for s in steps), 1) if all(s in self.seconds for s in steps) else None

    def row(self) -> dict[str, Any]:
        return {**asdict(self), "to_prediction": self.to_prediction}

    def line(self) -> str:
        """The case in one line of the run's summary: check, gate and both scores, seconds to the prediction."""
        shape = f"{self.case} ({self.rows}x{self.columns}, {self.task})"
        if self.dataset != "ok":
            return f"{shape}: make dataset {self.dataset}"
        scores = ""
        if self.challenger is not None and self.baseline is not None:
            scores = f" {self.metric} {self.challenger:.3f} vs baseline {self.baseline:.3f}"
        seconds = "" if self.to_prediction is None else f"; CSV to prediction {self.to_prediction:.1f} s"
        return f"{shape}: check {self.check}; gate {self.gate}{scores}{seconds}"


def timed(walk: Walk, step: str, action: Callable[[], T]) -> T:
    """Run one step of the walk, recording its seconds even when it fails."""
    started = time.perf_counter()
    try:
        return action()
    finally:
        walk.seconds[step] = round(time.perf_counter() - started, 1)


def failure_tail(error: BaseException, lines: int = 12) -> str:
    """The last lines of a failed command's output: enough to route it."""
    return "\n".join(str(error).strip().splitlines()[-lines:])


def check_verdict(output: str) -> tuple[str, list[str]]:
    """`make check`'s result in a few words (the failing verb, pytest's totals), and its failed tests' lines."""
    failed_tests = [line for line in output.splitlines() if line.startswith(("FAILED ", "ERROR "))]
    verb = FAILED_VERB.search(output)
    totals = PYTEST_TOTALS.findall(output)
    words = totals[-1] if totals else ""
    if verb is None:
        return f"passed ({words})" if words else "passed", failed_tests
    return f"{verb.group(1)} failed" + (f" ({words})" if words and verb.group(1) == "test" else ""), failed_tests


def served_record(project: Project, schema: dict[str, Any]) -> dict[str, Any]:
    """The data file's first row (a row of the team's CSV, cells as they were, under contract names) as a request.

    Empty cells are sent as null; a column the request schema types as a number is sent as one.
    """
    source = yaml.safe_load((project.root / "params.yaml").read_text(encoding="utf-8"))["ingest"]["source"]
    with (project.root / source).open(newline="", encoding="utf-8") as handle:
        row = next(csv.DictReader(handle))
    record: dict[str, Any] = {}
    for name, spec in schema["properties"].items():
        cell = row[name]
        numeric = any(kind in json.dumps(spec) for kind in ('"number"', '"integer"'))
        record[name] = None if cell == "" else float(cell) if numeric else cell
    return record


def refuse(project: Project, case: Case, csv_path: Path, walk: Walk) -> None:
    """A negative case: make dataset must fail, name each of `case.refused`, and change nothing."""
    before = git(project.root, "status", "--porcelain", "--untracked-files=all")
    command = ["make", "dataset", f"CSV={csv_path}", f"TARGET={case.target}"]
    result = subprocess.run(command, cwd=project.root, env=project.env, capture_output=True, text=True, timeout=600)
    message = " ".join(line for line in result.stderr.splitlines() if line.startswith("make dataset:"))
    walk.dataset = f"refused: {message}" if result.returncode else "accepted"
    if result.returncode == 0:
        walk.failures.append(f"make dataset accepted the CSV; it must refuse it naming {list(case.refused)}")
        git(project.root, "reset", "--hard", "--quiet")  # the committed dataset back for the next case
        git(project.root, "clean", "--force", "-d", "--quiet", "--", "core")
        return
    missing = [header for header in case.refused if repr(header) not in message]
    if missing:
        walk.failures.append(f"the refusal does not name {missing}: {message or result.stderr[-2000:]}")
    if "nothing was changed" not in message:
        walk.failures.append(f"the refusal does not say that nothing was changed: {message}")
    after = git(project.root, "status", "--porcelain", "--untracked-files=all")
    if after != before:
        walk.failures.append(f"the refused run changed the work tree: {before!r} -> {after!r}")


def walk(project: Project, case: Case, folder: Path) -> Walk:
    """One case's walk from its CSV to a served prediction (see the module's docstring)."""
    csv_path = case.write(folder)
    headers, rows = read_csv(csv_path)
    result = Walk(case.id, rows=len(rows), columns=len(headers), task=case.task)
    if case.refused:
        refuse(project, case, csv_path, result)
        return result
    root = project.root
    try:
        report = timed(
            result,
            "dataset",
            lambda: project.run(["make", "dataset", f"CSV={csv_path}", f"TARGET={case.target}"], timeout=TIMEOUT),
        )
    except AssertionError as error:
        result.dataset = "failed"
        result.failures.append(f"make dataset: {failure_tail(error)}")
        return result
    result.dataset = "ok"
    if f"-> {case.task} of " not in report:
        result.failures.append(f"make dataset did not infer {case.task}: {report.splitlines()[1:2]}")
    for header, words in case.left_out.items():
        line = next((line for line in report.splitlines() if line.strip().startswith(f"left out {header!r}:")), None)
        if line is None or not any(word in line.split(":", 1)[1] for word in words):
            expected = " or ".join(words)
            result.failures.append(f"make dataset should leave out {header!r} as {expected}: {line or 'kept it'}")
    commit(root, f"dataset: {csv_path.name}", "core", "params.yaml")

    try:
        result.check, failed_tests = check_verdict(timed(result, "check", lambda: project.run("make check", TIMEOUT)))
    except AssertionError as error:
        result.check, failed_tests = check_verdict(str(error))
        if result.check.startswith("passed"):  # it failed without make naming a verb: say how it ended
            result.check = f"failed: {failure_tail(error, lines=1)}"
        result.failures.append(f"make check: {result.check}")
    result.failures += [f"  {line}" for line in failed_tests]

    registry = root / "reports" / "registry.json"
    registry.unlink(missing_ok=True)  # a stale decision of the previous case must not be read as this one's
    try:
        timed(result, "repro", lambda: project.run("make repro", TIMEOUT))
    except AssertionError as error:
        result.failures.append(f"make repro: {failure_tail(error)}")
        repro_passed = False
    else:
        repro_passed = True
    decision = json.loads(registry.read_text()) if registry.is_file() else {}
    if decision:
        result.gate = str(decision["outcome"])
        result.metric = str(decision["metric"])
        result.challenger, result.baseline = decision["challenger_score"], decision["baseline_score"]
        result.beat_share = decision.get("baseline_share")
        if not decision["promoted"]:
            result.failures.append(f"the gate did not ship the model: {decision['reason']}")
    if not (repro_passed and decision.get("promoted")):
        return result  # nothing of this contract ships: there is no prediction to ask for

    target = headers.index(case.target)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    with serve(
        ["make", "serve", f"PORT={port}"], root, project.env, ready_url=f"{base}/readyz", log=folder / "serve.log"
    ):
        result.seconds["serve"] = round(time.perf_counter() - started, 1)
        model = get_json(f"{base}/v1/model")
        record = served_record(project, model["input_schema"])
        status, body = timed(result, "predict", lambda: post_json(f"{base}/v1/predict", record))
    if status != 200:
        result.failures.append(f"POST /v1/predict of {record} answered {status}: {body}")
    elif case.task == "classification":
        result.prediction = str(body.get("prediction"))
        classes = {row[target] for row in rows if row[target] != ""}
        if body.get("prediction") not in classes:
            result.failures.append(f"the prediction {body.get('prediction')!r} is not a class of the CSV: {classes}")
    else:
        value = body.get("value")
        result.prediction = str(value)
        if not isinstance(value, (int, float)) or not math.isfinite(value):
            result.failures.append(f"the prediction {value!r} is not a finite number")
    return result


def publish(result: Walk, record_property: Callable[[str, object], None]) -> None:
    """Print the case's row (shown with -rA or on failure), append it to $SHAPES_REPORT when set, and hand its
    line to the run's summary (tests/conftest.py prints one line per case, passed or failed)."""
    line = json.dumps(result.row(), ensure_ascii=False)
    print(line)
    record_property("shape_case", result.line())
    destination = os.environ.get(REPORT_ENV)
    if destination:
        with open(destination, "a", encoding="utf-8") as handle:  # one short line per write: appends do not interleave
            handle.write(line + "\n")


# The tier
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def team_project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The defaults baked once per worker, set up and committed: each case replaces its dataset in turn."""
    try:
        env = project_env(DEFAULTS["python_version"])
    except LookupError as error:
        pytest.skip(str(error))
    root = bake(tmp_path_factory.mktemp("shapes"))
    git_init(root)
    setup(root, env, timeout=TIMEOUT)
    commit(root, "bake")
    return Project(root, env)


# What a run leaves for the team to commit beside dvc.lock (the metrics JSON); DVC's outputs are git-ignored.
COMMITTED_OUTPUTS = {"dvc.lock", "reports/validation.json", "reports/metrics.json", "reports/drift.json"}


def changed_paths(root: Path) -> set[str]:
    """Every path `git add -A` would stage."""
    return {line[3:] for line in git(root, "status", "--porcelain", "--untracked-files=all").splitlines()}


@pytest.mark.xdist_group("shapes-0")
def test_a_refused_model_leaves_nothing_that_git_add_all_would_sweep_in(team_project: Project) -> None:
    """A gate that refuses (an absolute `register.floor` past a perfect score) fails `make repro` part-way: DVC takes
    back the ignore entries of the stages it finished, and the refusal is written to reports/registry.json. Neither
    may be swept in. Whatever dataset the worker's bake holds now: the floor is past perfect for its task's default
    metric (f1_macro at most 1, rmse at least 0)."""
    root = team_project.root
    params = root / "params.yaml"
    original = params.read_text(encoding="utf-8")
    assert "\n  floor: null\n" in original
    schema = next((root / "core" / "src").glob("*_core/schema.py")).read_text(encoding="utf-8")
    unreachable = "-1" if '= "regression"' in schema else "2"
    before = changed_paths(root)
    params.write_text(original.replace("\n  floor: null\n", f"\n  floor: {unreachable}\n"), encoding="utf-8")
    try:
        with pytest.raises(AssertionError, match="the model was not registered"):
            team_project.run("make repro", timeout=TIMEOUT)
        assert json.loads((root / "reports" / "registry.json").read_text())["outcome"] == "below_floor"
        swept = changed_paths(root) - before - {"params.yaml"} - COMMITTED_OUTPUTS
        assert not swept, f"a failed make repro left files git add -A would commit: {sorted(swept)}"
    finally:
        params.write_text(original, encoding="utf-8")


def _param(index: int, case_id: str) -> Any:
    return pytest.param(case_id, id=case_id, marks=pytest.mark.xdist_group(f"shapes-{index % GROUPS}"))


# The order each worker takes its cases in: the refusals (seconds), the real datasets, then the synthetic shapes.
ORDER = sorted(CASES, key=lambda case_id: (not CASES[case_id].refused, CASES[case_id].kind != "real"))


@pytest.mark.parametrize("case_id", [_param(index, case_id) for index, case_id in enumerate(ORDER)])
def test_a_csv_goes_from_make_dataset_to_a_served_prediction(
    case_id: str, team_project: Project, tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    result = walk(team_project, CASES[case_id], tmp_path)
    publish(result, record_property)
    assert not result.failures, f"{case_id}:\n" + "\n".join(result.failures)
