"""Hooks tier: each bad answer stops the bake with a message naming field, value and a good example."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from harness import CHOICES, TEMPLATE_DIR, answers_of, project_files

HOOKS = TEMPLATE_DIR / "hooks"


def load_hook(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, HOOKS / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pre_gen = load_hook("pre_gen_project")
post_gen = load_hook("post_gen_project")

GOOD_ANSWERS = {
    "project_name": "Churn Prediction",
    "project_slug": "churn-prediction",
    "package_name": "churn_prediction",
    "description": "Predict churn.",
    "author_name": "Ada Lovelace",
    "author_email": "ada@example.com",
    "github_org": "acme-ml",
    "data_science_team": "@acme-ml/data-scientists",
    "ml_engineering_team": "@acme-ml/ml-engineers",
    "mlops_team": "@ada",
    "copyright_year": "2026",
}

# (field, bad value, words the message must contain besides the field and the value)
REJECTIONS = [
    ("project_slug", "Churn Prediction", "lowercase folder name"),
    ("project_slug", "churn--prediction", "lowercase folder name"),
    ("project_slug", "-churn", "lowercase folder name"),
    ("package_name", "churn-prediction", "identifier"),
    ("package_name", "class", "keyword"),
    ("package_name", "json", "standard-library"),
    ("package_name", "test", "dependency"),
    ("package_name", "sklearn", "dependency"),
    ("package_name", "mlflow", "dependency"),
    ("package_name", "a" * 33, "at most 32"),
    ("author_email", "ada-at-example.com", "e-mail"),
    ("github_org", "acme_ml", "GitHub name"),
    ("github_org", "-acme", "GitHub name"),
    ("data_science_team", "data-scientists", "@org/team nor @user"),
    ("ml_engineering_team", "@acme/", "@org/team nor @user"),
    ("mlops_team", "acme/mlops", "@org/team nor @user"),
    ("copyright_year", "26", "four-digit year"),
    ("description", "Predict\tchurn.", "control characters"),
]
# Text answers holding Jinja's delimiters: refused (a re-bake would evaluate them). Given on the command line,
# cookiecutter itself renders them before any check can run, so these are typed at the prompts.
JINJA_REJECTIONS = [
    ("project_name", "Model {{ v2 }}", "Jinja"),
    ("description", "Churn {% per week", "Jinja"),
    ("author_name", "Ada {# Lovelace #}", "Jinja"),
]
# Quotes and backslashes are fine in every text answer: each file escapes them in its own syntax.
QUOTED_ANSWERS = {
    "project_name": 'The "Best" Model',
    "description": 'C:\\ forecasts, "quoted"',
    "author_name": 'Ada "Countess" O\'Brien',
    "author_email": '"ada\\"lovelace"@example.com',
}


def cookiecutter_cli(
    *args: str, config_dir: Path, cwd: Path | None = None, typed: str | None = None
) -> subprocess.CompletedProcess[str]:
    """The cookiecutter command line with its user config (replay folder) under `config_dir`; `typed` answers the prompts."""
    config = config_dir / "cookiecutter.yaml"
    config.write_text(f"cookiecutters_dir: '{config_dir / 'cookiecutters'}'\nreplay_dir: '{config_dir / 'replay'}'\n")
    env = {**os.environ, "COOKIECUTTER_CONFIG": str(config)}
    return subprocess.run(
        [sys.executable, "-m", "cookiecutter", *args], capture_output=True, text=True, env=env, cwd=cwd, input=typed
    )


def retry_command(output: str) -> list[str]:
    """The command a rejection ends with, from `--replay-file` on (what precedes it runs cookiecutter)."""
    command = shlex.split(output.strip().splitlines()[-1])
    assert command[: command.index("--replay-file")] in (["cookiecutter"], [sys.executable, "-m", "cookiecutter"])
    return ["cookiecutter", *command[command.index("--replay-file") :]]


@pytest.mark.parametrize(("field", "value", "words"), REJECTIONS, ids=lambda v: str(v)[:24])
def test_a_bad_answer_stops_the_bake_and_leaves_no_folder(field: str, value: str, words: str, tmp_path: Path) -> None:
    output_dir = tmp_path / "out"
    output_dir.mkdir()
    result = cookiecutter_cli(
        "--no-input", str(TEMPLATE_DIR), f"{field}={value}", "-o", str(output_dir), config_dir=tmp_path
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1
    assert f"{field} {value!r}" in output
    assert words in output
    assert "e.g." in output
    assert "Traceback" not in output
    assert list(output_dir.iterdir()) == []
    # It ends with the command that replays the saved answers; the bad one is saved too, to be fixed.
    command = retry_command(output)
    assert command[:3] == ["cookiecutter", "--replay-file", str(tmp_path / "replay" / f"{TEMPLATE_DIR.name}.json")]
    assert command[3] == str(TEMPLATE_DIR)
    assert json.loads(Path(command[2]).read_text())["cookiecutter"][field] == value


@pytest.mark.parametrize(("field", "value", "words"), JINJA_REJECTIONS, ids=lambda v: str(v)[:24])
def test_jinja_typed_at_a_prompt_stops_the_bake_with_the_retry_command(
    field: str, value: str, words: str, tmp_path: Path
) -> None:
    """Typed at the prompts (Enter keeps every other default), the text reaches the rules as typed."""
    output_dir = tmp_path / "out"
    output_dir.mkdir()
    questions = [key for key in json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text()) if not key.startswith("_")]
    typed = "".join(f"{value if key == field else ''}\n" for key in questions)
    result = cookiecutter_cli(str(TEMPLATE_DIR), "-o", str(output_dir), config_dir=tmp_path, typed=typed)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert f"ERROR: {field} {value!r} must be" in output
    assert words in output and "e.g." in output
    assert "Traceback" not in output
    assert list(output_dir.iterdir()) == []
    command = retry_command(output)
    assert json.loads(Path(command[2]).read_text())["cookiecutter"][field] == value


def test_the_retry_command_bakes_once_the_answer_is_fixed_in_the_replay_file(tmp_path: Path) -> None:
    """Recovery without retyping: every other answer (here a non-default name) comes back from the replay file."""
    rejected = cookiecutter_cli(
        "--no-input",
        str(TEMPLATE_DIR),
        "project_name=Seabird Census",
        "author_email=grace-at-globex",
        config_dir=tmp_path,
    )
    assert rejected.returncode == 1
    command = retry_command(rejected.stdout + rejected.stderr)
    replay = Path(command[2])
    saved = json.loads(replay.read_text())
    saved["cookiecutter"]["author_email"] = "grace@globex.example"
    replay.write_text(json.dumps(saved))
    work = tmp_path / "work"
    work.mkdir()
    retried = cookiecutter_cli(*command[1:], config_dir=tmp_path, cwd=work)
    assert retried.returncode == 0, retried.stdout + retried.stderr
    answers = answers_of(work / "seabird-census")
    assert (answers["project_name"], answers["author_email"]) == ("Seabird Census", "grace@globex.example")


def test_the_pre_gen_hook_ends_with_the_retry_command_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A replayed answer that is still bad is caught by the hook, which points at cookiecutter's replay file."""
    replay = tmp_path / "replay" / "mlroles-template.json"
    replay.parent.mkdir()
    replay.write_text("{}")
    config = tmp_path / "cookiecutter.yaml"
    config.write_text(f"replay_dir: '{replay.parent}'\n")
    monkeypatch.setenv("COOKIECUTTER_CONFIG", str(config))
    answers = {
        **GOOD_ANSWERS,
        "github_org": "_",
        "_repo_dir": "/srv/templates/mlroles-template",
        "_template": "gh:acme/mlroles-template",
        "_output_dir": "/srv/out",
    }
    assert pre_gen.main(answers) == 1
    stderr = capsys.readouterr().err
    assert "'github_org'" in stderr
    assert stderr.strip().splitlines()[-1].strip() == shlex.join(
        [*pre_gen.cookiecutter_command(), "--replay-file", str(replay), "gh:acme/mlroles-template"]
        + ["--output-dir", "/srv/out"]
    )


