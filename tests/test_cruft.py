"""Keeping a project up to date with cruft: one answers file, create, link, check, diff, and an update that conflicts.

cruft clones the template with git, so every test bakes from a clone of the template's committed
HEAD; uncommitted edits of the template never show up as a diff. cruft re-bakes the template
(running both hooks again) to compute a diff, so an empty diff also proves the hooks idempotent.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from harness import TEMPLATE_DIR, answers_of

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None or not (TEMPLATE_DIR / ".git").exists(),
    reason="cruft needs the template as a git repository",
)
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "ci",
    "GIT_AUTHOR_EMAIL": "ci@example.com",
    "GIT_COMMITTER_NAME": "ci",
    "GIT_COMMITTER_EMAIL": "ci@example.com",
}


def cruft(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    executable = Path(sys.executable).with_name("cruft")
    command = str(executable) if executable.exists() else "cruft"
    return subprocess.run([command, *args], cwd=cwd, capture_output=True, text=True, check=False)


def git(*args: str, cwd: Path) -> str:
    result = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, env={**os.environ, **GIT_IDENTITY}, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def clone_template(destination: Path) -> Path:
    """The template's committed HEAD as a repository of its own (a test may commit to it)."""
    git("clone", "--quiet", str(TEMPLATE_DIR), str(destination), cwd=destination.parent)
    return destination


def plain_bake(template: Path, output: Path, *answers: str) -> Path:
    """A bake with plain cookiecutter (no cruft), committed as the team's first commit."""
    output.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [sys.executable, "-m", "cookiecutter", "--no-input", str(template), "-o", str(output), *answers],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (root,) = [p for p in output.iterdir() if p.is_dir()]
    git("init", "--quiet", cwd=root)
    git("add", "--all", cwd=root)
    git("commit", "--quiet", "--message", "First commit", cwd=root)
    return root


def retitle(template: Path, title: str) -> None:
    """A template commit's new title line for the baked README (the line that writes the project's name)."""
    readme = template / "{{cookiecutter.project_slug}}" / "README.md"
    lines = readme.read_text().splitlines(keepends=True)
    (index,) = [i for i, line in enumerate(lines) if line.startswith("# {{ cookiecutter.project_name")]
    lines[index] = title + "\n"
    readme.write_text("".join(lines))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return clone_template(tmp_path_factory.mktemp("template") / "mlroles-template")


