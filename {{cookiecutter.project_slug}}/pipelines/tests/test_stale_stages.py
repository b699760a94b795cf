"""Pipelines: no stage can go stale — each stage's deps in dvc.yaml list every module of this project it imports.

A stage runs `python -m <package>_pipelines <stage>`: the package, its __main__, the stage's module and
everything they import from the pipelines and core packages, including imports inside functions. The first
test follows those imports and compares them with the stage's deps; the second edits every module of the
two packages in a scratch DVC project whose stages are up to date and checks that `dvc status` names each
stage that imports it (so DVC itself sees the lists as the first test reads them).
"""

from __future__ import annotations

import ast
import importlib.util
import json
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from {{ cookiecutter.package_name }}_pipelines.__main__ import PACKAGE, STAGES

REPO_ROOT = Path(__file__).resolve().parents[2]
CORE = "{{ cookiecutter.package_name }}_core"
OURS = (CORE, PACKAGE)


@cache
def package_folder(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    assert spec is not None, package
    assert spec.origin is not None, package
    return Path(spec.origin).parent


def module_file(name: str, packages: tuple[str, ...] = OURS) -> Path | None:
    """The file of one of our modules ('<package>.<module>'), or None for anything else (a library, a name)."""
    top, _, rest = name.partition(".")
    if top not in packages:
        return None
    base = package_folder(top).joinpath(*rest.split(".")) if rest else package_folder(top)
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    return base.with_suffix(".py") if base.with_suffix(".py").is_file() else None


def imported_files(*modules: str, packages: tuple[str, ...] = OURS) -> set[Path]:
    """The files of our modules these modules import, directly or not, at import time or inside functions."""
    found: dict[str, Path] = {}
    todo = list(modules)
    while todo:
        name = todo.pop()
        path = module_file(name, packages)
        if name in found or path is None:
            continue
        found[name] = path
        parts = name.split(".")
        todo += [".".join(parts[:end]) for end in range(1, len(parts))]  # importing a.b runs a/__init__.py
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                todo += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = importlib.util.resolve_name("." * node.level + (node.module or ""), package)
                todo += [base, *(f"{base}.{alias.name}" for alias in node.names)]
    return {path.resolve() for path in found.values()}


def stage_imports(command: str) -> set[Path]:
    """What a stage's command imports of our packages: `python -m <package>_pipelines <stage>` runs the package,
    its __main__ and the stage's module. Another command (a tool of a team's own) is not followed: an empty set."""
    match command.split():
        case ["python", "-m", package, stage] if package == PACKAGE and stage in STAGES:
            return imported_files(PACKAGE, f"{PACKAGE}.__main__", f"{PACKAGE}.{STAGES[stage][0]}")
        case _:
            return set()


def stages(dvc_pipeline: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """dvc.yaml's stages (`${...}` filled in: the `dvc_pipeline` fixture): command, deps and outputs (metrics too)."""

    def paths(entries: list[str | dict[str, Any]]) -> list[str]:
        return [entry if isinstance(entry, str) else next(iter(entry)) for entry in entries]

    return {
        name: {
            "cmd": stage["cmd"] if isinstance(stage["cmd"], str) else "",
            "deps": paths(stage.get("deps", [])),
            "outs": paths(stage.get("outs", []) + stage.get("metrics", [])),
        }
        for name, stage in dvc_pipeline["stages"].items()
    }


def ours(path: Path) -> bool:
    return any(path.is_relative_to(package_folder(package)) for package in OURS)


def test_each_stage_depends_on_every_module_it_imports_and_no_other(dvc_pipeline: dict[str, Any]) -> None:
    declared = stages(dvc_pipeline)
    unfollowed = [
        name for name, stage in declared.items() if PACKAGE in stage["cmd"] and not stage_imports(stage["cmd"])
    ]
    assert not unfollowed, f"stages that run {PACKAGE} in a way this test does not follow: {unfollowed}"
    problems = []
    for name, stage in declared.items():
        imported = stage_imports(stage["cmd"])
        listed = {(REPO_ROOT / dep).resolve() for dep in stage["deps"]}
        listed_modules = {path for path in listed if path.suffix == ".py" and ours(path)}
        problems += [f"{name}: imports {path.relative_to(REPO_ROOT)}, not in its deps" for path in imported - listed]
        problems += [
            f"{name}: lists {path.relative_to(REPO_ROOT)}, never imported" for path in listed_modules - imported
        ]
    assert not problems, "dvc.yaml's deps and the stages' imports differ:\n" + "\n".join(sorted(problems))


def test_the_check_follows_imports_inside_functions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The control: modules imported only inside a function, through `from . import` and from there, are followed."""
    probe = tmp_path / "stale_stages_probe"
    probe.mkdir()
    (probe / "__init__.py").write_text("")
    (probe / "stage.py").write_text("import json\n\n\ndef run() -> None:\n    from . import helper\n")
    (probe / "helper.py").write_text("from .deep import value\n")
    (probe / "deep.py").write_text("value = 1\n")
    (probe / "unused.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    found = imported_files("stale_stages_probe.stage", packages=("stale_stages_probe",))
    assert {path.name for path in found} == {"__init__.py", "stage.py", "helper.py", "deep.py"}


def dvc(root: Path, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "dvc", *args], cwd=root, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.slow  # runs DVC twice (seconds); the import check above keeps the lists complete in the fast tier
def test_an_edited_module_makes_every_stage_that_imports_it_stale(tmp_path: Path, dvc_pipeline: dict[str, Any]) -> None:
    """A comment added to each module of the two packages: `dvc status` names, for each stage, each one it imports.

    The stages are not run: stand-in files take the place of their data and outputs, and `dvc commit` records
    them as up to date, which is all `dvc status` compares with. Each stage must report exactly the modules it
    imports as changed, and nothing else (so a scratch project that was not up to date fails the test).
    """
    for name in ("dvc.yaml", "params.yaml"):
        shutil.copy(REPO_ROOT / name, tmp_path / name)
    folders = [package_folder(package).relative_to(REPO_ROOT) for package in OURS]
    for module in (module for folder in folders for module in (REPO_ROOT / folder).rglob("*.py")):
        (tmp_path / module.relative_to(REPO_ROOT)).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(module, tmp_path / module.relative_to(REPO_ROOT))  # the modules only: not a team's data
    declared = stages(dvc_pipeline)  # dvc.yaml and params.yaml are the repository's
    for stage in declared.values():
        for path in (tmp_path / relative for relative in stage["deps"] + stage["outs"]):
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text("stand-in\n", encoding="utf-8")
    (tmp_path / ".dvc").mkdir()
    (tmp_path / ".dvc" / "config").write_text("[core]\n    no_scm = true\n", encoding="utf-8")  # `dvc init --no-scm`
    dvc(tmp_path, "commit", "--force", "--quiet")

    for module in (module for folder in folders for module in (tmp_path / folder).rglob("*.py")):
        module.write_text(module.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    status = json.loads(dvc(tmp_path, "status", "--json"))

    reported = {}
    for name, changes in status.items():
        assert all(set(change) == {"changed deps"} for change in changes), f"{name}: {changes}"
        reported[name] = {path for change in changes for path in change["changed deps"]}
    problems = []
    for name, stage in declared.items():
        imported = {path.relative_to(REPO_ROOT).as_posix() for path in stage_imports(stage["cmd"])}
        problems += [f"{name}: imports {path}, not reported changed" for path in imported - reported.get(name, set())]
        problems += [f"{name}: reports {path}, never imported" for path in reported.get(name, set()) - imported]
    assert not problems, "`dvc status` after editing every module:\n" + "\n".join(sorted(problems))