def test_the_retry_command_runs_as_printed_when_cookiecutter_is_not_on_path(tmp_path: Path) -> None:
    """cookiecutter from a virtualenv that is not activated: the command names its interpreter, and runs as printed."""
    bin_dir = str(Path(sys.executable).parent)
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if p != bin_dir and Path(p).is_dir())
    config = tmp_path / "cookiecutter.yaml"
    config.write_text(f"replay_dir: '{tmp_path / 'replay'}'\n")
    env = {**os.environ, "PATH": path, "COOKIECUTTER_CONFIG": str(config)}
    assert shutil.which("cookiecutter", path=path) is None, "a cookiecutter outside the test's virtualenv is on PATH"
    rejected = subprocess.run(
        [sys.executable, "-m", "cookiecutter", "--no-input", str(TEMPLATE_DIR), "github_org=acme ml"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert rejected.returncode == 1
    printed = (rejected.stdout + rejected.stderr).strip().splitlines()[-1].strip()
    assert printed.startswith(shlex.join([sys.executable, "-m", "cookiecutter", "--replay-file"])), printed
    replay = tmp_path / "replay" / f"{TEMPLATE_DIR.name}.json"
    replay.write_text(replay.read_text().replace("acme ml", "acme-ml"))  # the organisation and the team handles
    retried = subprocess.run(["sh", "-c", printed], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert retried.returncode == 0, retried.stderr
    assert answers_of(tmp_path / "tabular-model")["github_org"] == "acme-ml"


@pytest.mark.parametrize(("field", "value", "words"), REJECTIONS + JINJA_REJECTIONS, ids=lambda v: str(v)[:24])
def test_find_errors_names_exactly_the_bad_field(field: str, value: str, words: str) -> None:
    errors = pre_gen.find_errors({**GOOD_ANSWERS, field: value})
    assert len(errors) == 1
    assert errors[0].startswith(f"{field} {value!r}")


def test_good_answers_have_no_errors() -> None:
    assert pre_gen.find_errors(GOOD_ANSWERS) == []
    assert pre_gen.find_errors({**GOOD_ANSWERS, **QUOTED_ANSWERS}) == []


@pytest.mark.parametrize("handle", ["@acme-ml/data-scientists", "@ada", "@Acme/ML_team.v2"])
def test_team_handles_accept_org_teams_and_users(handle: str) -> None:
    assert pre_gen.is_team_handle(handle)


def test_main_reports_every_error_at_once(capsys: pytest.CaptureFixture[str]) -> None:
    assert pre_gen.main({**GOOD_ANSWERS, "author_email": "x", "github_org": "_"}) == 1
    stderr = capsys.readouterr().err
    assert "author_email" in stderr
    assert "github_org" in stderr
    assert "Nothing was generated" in stderr


@pytest.mark.parametrize(("option", "value"), [(o, v) for o, values in CHOICES.items() for v in values])
def test_removal_paths_only_name_files_the_template_has(option: str, value: str) -> None:
    template_files = {
        p.relative_to(TEMPLATE_DIR / "{{cookiecutter.project_slug}}")
        .as_posix()
        .replace("{{cookiecutter.package_name}}", "pkg")
        for p in (TEMPLATE_DIR / "{{cookiecutter.project_slug}}").rglob("*")
    }
    for path in post_gen.paths_to_remove({option: value, "package_name": "pkg"}):
        assert path in template_files, path


def test_post_gen_removes_moves_and_is_idempotent(tmp_path: Path) -> None:
    answers = {
        "ci": "gitlab",
        "cloud": "none",
        "experiment_tracking": "none",
        "package_name": "pkg",
        "_output_dir": "/x",
    }
    for relative in [".github/CODEOWNERS", ".github/workflows/ci.yml", "infra/terraform/main.tf", "infra/k8s/a.yaml"]:
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("x\n")
    assert post_gen.main(answers, tmp_path) == 0
    first = project_files(tmp_path)
    assert post_gen.main(answers, tmp_path) == 0
    assert project_files(tmp_path) == first == {".gitlab/CODEOWNERS", "infra/k8s/a.yaml", ".cruft.json"}
    assert not (tmp_path / ".github").exists()


def test_the_one_answers_file_is_cruft_state_without_machine_paths(tmp_path: Path) -> None:
    answers = {
        "project_name": "X",
        "copyright_year": "2019",
        "_output_dir": "/tmp/x",
        "_repo_dir": str(TEMPLATE_DIR),
        "_template": "gh:o/t",
        "_checkout": None,
        "_versions": {"uv": "0"},
        "__check": "",
    }
    post_gen.write_answers(tmp_path, answers)
    head = subprocess.run(["git", "-C", str(TEMPLATE_DIR), "rev-parse", "HEAD"], capture_output=True, text=True)
    commit = head.stdout.strip() or None
    url = "https://github.com/o/t.git"  # cookiecutter's gh: abbreviation, which cruft cannot clone
    assert json.loads((tmp_path / ".cruft.json").read_text()) == {
        "template": url,
        "commit": commit,
        "checkout": None,
        "context": {
            "cookiecutter": {"project_name": "X", "copyright_year": "2019", "_template": url, "_commit": commit}
        },
        "directory": None,
    }
    assert [p.name for p in tmp_path.iterdir()] == [".cruft.json"]


def test_under_cruft_the_hook_leaves_the_answers_file_to_cruft(tmp_path: Path) -> None:
    """cruft's context carries `_commit`; its re-bakes for diff/update then hold no answers file to patch."""
    post_gen.write_answers(tmp_path, {"project_name": "X", "_template": "gh:o/t", "_commit": "abc"})
    assert list(tmp_path.iterdir()) == []


def test_a_rejected_bake_through_the_api_raises(cookies, tmp_path: Path) -> None:  # noqa: ANN001 - pytest-cookies
    from cookiecutter.exceptions import FailedHookException

    result = cookies.bake(extra_context={"github_org": "not valid"})
    assert isinstance(result.exception, FailedHookException), result.exception
    assert result.project_path is None
    # pytest-cookies bakes under <tmp_path>/cookies; the answers were refused before anything was written.
    assert [p for p in (tmp_path / "cookies").rglob("*") if not p.is_dir()] == []


def test_the_bake_ends_by_naming_the_folder_and_the_first_commands(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    result = cookiecutter_cli(
        "--no-input", str(TEMPLATE_DIR), "project_name=Seabird Census", config_dir=tmp_path, cwd=work
    )
    assert result.returncode == 0, result.stderr
    root = work / "seabird-census"
    lines = result.stdout.strip().splitlines()
    assert lines[-6:-4] == [f"Baked {root}. Next:", f"    cd {root}"], result.stdout
    commands = [line.split("#")[0].strip() for line in lines[-4:-1]]
    assert commands == ["make setup", "make check", "make repro"]
    makefile = (root / "Makefile").read_text()
    for command in commands:  # each is a verb of the bake's Makefile
        assert re.search(rf"^{command.split()[1]}:", makefile, re.MULTILINE), command


def test_under_cruft_the_hook_prints_no_next_steps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """cruft re-bakes into scratch folders for diff and update; a bake there has nothing to start."""
    assert post_gen.main({"package_name": "pkg", "_template": "gh:o/t", "_commit": "abc"}, tmp_path) == 0
    assert capsys.readouterr().out == ""
