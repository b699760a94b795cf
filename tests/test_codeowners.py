"""CODEOWNERS of a bake: at the CI system's location, naming only real paths, every area owned by the teams given."""

from __future__ import annotations

import fnmatch
from pathlib import Path

import pytest
from harness import BakeCache

TEAMS = {
    "data_science_team": "@acme-ml/scientists",
    "ml_engineering_team": "@grace-hopper",
    "mlops_team": "@acme-ml/platform",
}
DS, MLE, OPS = TEAMS["data_science_team"], TEAMS["ml_engineering_team"], TEAMS["mlops_team"]
# Each area of the generated repository and who must review it (ROLES.md).
AREAS: dict[str, set[str]] = {
    "research/notebooks/x.ipynb": {DS},
    "core/src/x.py": {DS, MLE},
    "service/src/x.py": {MLE},
    "pipelines/src/x.py": {OPS},
    "dvc.yaml": {OPS},
    "infra/k8s/base/deployment.yaml": {OPS},
    "infra/terraform/aws/envs/prod.tfvars": {OPS},
    "pyproject.toml": {OPS},
    "Makefile": {OPS},
}
CI_FILES = {"github": ".github/workflows/deploy.yml", "gitlab": ".gitlab-ci.yml", "none": ".pre-commit-config.yaml"}
LOCATIONS = {"github": ".github/CODEOWNERS", "gitlab": ".gitlab/CODEOWNERS", "none": ".github/CODEOWNERS"}


def parse(text: str) -> list[tuple[str, list[str]]]:
    rules = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            pattern, *owners = line.split()
            rules.append((pattern, owners))
    return rules


def matches(pattern: str, path: str) -> bool:
    """The subset of gitignore-style matching CODEOWNERS files use: *, /dir/, /file, globs."""
    if pattern == "*":
        return True
    anchored = pattern.startswith("/")
    pattern = pattern.lstrip("/")
    if pattern.endswith("/"):
        return path.startswith(pattern) if anchored else f"/{pattern}" in f"/{path}"
    candidates = [path] if anchored else [path, *(path.split("/", i)[-1] for i in range(1, path.count("/") + 1))]
    return any(fnmatch.fnmatchcase(c, pattern) or c.startswith(pattern + "/") for c in candidates)


def owners_of(rules: list[tuple[str, list[str]]], path: str) -> set[str]:
    """The last matching rule wins, as on GitHub and GitLab."""
    owners: set[str] = set()
    for pattern, rule_owners in rules:
        if matches(pattern, path):
            owners = set(rule_owners)
    return owners


@pytest.fixture(params=["github", "gitlab", "none"])
def owned(request: pytest.FixtureRequest, baked: BakeCache) -> tuple[str, Path]:
    ci: str = request.param
    return ci, baked({"ci": ci, "github_org": "acme-ml", **TEAMS})


def test_codeowners_is_where_the_ci_system_reads_it(owned: tuple[str, Path]) -> None:
    ci, root = owned
    found = sorted(p.relative_to(root).as_posix() for p in root.rglob("CODEOWNERS"))
    assert found == [LOCATIONS[ci]]


def test_every_path_named_exists(owned: tuple[str, Path]) -> None:
    ci, root = owned
    for pattern, _ in parse((root / LOCATIONS[ci]).read_text()):
        if pattern == "*":
            continue
        path = root / pattern.strip("/")
        assert path.exists(), f"CODEOWNERS names {pattern}, which the bake does not have"
        assert path.is_dir() == pattern.endswith("/"), f"{pattern}: folder patterns end with /, files do not"


def test_owners_are_the_answers_given(owned: tuple[str, Path]) -> None:
    ci, root = owned
    rules = parse((root / LOCATIONS[ci]).read_text())
    assert rules, "CODEOWNERS has no rules"
    named = {owner for _, owners in rules for owner in owners}
    assert named == set(TEAMS.values())
    assert all(owners for _, owners in rules), "a rule without owners un-owns its paths"


def test_every_area_has_its_owners(owned: tuple[str, Path]) -> None:
    ci, root = owned
    rules = parse((root / LOCATIONS[ci]).read_text())
    for path, expected in {**AREAS, CI_FILES[ci]: {OPS}, LOCATIONS[ci]: {OPS}}.items():
        assert owners_of(rules, path) == expected, path
    # Every top-level folder of the bake has an explicit rule, not only the catch-all.
    explicit = {pattern.strip("/").split("/")[0] for pattern, _ in rules if pattern != "*"}
    folders = {p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")}
    assert folders <= explicit, f"folders owned only by the catch-all: {sorted(folders - explicit)}"
