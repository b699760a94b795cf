"""Validate the answers before anything is written; a bad answer stops the bake.

Every rule is a row of RULES: (field, check, message). The message names the field,
the bad value and a good example, and ends with the command that bakes again from
cookiecutter's replay file once the answer is fixed there. cookiecutter removes the
half-made project folder when this hook exits non-zero, so a rejected bake leaves nothing behind.
Self-contained on purpose: cookiecutter cannot import local modules from hooks. The same rules
run at prompt time through hooks/naming.py, which loads this file.
"""

from __future__ import annotations

import json
import keyword
import re
import shlex
import shutil
import sys
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

# Rendered by cookiecutter; the unit tests import this file unrendered and call main().
ANSWERS_JSON = r"""{{ cookiecutter | jsonify }}"""

MAX_NAME_LENGTH = 32  # keeps generated lines within the formatter's width for any answer
SLUG = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
YEAR = re.compile(r"^[12][0-9]{3}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
# GitHub: 1-39 alphanumerics or single inner hyphens.
GITHUB_NAME = re.compile(r"^(?=.{1,39}$)[A-Za-z0-9]+(-[A-Za-z0-9]+)*$")
TEAM_HANDLE = re.compile(
    r"^@(?:[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*/[A-Za-z0-9][A-Za-z0-9_.-]*|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*)$"
)

# Top-level names the generated packages import; a package prefix equal to one of
# them would shadow it (`<prefix>_core` is safe, but people also `import <prefix>`).
DEPENDENCY_NAMES = frozenset(
    {
        "sklearn",
        "scikit_learn",
        "numpy",
        "pandas",
        "scipy",
        "pydantic",
        "mlflow",
        "dvc",
        "onnx",
        "onnxruntime",
        "skl2onnx",
        "fastapi",
        "uvicorn",
        "starlette",
        "matplotlib",
        "jupyter",
        "ipykernel",
        "nbclient",
        "pytest",
        "mypy",
        "ruff",
        "importlinter",
        "yaml",
        "requests",
        "httpx",
        "prometheus_client",
        "test",
        "tests",
        "core",
        "research",
        "pipelines",
        "service",
        "infra",
        "docs",
    }
)


def is_slug(value: str) -> bool:
    return bool(SLUG.match(value)) and len(value) <= MAX_NAME_LENGTH


def is_package_name(value: str) -> bool:
    return (
        bool(IDENTIFIER.match(value))
        and len(value) <= MAX_NAME_LENGTH
        and not keyword.iskeyword(value)
        and value not in sys.stdlib_module_names
        and value not in DEPENDENCY_NAMES
    )


def is_email(value: str) -> bool:
    return bool(EMAIL.match(value))


def is_github_name(value: str) -> bool:
    return bool(GITHUB_NAME.match(value))


def is_team_handle(value: str) -> bool:
    return bool(TEAM_HANDLE.match(value))


# Control characters (tab, newline, ...), line and paragraph separators, surrogates and unassigned code points.
NOT_TEXT = frozenset({"Cc", "Cs", "Cn", "Zl", "Zp"})


def is_year(value: str) -> bool:
    return bool(YEAR.match(value))


# Jinja's opening delimiters, spelled so that rendering this hook leaves them alone. Every re-bake with
# these answers (`cruft update`, `cruft diff`, `cookiecutter --no-input`) renders each answer as a template,
# so text holding one would be evaluated, not kept. Quotes and backslashes are fine: every file writes the
# answers through the filter of its own syntax (hooks/naming.py).
JINJA_DELIMITERS = tuple("{" + second for second in ("{", "%", "#"))


def is_one_line(value: str) -> bool:
    return (
        bool(value.strip())
        and not any(unicodedata.category(character) in NOT_TEXT for character in value)
        and not any(delimiter in value for delimiter in JINJA_DELIMITERS)
    )


Check = Callable[[str], bool]


def text_message(example: str) -> str:
    delimiters = ", ".join(repr(delimiter) for delimiter in JINJA_DELIMITERS)
    return (
        f"must be one line of text without control characters or Jinja's {delimiters} "
        f"(an update renders answers as templates); use e.g. {example!r}"
    )


TEAM_MESSAGE = "is neither @org/team nor @user; use e.g. '@acme-ml/{example}'"
RULES: tuple[tuple[str, Check, str], ...] = (
    (
        "project_name",
        is_one_line,
        text_message("Tabular Model"),
    ),
    (
        "project_slug",
        is_slug,
        "is not a lowercase folder name (letters, digits, single dashes, at most 32 characters); use e.g. 'churn-prediction'",
    ),
    (
        "package_name",
        is_package_name,
        "is not a usable Python package prefix (a lowercase identifier of at most 32 characters that is no keyword and shadows no standard-library or dependency module); use e.g. 'churn_prediction'",
    ),
    (
        "description",
        is_one_line,
        text_message("Predict which customers will leave."),
    ),
    (
        "author_name",
        is_one_line,
        text_message("Ada Lovelace"),
    ),
    ("author_email", is_email, "is not an e-mail address; use e.g. 'ada@example.com'"),
    (
        "github_org",
        is_github_name,
        "is not a valid GitHub name (1-39 letters, digits or inner single dashes); use e.g. 'acme-ml'",
    ),
    ("data_science_team", is_team_handle, TEAM_MESSAGE.format(example="data-scientists")),
    ("ml_engineering_team", is_team_handle, TEAM_MESSAGE.format(example="ml-engineers")),
    ("mlops_team", is_team_handle, TEAM_MESSAGE.format(example="mlops")),
    ("copyright_year", is_year, "is not a four-digit year; use e.g. '2026'"),
)


def find_problems(answers: Mapping[str, object], only_present: bool = False) -> list[tuple[str, str]]:
    """(field, message) per broken rule, in the order of RULES; `only_present` skips fields not answered yet."""
    problems = []
    for field, check, message in RULES:
        if only_present and field not in answers:
            continue
        value = str(answers.get(field, ""))
        if not check(value):
            problems.append((field, f"{field} {value!r} {message}."))
    return problems


def find_errors(answers: Mapping[str, object], only_present: bool = False) -> list[str]:
    """One message per broken rule, in the order of RULES."""
    return [message for _, message in find_problems(answers, only_present)]


def replay_file(template_name: str) -> Path | None:
    """Where cookiecutter keeps this template's replay file (its user config: COOKIECUTTER_CONFIG or ~/.cookiecutterrc)."""
    try:
        from cookiecutter.config import get_user_config
        from cookiecutter.exceptions import CookiecutterException
    except ImportError:  # the hook runs with cookiecutter's interpreter; without it there is no replay to offer
        return None
    try:
        replay_dir = get_user_config()["replay_dir"]
    except (CookiecutterException, OSError):
        return None
    return Path(replay_dir).expanduser() / f"{template_name}.json"


def save_replay(path: Path, answers: Mapping[str, object]) -> bool:
    """Write answers in cookiecutter's replay format (as `cookiecutter --replay-file` reads it); False if it cannot."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"cookiecutter": dict(answers)}, indent=2) + "\n", encoding="utf-8")
    except OSError:
        return False
    return True


def cookiecutter_command() -> list[str]:
    """The command that runs this cookiecutter: `cookiecutter` when PATH finds this one, else its interpreter's `-m`.

    A cookiecutter installed in a virtualenv that is not activated (the template's `make venv`) is not on PATH.
    """
    interpreter = Path(sys.executable)
    script = shutil.which("cookiecutter")
    if script and interpreter.parent in (Path(script).parent, Path(script).resolve().parent):
        return ["cookiecutter"]
    return [str(interpreter), "-m", "cookiecutter"]


def retry_hint(errors: Sequence[str], replay: Path | None, template: str, output_dir: str | None) -> list[str]:
    """The closing lines of a rejection: which answers to change in the replay file, then the exact command."""
    fields = [error.split(" ", 1)[0] for error in errors]
    if replay is None or not replay.is_file():
        return ["Nothing was generated; fix the answers above and bake again."]
    command = [*cookiecutter_command(), "--replay-file", str(replay), template]
    if output_dir:
        command += ["--output-dir", output_dir]
    return [
        "Nothing was generated. Every answer is saved in cookiecutter's replay file:",
        f"    {replay}",
        f"Change {', '.join(repr(field) for field in fields)} there (each message above gives an example),",
        "then bake again without typing the other answers:",
        f"    {shlex.join(command)}",
    ]


def main(answers: Mapping[str, object]) -> int:
    errors = find_errors(answers)
    if not errors:
        return 0
    for error in errors:
        print(f"ERROR: {error}", file=sys.stderr)
    repo_dir = str(answers.get("_repo_dir", ""))
    replay = replay_file(Path(repo_dir).name) if repo_dir else None
    template = str(answers.get("_template") or repo_dir)
    output_dir = str(answers.get("_output_dir") or "") or None
    for line in retry_hint(errors, replay, template, output_dir):
        print(line, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(json.loads(ANSWERS_JSON)))
