"""Docs: the template's site builds strictly and documents every option; each bake's handbook builds too.

mkdocs-material is installed in the template's own environment (the `test` extra) with the same pin
as `_versions.mkdocs_material`, so a baked handbook is built here without a full `make setup`.
"""

from __future__ import annotations

import os
import re
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
from harness import CHOICES, OPTIONS, TEMPLATE_DIR, BakeCache, baked_path, combo_id, parse_data_file, run

OPTIONS_PAGE = TEMPLATE_DIR / "docs" / "options.md"
QUESTIONS = [key for key in OPTIONS if not key.startswith("_")]
# Every area of a bake and the answers naming the team(s) that own it.
AREA_OWNERS = {
    "core": ("data_science_team", "ml_engineering_team"),
    "research": ("data_science_team",),
    "pipelines": ("mlops_team",),
    "service": ("ml_engineering_team",),
    "infra": ("mlops_team",),
}
HANDBOOK_COMBOS = [{}, {"cloud": "none", "ci": "gitlab", "experiment_tracking": "none"}]


def mkdocs_build(config: Path, site: Path) -> str:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    command = [
        sys.executable,
        "-m",
        "mkdocs",
        "build",
        "--strict",
        "--config-file",
        str(config),
        "--site-dir",
        str(site),
    ]
    return run(command, config.parent, env, timeout=300)


def nav_pages(config: Path) -> list[str]:
    """Every page file named in an mkdocs.yml nav, in order."""
    pages: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, str):
            pages.append(node)
        elif isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            for item in node.values():
                walk(item)

    walk(parse_data_file(config)[0]["nav"])
    return pages


def built_pages(site: Path) -> set[Path]:
    """The site's pages: `x/index.html` (the template's site) or `x.html` (a bake's handbook, readable from disk)."""
    return {
        page
        for page in site.rglob("*.html")
        if page.name != "404.html" and "search" not in page.relative_to(site).parts
    }


# A link or asset of a built page; one with a scheme (https:, data:, mailto:) or a bare #anchor is not a file.
BUILT_LINK = re.compile(r'(?:href|src)="(?![a-z][a-z0-9+.-]*:|#)([^"#?]+)')


def unreadable_from_disk(site: Path) -> tuple[int, list[str]]:
    """How many internal links the pages hold, and each that a browser opening the files cannot follow:
    a folder (a server would add index.html) or a missing file. 404.html is a server's page: its links are absolute."""
    links = [(page, target) for page in built_pages(site) for target in BUILT_LINK.findall(page.read_text("utf-8"))]
    broken = [
        f"{page.relative_to(site)} -> {target}"
        for page, target in links
        if target.endswith("/") or not (page.parent / target).is_file()
    ]
    return len(links), broken


def test_the_disk_link_check_finds_folders_and_missing_files(tmp_path: Path) -> None:
    (tmp_path / "runbooks").mkdir()
    (tmp_path / "runbooks" / "rollback.html").write_text(
        '<a href="../index.html#top">home</a> <a href="https://x.org/">'
    )
    (tmp_path / "index.html").write_text(
        '<a href="runbooks/">r</a> <a href="runbooks/rollback.html">r</a> <a href="x.html">'
    )
    assert unreadable_from_disk(tmp_path) == (4, ["index.html -> runbooks/", "index.html -> x.html"])


def option_sections() -> dict[str, str]:
    """`### \\`option\\`` heading of the options page -> the text under it."""
    text = OPTIONS_PAGE.read_text(encoding="utf-8")
    parts = re.split(r"^### `([a-z_]+)`\s*$", text, flags=re.MULTILINE)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def test_the_template_site_builds_strictly(tmp_path: Path) -> None:
    config = TEMPLATE_DIR / "mkdocs.yml"
    mkdocs_build(config, tmp_path / "site")
    assert len(built_pages(tmp_path / "site")) == len(nav_pages(config))
    for page in nav_pages(config):
        assert (TEMPLATE_DIR / "docs" / page).is_file(), page


