"""Bake tier: every option value bakes into a clean tree of the expected files and only those."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import pytest
from harness import (
    CHOICES,
    DEFAULTS,
    OPTIONS,
    TEMPLATE_DIR,
    BakeCache,
    answers_of,
    baked_path,
    combo_id,
    data_files,
    pairwise,
    project_files,
)

COMBOS = pairwise(CHOICES)
TEXT_SUFFIXES = {".py", ".md", ".toml", ".yaml", ".yml", ".json", ".ipynb", ".cfg", ".txt", ".tf", ".hcl", ".mk", ""}
# Paths each answer must produce (present) or must not produce (absent).
OPTION_PATHS: dict[tuple[str, str], tuple[set[str], set[str]]] = {
    ("ci", "github"): ({".github/CODEOWNERS", ".github/workflows/ci.yml"}, {".gitlab-ci.yml", ".gitlab/CODEOWNERS"}),
    ("ci", "gitlab"): ({".gitlab-ci.yml", ".gitlab/CODEOWNERS"}, {".github/CODEOWNERS", ".github/workflows/ci.yml"}),
    ("ci", "none"): ({".github/CODEOWNERS"}, {".gitlab-ci.yml", ".github/workflows/ci.yml", ".gitlab/CODEOWNERS"}),
    ("experiment_tracking", "none"): (
        {"pipelines/src/{package}_pipelines/register.py", "pipelines/tests/test_register_local.py"},
        {
            "pipelines/src/{package}_pipelines/register_mlflow.py",
            "pipelines/src/{package}_pipelines/register_local.py",
            "pipelines/tests/test_register_mlflow.py",
        },
    ),
    ("experiment_tracking", "mlflow"): (
        {"pipelines/src/{package}_pipelines/register.py", "pipelines/tests/test_register_mlflow.py"},
        {
            "pipelines/src/{package}_pipelines/register_mlflow.py",
            "pipelines/src/{package}_pipelines/register_local.py",
            "pipelines/tests/test_register_local.py",
        },
    ),
}


@pytest.fixture(params=COMBOS, ids=combo_id)
def pairwise_bake(request: pytest.FixtureRequest, baked: BakeCache) -> tuple[dict[str, str], Path]:
    """One pairwise combination, from the session's bake cache (pytest-cookies)."""
    answers: dict[str, str] = request.param
    return answers, baked(answers)


def test_every_choice_value_is_baked_at_least_once() -> None:
    for option, values in CHOICES.items():
        assert {combo[option] for combo in COMBOS} == set(values), option


def test_the_combinations_cover_every_pair_of_values() -> None:
    names = list(CHOICES)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            seen = {(combo[a], combo[b]) for combo in COMBOS}
            assert seen == {(va, vb) for va in CHOICES[a] for vb in CHOICES[b]}, (a, b)


def test_option_paths_are_present_or_absent(pairwise_bake: tuple[dict[str, str], Path]) -> None:
    answers, root = pairwise_bake
    files = project_files(root)
    package = root.name.replace("-", "_")
    for (option, value), (present, absent) in OPTION_PATHS.items():
        if answers[option] != value:
            continue
        assert {p.format(package=package) for p in present} <= files, (option, value)
        assert not {p.format(package=package) for p in absent} & files, (option, value)


def test_terraform_only_for_a_cloud(pairwise_bake: tuple[dict[str, str], Path]) -> None:
    answers, root = pairwise_bake
    assert (root / "infra" / "terraform").is_dir() == (answers["cloud"] != "none")


def test_no_empty_folders(pairwise_bake: tuple[dict[str, str], Path]) -> None:
    _, root = pairwise_bake
    empty = [p for p in root.rglob("*") if p.is_dir() and ".git" not in p.parts and not any(p.iterdir())]
    assert empty == []


def test_no_template_syntax_is_left(pairwise_bake: tuple[dict[str, str], Path]) -> None:
    _, root = pairwise_bake
    leftovers = []
    for relative in project_files(root):
        path = root / relative
        if path.suffix not in TEXT_SUFFIXES:
            continue
        text = path.read_text(encoding="utf-8")
        # `${{ ... }}` is GitHub Actions syntax, not Jinja.
        if "cookiecutter." in text or "{%" in text or re.search(r"(?<!\$)\{\{", text):
            leftovers.append(relative)
    assert leftovers == []


def test_make_help_lists_every_verb_of_every_makefile(pairwise_bake: tuple[dict[str, str], Path]) -> None:
    """The cloud's verbs sit in a makefile the Makefile includes (none without a cloud): `make help` lists them too."""
    answers, root = pairwise_bake
    makefiles = [root / "Makefile", *root.glob("**/*.mk")]
    documented = {m for f in makefiles for m in re.findall(r"^([a-z-]+):.*## ", f.read_text(), re.MULTILINE)}
    listed = subprocess.run(["make", "-s", "help"], cwd=root, capture_output=True, text=True, check=True).stdout
    assert sorted(line.split()[0] for line in listed.splitlines()) == sorted(documented), listed
    assert ("dvc-remote" in documented) == (answers["cloud"] != "none"), documented
    recipe = subprocess.run(["make", "-n", "dvc-remote"], cwd=root, capture_output=True, text=True, check=False)
    if answers["cloud"] == "none":
        assert "No rule to make target 'dvc-remote'" in recipe.stderr, recipe.stderr
    else:
        assert f"terraform -chdir=infra/terraform/{answers['cloud']} output -raw dvc_remote_url" in recipe.stdout


