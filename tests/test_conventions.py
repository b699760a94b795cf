"""Conventions: a bake passes Scientific Python's repo-review, root and members, except the recorded exceptions.

The checks that do not fit a uv workspace are listed, each with its reason, in repo-review's own
config (`[tool.repo-review.ignore]` of each pyproject.toml); anything else that fails is a real
finding. `project.authors` and `license` come from the answers.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from harness import COMBINATIONS, DEFAULTS, OPTIONS, BakeCache, git_init

MEMBERS = ("core", "research", "pipelines", "service")
# Named combinations (harness.COMBINATIONS): the defaults, each licence form (an SPDX id and LicenseRef), and
# one with authors typed in, whose text answers the authors check reads back.
COMBOS = ["defaults", "no-cloud-gitlab-no-tracking-proprietary", "gcp-gitlab-no-tracking-py3.13"]
TYPED_AUTHORS = {
    "gcp-gitlab-no-tracking-py3.13": {"author_name": "Grace Hopper", "author_email": "grace@navy.example"},
}
SPDX = {"Proprietary": "LicenseRef-Proprietary"}

needs_repo_review = pytest.mark.skipif(
    importlib.util.find_spec("sp_repo_review") is None,
    reason="sp-repo-review is not installed (it is in the template's `test` extra)",
)


def answers_for(name: str) -> dict[str, str]:
    return {**COMBINATIONS[name], **TYPED_AUTHORS.get(name, {})}


def review(folder: Path) -> dict[str, dict[str, object]]:
    """repo-review's result of every check on one folder: id -> {result, description, err_msg, ...}."""
    command = [sys.executable, "-m", "repo_review", "--format", "json", str(folder)]
    output = subprocess.run(command, capture_output=True, text=True, check=False).stdout
    checks: dict[str, dict[str, object]] = json.loads(output)["checks"]
    return checks


def ignored(folder: Path) -> dict[str, str]:
    config = tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))
    exceptions: dict[str, str] = config["tool"]["repo-review"]["ignore"]
    return exceptions


@needs_repo_review
@pytest.mark.parametrize("name", COMBOS)
def test_repo_review_finds_nothing_outside_the_recorded_exceptions(name: str, baked: BakeCache) -> None:
    root = baked(answers_for(name))
    for folder in (root, *(root / member for member in MEMBERS)):
        checks = review(folder)
        assert len(checks) > 20, f"{folder.name}: repo-review ran too few checks"
        failures = {key: check["description"] for key, check in checks.items() if check["result"] is False}
        assert failures == {}, f"{folder.relative_to(root.parent)} fails repo-review"
        exceptions = ignored(folder)
        # Each exception names a real check and says why it does not apply.
        assert set(exceptions) <= set(checks), set(exceptions) - set(checks)
        assert all(len(reason.split()) >= 5 for reason in exceptions.values()), exceptions


@needs_repo_review
def test_every_recorded_exception_is_needed_at_the_root(baked: BakeCache, tmp_path: Path) -> None:
    """Without its exceptions the root fails exactly the recorded checks: none is stale."""
    root = baked.copy({}, tmp_path)
    git_init(root)
    exceptions = ignored(root)
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(text.replace("[tool.repo-review.ignore]", "[tool.not-repo-review.ignore]"), encoding="utf-8")
    failures = {key for key, check in review(root).items() if check["result"] is False}
    assert failures == set(exceptions)


@pytest.mark.parametrize("name", COMBOS)
def test_authors_and_license_come_from_the_answers(name: str, baked: BakeCache) -> None:
    answers = answers_for(name)
    root = baked(answers)
    author = {key: answers.get(f"author_{key}", str(OPTIONS[f"author_{key}"])) for key in ("name", "email")}
    license_answer = answers.get("license", DEFAULTS["license"])
    expected = SPDX.get(license_answer, license_answer)
    for folder in (root, *(root / member for member in MEMBERS)):
        project = tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))["project"]
        assert project["authors"] == [author], folder.name
        assert project["license"] == expected, folder.name
    assert tomllib.loads((root / "pyproject.toml").read_text())["project"]["license-files"] == ["LICENSE"]
    assert (root / "LICENSE").is_file()
