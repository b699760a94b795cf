"""Validate the answers before anything is written; a bad answer stops the bake.

Every rule is a row of RULES: (field, check, message). The message names the field,
the bad value and a good example. cookiecutter removes the half-made project folder
when this hook exits non-zero, so a rejected bake leaves nothing behind.
Self-contained on purpose: cookiecutter cannot import local modules from hooks.
"""

from __future__ import annotations

import json
import keyword
import re
import sys
from collections.abc import Callable, Mapping

# Rendered by cookiecutter; the unit tests import this file unrendered and call main().
ANSWERS_JSON = r"""{{ cookiecutter | jsonify }}"""

MAX_NAME_LENGTH = 32  # keeps generated lines within the formatter's width for any answer
SLUG = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
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


def is_one_line(value: str) -> bool:
    return bool(value.strip()) and "\n" not in value and '"' not in value


Check = Callable[[str], bool]
TEAM_MESSAGE = "is neither @org/team nor @user; use e.g. '@acme-ml/{example}'"
RULES: tuple[tuple[str, Check, str], ...] = (
    ("project_name", is_one_line, "must be one line of text without double quotes; use e.g. 'Churn Prediction'"),
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
        "must be one line of text without double quotes; use e.g. 'Predict which customers will leave.'",
    ),
    ("author_name", is_one_line, "must be one line of text without double quotes; use e.g. 'Ada Lovelace'"),
    ("author_email", is_email, "is not an e-mail address; use e.g. 'ada@example.com'"),
    (
        "github_org",
        is_github_name,
        "is not a valid GitHub name (1-39 letters, digits or inner single dashes); use e.g. 'acme-ml'",
    ),
    ("data_science_team", is_team_handle, TEAM_MESSAGE.format(example="data-scientists")),
    ("ml_engineering_team", is_team_handle, TEAM_MESSAGE.format(example="ml-engineers")),
    ("mlops_team", is_team_handle, TEAM_MESSAGE.format(example="mlops")),
)


def find_errors(answers: Mapping[str, object]) -> list[str]:
    """Return one message per broken rule, in the order of RULES."""
    errors = []
    for field, check, message in RULES:
        value = str(answers.get(field, ""))
        if not check(value):
            errors.append(f"{field} {value!r} {message}.")
    return errors


def main(answers: Mapping[str, object]) -> int:
    errors = find_errors(answers)
    for error in errors:
        print(f"ERROR: {error}", file=sys.stderr)
    if errors:
        print("Nothing was generated; fix the answers above and bake again.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(json.loads(ANSWERS_JSON)))