@pytest.fixture(scope="module")
def created(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("cruft")
    result = cruft("create", "--no-input", str(template), "--output-dir", str(output), cwd=output)
    assert result.returncode == 0, result.stderr
    return output / "tabular-model"


def test_cruft_records_the_template_and_the_answers_in_one_file(created: Path) -> None:
    state = json.loads((created / ".cruft.json").read_text())
    assert state["context"]["cookiecutter"]["project_slug"] == "tabular-model"
    assert not (created / ".cookiecutter.json").exists()


def test_a_fresh_project_is_up_to_date(created: Path) -> None:
    assert cruft("check", cwd=created).returncode == 0


def test_a_re_bake_differs_in_nothing(created: Path) -> None:
    result = cruft("diff", "--exit-code", cwd=created)
    assert result.returncode == 0, result.stdout


def test_a_plain_cookiecutter_bake_is_already_followed_by_cruft(template: Path, tmp_path: Path) -> None:
    """The post_gen hook writes `.cruft.json` itself: no `cruft link` step, no second answers file."""
    root = plain_bake(template, tmp_path / "out", "project_name=Seabird Census", "copyright_year=2019")
    state = json.loads((root / ".cruft.json").read_text())
    assert (state["template"], state["commit"]) == (str(template), git("rev-parse", "HEAD", cwd=template).strip())
    assert answers_of(root)["copyright_year"] == "2019"
    assert not (root / ".cookiecutter.json").exists()
    assert cruft("check", cwd=root).returncode == 0
    diff = cruft("diff", "--exit-code", cwd=root)
    assert diff.returncode == 0, diff.stdout


def test_cruft_link_brings_an_existing_repository_under_the_template(template: Path, tmp_path: Path) -> None:
    """A repository with no cruft state (baked before the hook recorded one) is linked with its own answers."""
    root = plain_bake(template, tmp_path / "out", "project_name=Seabird Census", "cloud=gcp", "copyright_year=2019")
    answers = {key: value for key, value in answers_of(root).items() if not key.startswith("_")}
    git("rm", "--quiet", ".cruft.json", cwd=root)
    git("commit", "--quiet", "--message", "An existing repository without cruft state", cwd=root)
    linked = cruft("link", str(template), "--no-input", "--extra-context", json.dumps(answers), cwd=root)
    assert linked.returncode == 0, linked.stdout + linked.stderr
    state = json.loads((root / ".cruft.json").read_text())
    assert state["commit"] == git("rev-parse", "HEAD", cwd=template).strip()
    assert {key: state["context"]["cookiecutter"][key] for key in answers} == answers
    diff = cruft("diff", "--exit-code", cwd=root)
    assert diff.returncode == 0, diff.stdout


def test_an_update_reports_the_conflict_with_the_teams_edit(tmp_path: Path) -> None:
    """The template changes a line the team also changed: cruft applies the rest and leaves the conflict marked."""
    template = clone_template(tmp_path / "mlroles-template")
    root = plain_bake(template, tmp_path / "out")
    readme = root / "README.md"
    lines = readme.read_text().splitlines(keepends=True)
    readme.write_text("".join(["# Churn Prediction, as the team calls it\n", *lines[1:]]))
    git("commit", "--quiet", "--all", "--message", "Team: our title", cwd=root)

    retitle(template, "# {{ cookiecutter.project_name }}: the template's new title")
    template_license = template / "{{cookiecutter.project_slug}}" / "_licenses" / "MIT"
    template_license.write_text(template_license.read_text() + "\nSPDX-License-Identifier: MIT\n")
    git("commit", "--quiet", "--all", "--message", "Template: new title, SPDX line", cwd=template)

    assert cruft("check", cwd=root).returncode == 1  # the template moved on
    update = cruft("update", "--skip-apply-ask", "--allow-untracked-files", cwd=root)
    output = update.stdout + update.stderr
    # Reported, not hidden: the conflicting file is named, left unmerged, and holds both versions.
    assert "README.md' with conflicts" in output, output
    assert "UU README.md" in git("status", "--porcelain", cwd=root)
    merged = readme.read_text()
    assert "<<<<<<<" in merged and ">>>>>>>" in merged
    assert "as the team calls it" in merged and "the template's new title" in merged
    # The change that did not conflict is applied, and the project now follows the new commit.
    assert (root / "LICENSE").read_text().endswith("SPDX-License-Identifier: MIT\n")
    state = json.loads((root / ".cruft.json").read_text())
    assert state["commit"] == git("rev-parse", "HEAD", cwd=template).strip()


# A new commit of the template's filters: a filter added (`shout`) and one changed (`md_text`, in capitals).
NEW_FILTERS = """

_md_text_before = md_text


def md_text(value: object) -> str:
    return _md_text_before(value).upper()


FILTERS = {**FILTERS, "md_text": md_text, "shout": lambda value: str(value).upper() + "!"}
"""


def test_an_update_renders_the_new_commit_with_its_own_filters(tmp_path: Path) -> None:
    """cruft renders the project's commit and the new one in one process, where Jinja imports an extension once.

    hooks/extension.py reads hooks/naming.py from disk each time; an extension imported by name kept the old
    commit's filters, so this update failed ("No filter named 'shout'") or, had only md_text changed, applied nothing.
    """
    template = clone_template(tmp_path / "mlroles-template")
    root = plain_bake(template, tmp_path / "out")
    naming = template / "hooks" / "naming.py"
    naming.write_text(naming.read_text() + NEW_FILTERS)
    retitle(template, "# {{ cookiecutter.project_name | shout }}")
    git("commit", "--quiet", "--all", "--message", "Template: a new filter and a changed one", cwd=template)

    update = cruft("update", "--skip-apply-ask", "--allow-untracked-files", cwd=root)
    assert update.returncode == 0 and "Traceback" not in update.stderr, update.stdout + update.stderr
    name = answers_of(root)["project_name"]
    assert (root / "README.md").read_text().splitlines()[0] == f"# {name.upper()}!"  # the filter added
    assert (root / "docs" / "index.md").read_text().splitlines()[0] == f"# {name.upper()} handbook"  # the one changed
    assert json.loads((root / ".cruft.json").read_text())["commit"] == git("rev-parse", "HEAD", cwd=template).strip()