@pytest.mark.parametrize("option", QUESTIONS)
def test_every_option_is_documented_with_its_choices(option: str) -> None:
    sections = option_sections()
    assert option in sections, f"docs/options.md has no '### `{option}`' section"
    for choice in CHOICES.get(option, []):
        assert f"`{choice}`" in sections[option], f"docs/options.md does not name {option}={choice}"


def readme_option_rows() -> dict[str, str]:
    """Option -> the row of the README's table that names it in its first cell."""
    rows = {}
    for line in (TEMPLATE_DIR / "README.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("| `"):
            for option in re.findall(r"`([a-z_]+)`", line.split("|")[1]):
                rows[option] = line
    return rows


@pytest.mark.parametrize("option", QUESTIONS)
def test_the_readme_names_every_option_with_its_choices(option: str) -> None:
    """The person choosing reads the README first: every question, its choices, and what the answer changes."""
    rows = readme_option_rows()
    assert option in rows, f"README.md's table of questions has no row for `{option}`"
    cells = [cell.strip() for cell in rows[option].split("|")[1:-1]]
    assert len(cells) == 3 and all(cells), f"README.md's row of `{option}` lacks its default or what it changes"
    for choice in CHOICES.get(option, []):
        assert choice in cells[1], f"README.md does not name {option}={choice}"


def test_the_options_page_documents_no_option_that_does_not_exist() -> None:
    assert set(option_sections()) <= set(QUESTIONS)


def test_one_mkdocs_material_pin_for_the_template_and_the_bakes() -> None:
    pin = OPTIONS["_versions"]["mkdocs_material"]  # type: ignore[index]
    extra = tomllib.loads((TEMPLATE_DIR / "pyproject.toml").read_text())["project"]["optional-dependencies"]["test"]
    assert f"mkdocs-material=={pin}" in extra
    assert version("mkdocs-material") == pin


def test_the_bake_has_a_docs_verb_and_its_tool(baked: BakeCache) -> None:
    root = baked({})
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    assert f"mkdocs-material=={OPTIONS['_versions']['mkdocs_material']}" in pyproject["dependency-groups"]["dev"]  # type: ignore[index]
    assert re.search(r"^docs:.*\n\t\$\(RUN\) mkdocs build --strict$", (root / "Makefile").read_text(), re.MULTILINE)
    assert "site/" in (root / ".gitignore").read_text().splitlines()


# A Markdown link's target (before any #anchor), when it is neither a URL nor a pure anchor.
RELATIVE_LINK = re.compile(r"\]\((?![a-z][a-z0-9+.-]*:|#)([^)#\s]+)[^)]*\)", re.IGNORECASE)


@pytest.mark.parametrize("answers", HANDBOOK_COMBOS, ids=combo_id)
def test_every_relative_link_in_the_bakes_readmes_reaches_a_file(baked: BakeCache, answers: dict[str, str]) -> None:
    """mkdocs --strict checks the handbook's links; nothing checks the READMEs people read on the forge."""
    root = baked(answers)
    readmes = sorted(root.glob("README.md")) + sorted(root.glob("*/README.md"))
    links = [(readme, target) for readme in readmes for target in RELATIVE_LINK.findall(readme.read_text("utf-8"))]
    assert any(target == "docs/your-machine.md" for _, target in links)  # the pattern finds the README's links
    broken = [
        f"{readme.relative_to(root)} -> {target}" for readme, target in links if not (readme.parent / target).exists()
    ]
    assert broken == []


def test_the_relative_link_pattern_skips_urls_and_anchors() -> None:
    text = "[a](docs/x.md) [b](https://example.com/y.md) [c](#z) [d](../core/README.md#the-contract) [e](mailto:q@r.s)"
    assert RELATIVE_LINK.findall(text) == ["docs/x.md", "../core/README.md"]


def test_every_area_readme_names_its_owner_what_belongs_and_its_commands(baked: BakeCache) -> None:
    root = baked({"github_org": "globex"})
    answers = {key: str(value) for key, value in OPTIONS.items() if key.endswith("_team")}
    answers = {key: value.replace("{{ cookiecutter.github_org }}", "globex") for key, value in answers.items()}
    for area, owners in AREA_OWNERS.items():
        text = (root / area / "README.md").read_text(encoding="utf-8")
        for owner in owners:
            assert answers[owner] in text, (area, owner)
        assert re.search(r"belongs?", text, re.IGNORECASE), f"{area}/README.md does not say what belongs there"
        assert re.search(r"does not|doesn't|lives elsewhere", text, re.IGNORECASE), (
            f"{area}/README.md does not say what does not belong"
        )
        assert re.search(r"^```(bash|sh)$", text, re.MULTILINE), f"{area}/README.md shows no commands"


@pytest.mark.generated
@pytest.mark.xdist_group("docs")
@pytest.mark.parametrize("answers", HANDBOOK_COMBOS, ids=combo_id)
def test_the_baked_handbook_builds_strictly(answers: dict[str, str], cookies) -> None:  # noqa: ANN001
    # A bake of its own (pytest-cookies' `cookies`): the build writes site/ into it.
    root = baked_path(cookies.bake(extra_context={"project_name": "Seabird Census", "github_org": "globex", **answers}))
    mkdocs_build(root / "mkdocs.yml", root / "site")
    pages = built_pages(root / "site")
    assert len(pages) == len(nav_pages(root / "mkdocs.yml"))
    # Opened from disk (no server), every link reaches a page or asset file: mkdocs.yml's use_directory_urls: false.
    links, broken = unreadable_from_disk(root / "site")
    assert links > 10 * len(pages) and broken == []
    home = (root / "site" / "index.html").read_text(encoding="utf-8")
    assert "Seabird Census handbook" in home
    assert "@globex/mlops" in home
    rollback = (root / "docs" / "runbooks" / "rollback.md").read_text(encoding="utf-8")
    if answers.get("experiment_tracking", "mlflow") == "mlflow":
        assert "set_registered_model_alias" in rollback and "git tag" not in rollback
    else:
        assert "git tag" in rollback and "set_registered_model_alias" not in rollback
    codeowners = ".gitlab/CODEOWNERS" if answers.get("ci") == "gitlab" else ".github/CODEOWNERS"
    assert codeowners in (root / "docs" / "index.md").read_text(encoding="utf-8")


# A file the template's own pages and settings name: a test, bench script, hook or page, or a capitalised page.
NAMED_FILE = re.compile(
    r"(?<![\w/.-])(?:[\w-]+/)*(?:tests|bench|hooks|docs|\.ci|\.github)/[\w./-]+\.(?:py|md|yml|json)\b|\b[A-Z][A-Z_]+\.md\b"
)
HOUSE_FILES = (
    "README.md",
    "CONTRIBUTING.md",
    "pyproject.toml",
    "Makefile",
    "mkdocs.yml",
    *sorted(p.relative_to(TEMPLATE_DIR).as_posix() for p in (TEMPLATE_DIR / "docs").glob("*.md")),
)


def test_the_templates_own_files_name_only_files_that_exist() -> None:
    """No dead references: each file named is in the template, or in the generated project it describes."""
    named = {(house, name) for house in HOUSE_FILES for name in NAMED_FILE.findall((TEMPLATE_DIR / house).read_text())}
    assert ("CONTRIBUTING.md", "tests/test_template_parts.py") in named  # the pattern finds what it should
    # A path inside another folder is named whole, never by its tail (pipelines/tests/x.py is not tests/x.py).
    assert NAMED_FILE.findall("see pipelines/tests/test_stale_stages.py") == ["pipelines/tests/test_stale_stages.py"]
    dead = sorted(
        f"{house} -> {name}"
        for house, name in named
        if not (TEMPLATE_DIR / name).exists() and not (TEMPLATE_DIR / "{{cookiecutter.project_slug}}" / name).exists()
    )
    assert dead == []
