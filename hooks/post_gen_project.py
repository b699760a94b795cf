"""Shape the baked repository to the answers: remove what the options turned off, record the answers.

REMOVALS is the one place that says which answer removes which paths. The hook is
idempotent (running it twice, as `cruft update` may, gives the same tree) and
self-contained: cookiecutter cannot import local modules from hooks.

The answers are recorded once, in cruft's `.cruft.json`: a plain `cookiecutter` bake writes it
here (template, commit, answers), so `cruft check/diff/update` work on it without `cruft link`;
under cruft (its context carries `_commit`) the hook writes nothing and cruft writes the file.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

# Rendered by cookiecutter; the unit tests import this file unrendered and call main().
ANSWERS_JSON = r"""{{ cookiecutter | jsonify }}"""
# The template folder's absolute path (hooks/naming.py), for a template given as a relative path.
TEMPLATE_PATH = r"""{{ '.' | absolute_path }}"""

ANSWERS_FILE = ".cruft.json"
# Keys cookiecutter adds that describe the machine that baked, or the template's own settings
# (cruft re-renders with the template's current ones: it passes no `_` key back).
MACHINE_KEYS = frozenset(
    {"_output_dir", "_repo_dir", "_checkout", "_versions", "_copy_without_render", "_extensions", "__check"}
)

# (option, value) -> paths relative to the project root, removed when the answer matches.
# Paths may use {package_name}.
REMOVALS: Mapping[tuple[str, str], tuple[str, ...]] = {
    ("ci", "github"): (".gitlab-ci.yml", "docs/_ci-cd"),
    ("ci", "gitlab"): (".github/workflows", ".github/actions", "docs/_ci-cd"),
    ("ci", "none"): (".gitlab-ci.yml", ".github/workflows", ".github/actions", "docs/_ci-cd"),
    ("cloud", "aws"): ("infra/terraform/gcp", "infra/terraform/azure"),
    ("cloud", "gcp"): ("infra/terraform/aws", "infra/terraform/azure"),
    ("cloud", "azure"): ("infra/terraform/aws", "infra/terraform/gcp"),
    ("cloud", "none"): ("infra/terraform",),  # with it dvc-remote.mk: the Makefile `-include`s it, no `dvc-remote`
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
    # The licence texts not chosen (the chosen one became LICENSE).
    **{("license", name): ("_licenses",) for name in ("MIT", "Apache-2.0", "BSD-3-Clause", "Proprietary")},
    # The other task's contract declarations (the chosen one became schema.py).
    ("task", "classification"): ("core/src/{package_name}_core/schema_regression.py",),
    ("task", "regression"): ("core/src/{package_name}_core/schema_classification.py",),
}

# (option, value) -> (source, destination) moves, applied before the removals. Paths may use
# {package_name}.
MOVES: Mapping[tuple[str, str], tuple[tuple[str, str], ...]] = {
    # LICENSE is the text of the chosen licence.
    **{
        ("license", name): ((f"_licenses/{name}", "LICENSE"),)
        for name in ("MIT", "Apache-2.0", "BSD-3-Clause", "Proprietary")
    },
    # The handbook's CI/CD page is the one of the chosen CI system.
    ("ci", "github"): (("docs/_ci-cd/github.md", "docs/ci-cd.md"),),
    ("ci", "gitlab"): ((".github/CODEOWNERS", ".gitlab/CODEOWNERS"), ("docs/_ci-cd/gitlab.md", "docs/ci-cd.md")),
    ("ci", "none"): (("docs/_ci-cd/none.md", "docs/ci-cd.md"),),
    # The registry behind the `register` stage: MLflow's, or the champion committed to git.
    ("experiment_tracking", "mlflow"): (
        (
            "pipelines/src/{package_name}_pipelines/register_mlflow.py",
            "pipelines/src/{package_name}_pipelines/register.py",
        ),
    ),
    ("experiment_tracking", "none"): (
        (
            "pipelines/src/{package_name}_pipelines/register_local.py",
            "pipelines/src/{package_name}_pipelines/register.py",
        ),
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


def template_commit(repo_dir: str) -> str | None:
    """The commit the template was baked from, when it is a git checkout (a local clone or cookiecutter's)."""
    if not repo_dir or not Path(repo_dir).is_dir():
        return None
    try:
        result = subprocess.run(
            ["git", "-C", repo_dir, "rev-parse", "HEAD"], capture_output=True, text=True, check=False
        )
    except OSError:  # no git on this machine: the answers are still recorded, without a commit
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def template_location(template: str, template_path: str) -> str:
    """The template as cruft can clone it from anywhere: an absolute path, or the URL an abbreviation stands for."""
    if "://" in template or template.startswith("git@"):
        return template
    try:
        from cookiecutter.config import BUILTIN_ABBREVIATIONS
        from cookiecutter.repository import expand_abbreviations
    except ImportError:  # without cookiecutter's tables the template is recorded as given
        return template
    expanded = expand_abbreviations(template, BUILTIN_ABBREVIATIONS)
    if expanded != template:
        return expanded
    # A local folder, given relative to wherever cookiecutter ran: the hook was rendered inside it.
    return template_path if Path(template_path).is_absolute() else template


def cruft_state(answers: Mapping[str, object], template_path: str = TEMPLATE_PATH) -> dict[str, object]:
    """The answers in cruft's `.cruft.json` format, as `cruft create` would write them."""
    template = template_location(str(answers.get("_template", "")), template_path)
    commit = template_commit(template_path if Path(template_path).is_dir() else str(answers.get("_repo_dir", "")))
    context = {key: value for key, value in answers.items() if key not in MACHINE_KEYS}
    context.update(_template=template, _commit=commit)
    return {
        "template": template,
        "commit": commit,
        "checkout": answers.get("_checkout"),
        "context": {"cookiecutter": context},
        "directory": None,
    }


def write_answers(root: Path, answers: Mapping[str, object]) -> None:
    """Record the answers once, in cruft's format; under cruft (which writes the file itself) do nothing."""
    if "_commit" in answers:
        return
    (root / ANSWERS_FILE).write_text(json.dumps(cruft_state(answers), indent=2) + "\n", encoding="utf-8")


# What a person runs first in a new bake, in order (each is a verb of the baked Makefile).
FIRST_COMMANDS: tuple[tuple[str, str], ...] = (
    ("make setup", "install every member and the dev tools (installs the pinned uv if it is missing)"),
    ("make check", "lint, types, import contracts, tests, pre-commit"),
    ("make repro", "train, gate and export the example model"),
)


def next_steps(root: Path) -> list[str]:
    """The bake's last words: which folder it made, and the first commands to run in it."""
    width = max(len(command) for command, _ in FIRST_COMMANDS)
    return [
        f"Baked {root}. Next:",
        f"    cd {shlex.quote(str(root))}",
        *(f"    {command:<{width}}  # {what}" for command, what in FIRST_COMMANDS),
        "`make help` lists every verb; README.md says what lives where.",
    ]


def main(answers: Mapping[str, object], root: Path) -> int:
    move_paths(root, moves_for(answers))
    remove_paths(root, paths_to_remove(answers))
    remove_empty_dirs(root)
    write_answers(root, answers)
    if "_commit" not in answers:  # cruft re-bakes into scratch folders for diff and update: nothing to start there
        print("\n".join(next_steps(root)))
    return 0


if __name__ == "__main__":
    sys.exit(main(json.loads(ANSWERS_JSON), Path.cwd()))