def test_every_python_file_compiles(pairwise_bake: tuple[dict[str, str], Path]) -> None:
    _, root = pairwise_bake
    for path in root.rglob("*.py"):
        compile(path.read_text(encoding="utf-8"), str(path), "exec")


def test_every_data_file_parses(pairwise_bake: tuple[dict[str, str], Path]) -> None:
    _, root = pairwise_bake
    assert "pyproject.toml" in data_files(root)  # each file parses, or this raises naming it


def test_requires_python_follows_the_answer(pairwise_bake: tuple[dict[str, str], Path]) -> None:
    answers, root = pairwise_bake
    for pyproject in root.glob("**/pyproject.toml"):
        project = tomllib.loads(pyproject.read_text())["project"]
        assert project["requires-python"] == f">={answers['python_version']}", pyproject


def test_the_license_is_the_one_chosen(pairwise_bake: tuple[dict[str, str], Path]) -> None:
    answers, root = pairwise_bake
    first_line = (root / "LICENSE").read_text().splitlines()[0]
    expected = {"MIT": "MIT License", "Apache-2.0": "Apache License", "BSD-3-Clause": "BSD 3-Clause License"}
    assert first_line.startswith(expected.get(answers["license"], "Copyright"))


def test_the_license_year_is_the_recorded_answer(baked: BakeCache) -> None:
    """The year is an answer (default: the bake's year), so a re-bake in a later year changes nothing."""
    root = baked({"copyright_year": "2019", "author_name": "Grace Hopper"})
    assert "Copyright (c) 2019 Grace Hopper" in (root / "LICENSE").read_text()
    assert answers_of(root)["copyright_year"] == "2019"
    assert not (root / "_licenses").exists()


def checked_out_eol(repository: Path, files: list[str]) -> dict[str, str]:
    """What git's attributes say each file's line ending is in a checkout (`unspecified` when nothing says)."""
    output = subprocess.run(
        ["git", "check-attr", "eol", "--", *files], cwd=repository, capture_output=True, text=True, check=True
    ).stdout
    return {line.split(": ")[0]: line.rsplit(": ", 1)[1] for line in output.splitlines()}


def test_shell_scripts_and_makefiles_check_out_with_lf_everywhere(baked: BakeCache) -> None:
    """A Windows checkout (core.autocrlf=true) must not give the bake's scripts CRLF endings."""
    root = baked({})
    files = sorted(f for f in project_files(root) if f.endswith((".sh", ".py")) or Path(f).name == "Makefile")
    assert any(f.endswith(".sh") for f in files)
    assert set(checked_out_eol(root, files).values()) == {"lf"}, checked_out_eol(root, files)


def test_the_template_checks_out_with_lf_everywhere() -> None:
    files = sorted(
        p.relative_to(TEMPLATE_DIR).as_posix()
        for p in [*TEMPLATE_DIR.glob("hooks/*.py"), *TEMPLATE_DIR.glob("{{cookiecutter.project_slug}}/**/*.sh")]
    ) + ["Makefile"]
    assert set(checked_out_eol(TEMPLATE_DIR, files).values()) == {"lf"}, checked_out_eol(TEMPLATE_DIR, files)


def test_the_answers_file_records_the_answers(pairwise_bake: tuple[dict[str, str], Path]) -> None:
    answers, root = pairwise_bake
    recorded = answers_of(root)
    assert {key: recorded[key] for key in answers} == answers
    assert "_output_dir" not in recorded


def test_no_default_leaks_into_a_bake_that_set_other_answers(baked: BakeCache) -> None:
    root = baked(
        {
            "project_name": "Seabird Census",
            "description": "Count seabirds from survey sheets.",
            "author_name": "Grace Hopper",
            "author_email": "grace@globex.example",
            "github_org": "globex",
        }
    )
    defaults = [
        "Tabular Model",
        "tabular-model",
        "tabular_model",
        "acme-ml",
        "Ada Lovelace",
        "ada@example.com",
        "A machine-learning project",
    ]
    leaks = {}
    for relative in project_files(root):
        path = root / relative
        if path.suffix in TEXT_SUFFIXES:
            text = path.read_text(encoding="utf-8")
            found = [value for value in defaults if value.lower() in text.lower()]
            if found:
                leaks[relative] = found
    assert leaks == {}


def test_defaults_bake_into_the_documented_folder(cookies) -> None:  # noqa: ANN001 - pytest-cookies fixture
    root = baked_path(cookies.bake())
    assert root.name == "tabular-model"
    assert DEFAULTS["cloud"] == "aws"


def test_files_copied_without_rendering_hold_no_template_syntax() -> None:
    """`_copy_without_render` saves bake time; a Jinja tag added there later would reach users raw."""
    import fnmatch

    project_template = TEMPLATE_DIR / "{{cookiecutter.project_slug}}"
    patterns = OPTIONS["_copy_without_render"]
    assert isinstance(patterns, list)
    copied = [
        path
        for path in project_template.rglob("*")
        if path.is_file()
        and any(
            fnmatch.fnmatch(str(part), pattern)
            for pattern in patterns
            for part in [path.relative_to(project_template), *path.relative_to(project_template).parents]
        )
    ]
    assert copied
    for path in copied:
        if path.suffix in {".csv", ".png"}:
            continue
        text = path.read_text(encoding="utf-8")
        assert "{{" not in text and "{%" not in text and "{#" not in text, path
