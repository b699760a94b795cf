"""Shape the baked repository to the answers: remove what the options turned off.

REMOVALS is the one place that says which answer removes which paths. The hook is
idempotent (running it twice, as `cruft update` may, gives the same tree) and
self-contained: cookiecutter cannot import local modules from hooks.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

# Rendered by cookiecutter; the unit tests import this file unrendered and call main().
ANSWERS_JSON = r"""{{ cookiecutter | jsonify }}"""

ANSWERS_FILE = ".cookiecutter.json"
# Keys cookiecutter adds that describe the machine that baked, not the project.
MACHINE_KEYS = frozenset({"_output_dir", "_repo_dir", "_checkout", "_versions", "_copy_without_render"})

# (option, value) -> paths relative to the project root, removed when the answer matches.
# Paths may use {package_name}.
REMOVALS: Mapping[tuple[str, str], tuple[str, ...]] = {
    ("ci", "github"): (".gitlab-ci.yml", "docs/_ci-cd"),
    ("ci", "gitlab"): (".github/workflows", ".github/actions", "docs/_ci-cd"),
    ("ci", "none"): (".gitlab-ci.yml", ".github/workflows", ".github/actions", "docs/_ci-cd"),
    ("cloud", "aws"): ("infra/terraform/gcp", "infra/terraform/azure"),
    ("cloud", "gcp"): ("infra/terraform/aws", "infra/terraform/azure"),
    ("cloud", "azure"): ("infra/terraform/aws", "infra/terraform/gcp"),
    ("cloud", "none"): ("infra/terraform",),
    ("experiment_tracking", "mlflow"): (
        "pipelines/src/{package_name}_pipelines/register_local.py",
        "pipelines/tests/test_register_local.py",
        ".devcontainer/_no_mlflow.json",  # the dev container without MLflow's port
    ),
    ("experiment_tracking", "none"): (
        "pipelines/src/{package_name}_pipelines/register_mlflow.py",
        "pipelines/tests/test_register_mlflow.py",
        "infra/k8s/components/mlflow-server",
        "compose.override.yaml",  # the local stack's MLflow server
    ),
    # The other task's contract declarations (the chosen one became schema.py).
    ("task", "classification"): ("core/src/{package_name}_core/schema_regression.py",),
    ("task", "regression"): ("core/src/{package_name}_core/schema_classification.py",),
}

# (option, value) -> (source, destination) moves, applied before the removals. Paths may use
# {package_name}.
MOVES: Mapping[tuple[str, str], tuple[tuple[str, str], ...]] = {
    # The handbook's CI/CD page is the one of the chosen CI system.
    ("ci", "github"): (("docs/_ci-cd/github.md", "docs/ci-cd.md"),),
    ("ci", "gitlab"): ((".github/CODEOWNERS", ".gitlab/CODEOWNERS"), ("docs/_ci-cd/gitlab.md", "docs/ci-cd.md")),
    ("ci", "none"): (("docs/_ci-cd/none.md", "docs/ci-cd.md"),),
    # The registry behind the `register` stage: MLflow's, or the champion committed to git.
    ("experiment_tracking", "mlflow"): (
        ("pipelines/src/{package_name}_pipelines/register_mlflow.py", "pipelines/src/{package_name}_pipelines/register.py"),
    ),
    ("experiment_tracking", "none"): (
        ("pipelines/src/{package_name}_pipelines/register_local.py", "pipelines/src/{package_name}_pipelines/register.py"),
        # No MLflow server in the local stack: the dev container forwards no port 5000.
        (".devcontainer/_no_mlflow.json", ".devcontainer/devcontainer.json"),
    ),
    # The bundled example's contract declarations for the chosen task (`make dataset` rewrites schema.py).
    ("task", "classification"): (
        ("core/src/{package_name}_core/schema_classification.py", "core/src/{package_name}_core/schema.py"),
    ),
    ("task", "regression"): (
        ("core/src/{package_name}_core/schema_regression.py", "core/src/{package_name}_core/schema.py"),
    ),
}


def moves_for(answers: Mapping[str, object]) -> list[tuple[str, str]]:
    """The move table applied to these answers (paths may use {package_name})."""
    package_name = str(answers.get("package_name", ""))
    return [
        (source.format(package_name=package_name), destination.format(package_name=package_name))
        for (option, value), moves in MOVES.items()
        if str(answers.get(option)) == value
        for source, destination in moves
    ]


def move_paths(root: Path, moves: Iterable[tuple[str, str]]) -> None:
    for source, destination in moves:
        if (root / source).exists():
            (root / destination).parent.mkdir(parents=True, exist_ok=True)
            (root / source).replace(root / destination)


def paths_to_remove(answers: Mapping[str, object]) -> list[str]:
    """The removal table applied to these answers."""
    package_name = str(answers.get("package_name", ""))
    paths: list[str] = []
    for (option, value), removed in REMOVALS.items():
        if str(answers.get(option)) == value:
            paths.extend(path.format(package_name=package_name) for path in removed)
    return paths


def remove_paths(root: Path, paths: Iterable[str]) -> None:
    for relative in paths:
        target = root / relative
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()


def remove_empty_dirs(root: Path) -> None:
    """Delete folders left empty by the removals, deepest first (never the root, never .git)."""
    for folder in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        if ".git" in folder.relative_to(root).parts:
            continue
        if not any(folder.iterdir()):
            folder.rmdir()


def write_answers(root: Path, answers: Mapping[str, object]) -> None:
    """Record the answers so the project can be re-baked (cookiecutter --replay) or linked with cruft."""
    kept = {key: value for key, value in answers.items() if key not in MACHINE_KEYS}
    (root / ANSWERS_FILE).write_text(json.dumps(kept, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def main(answers: Mapping[str, object], root: Path) -> int:
    move_paths(root, moves_for(answers))
    remove_paths(root, paths_to_remove(answers))
    remove_empty_dirs(root)
    write_answers(root, answers)
    return 0


if __name__ == "__main__":
    sys.exit(main(json.loads(ANSWERS_JSON), Path.cwd()))
