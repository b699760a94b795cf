"""Template tier: option-specific passages live in templates/, one file per option value, and every one is used.

A shared file pulls its per-option passages from cookiecutter's `templates/` folder with
`{% include "<prefix>" ~ cookiecutter.<option> ~ "<ext>" %}` or `{% import … as <option> %}`; these tests
hold that table to cookiecutter.json: a value without its file fails here, not in some user's bake, and a
part no option value reaches fails too. No include says `ignore missing`: a value that needs no passage
has an explicit empty part, so a misnamed part stops the bake instead of rendering nothing. The Jinja budget
(issue 15): no file of the template chooses a passage with an if/elif/else tag or an inline
`… if cookiecutter.<option> …` expression; whole files are chosen by the hooks' MOVES/REMOVALS.
Python files of the generated project hold no Jinja beyond the names of other workspace packages
(`{{ cookiecutter.package_name }}_core`, `{{ cookiecutter.project_slug }}-service`); inside a package, imports
are relative.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from harness import CHOICES, TEMPLATE_DIR
from jinja2 import TemplateNotFound

PROJECT_DIR = TEMPLATE_DIR / "{{cookiecutter.project_slug}}"
PARTS_DIR = TEMPLATE_DIR / "templates"
# `{% include|import "<prefix>" ~ cookiecutter.<option> ~ "<ext>" … %}`
CHOSEN = re.compile(
    r"{%-?\s*(?P<tag>include|import)\s+\[?\"(?P<prefix>[^\"]+)\"\s*~\s*cookiecutter\.(?P<option>\w+)\s*~\s*"
    r"\"(?P<ext>[^\"]+)\"(?P<rest>[^%]*)%}"
)
# A literal part name (an `extends`, or the fallback of an include list).
NAMED = re.compile(r"{%-?\s*(?:include|extends)[^%]*?\"(?P<name>[^\"~]+\.\w+)\"\s*\]?[^%]*%}")


# An if/elif/else tag in any whitespace-control spelling Jinja accepts, or an inline choice by an answer.
IF_BLOCK = re.compile(r"{%[-+]?\s*(?:if|elif|else)\b[^%]*%}|\bif\s+(?:not\s+)?cookiecutter\.\w+[^%}]*")


# The only Jinja a generated Python file may hold: another workspace member's import package or distribution name.
MEMBERS = ("core", "research", "pipelines", "service")
ALLOWED_IN_PYTHON = {f"{{{{ cookiecutter.package_name }}}}_{member}" for member in MEMBERS} | {
    f"{{{{ cookiecutter.project_slug }}}}-{member}" for member in MEMBERS
}
# Any Jinja expression, statement or comment, with the word characters that follow it (`…_core`, `…-service`).
JINJA = re.compile(r"(?:{{.*?}}|{%.*?%}|{#.*?#})(?:[-_]\w+)?", re.DOTALL)


def sources() -> list[Path]:
    return [p for root in (PROJECT_DIR, PARTS_DIR) for p in root.rglob("*") if p.is_file() and p.suffix != ".csv"]


def choices() -> list[dict[str, str]]:
    """Every option-chosen include or import in the template, with where it stands."""
    found = []
    for path in sources():
        for match in CHOSEN.finditer(path.read_text(encoding="utf-8", errors="replace")):
            found.append({**match.groupdict(), "where": path.relative_to(TEMPLATE_DIR).as_posix()})
    return found


def parts() -> set[str]:
    return {p.relative_to(PARTS_DIR).as_posix() for p in PARTS_DIR.rglob("*") if p.is_file()}


def test_every_part_is_chosen_by_an_option_value_or_named() -> None:
    reached = {c["prefix"] + value + c["ext"] for c in choices() for value in CHOICES[c["option"]]}
    named = {m["name"] for path in sources() for m in NAMED.finditer(path.read_text(errors="replace"))}
    orphans = parts() - reached - named
    assert not orphans, f"parts in templates/ that no option value and no include reaches: {sorted(orphans)}"


def test_every_option_value_has_its_part() -> None:
    found = choices()
    assert found, "no option-chosen include or import found: the pattern no longer matches the template"
    missing = [
        (c["where"], c["prefix"] + value + c["ext"])
        for c in found
        if not c["rest"].lstrip().startswith(",")  # a list names its own fallback part (NAMED)
        for value in CHOICES[c["option"]]
        if c["prefix"] + value + c["ext"] not in parts()
    ]
    assert not missing, f"option values without their part (file, part): {missing}"


def test_no_include_skips_a_missing_part() -> None:
    """`ignore missing` would render a misnamed part as nothing; an empty part file says "nothing" on purpose."""
    skipping = [
        path.relative_to(TEMPLATE_DIR).as_posix() for path in sources() if "ignore missing" in path.read_text("utf-8")
    ]
    assert not skipping, f"includes that skip a missing part: {skipping}"


def test_a_missing_part_stops_the_bake(tmp_path: Path) -> None:
    """Without `ignore missing`, a part renamed or deleted by mistake fails the bake and names the part."""
    from cookiecutter.main import cookiecutter

    template = tmp_path / "template"
    shutil.copytree(TEMPLATE_DIR, template, ignore=shutil.ignore_patterns(".git", ".venv", "build", "site"))
    (template / "templates/infra/README/k8s-none.md").unlink()
    with pytest.raises(TemplateNotFound, match="k8s-none.md"):
        cookiecutter(
            str(template),
            no_input=True,
            extra_context={"experiment_tracking": "none"},
            output_dir=str(tmp_path / "out"),
        )


def test_no_file_chooses_a_passage_with_an_if_block() -> None:
    """The Jinja budget: an option picks whole files (hooks' MOVES/REMOVALS) or parts (templates/), never a block."""
    blocks = {
        path.relative_to(TEMPLATE_DIR).as_posix(): found
        for path in sources()
        if (found := IF_BLOCK.findall(path.read_text(encoding="utf-8", errors="replace")))
    }
    assert not blocks, f"option-specific passages belong in their own files, found if blocks: {blocks}"


def test_the_if_block_pattern_finds_the_forms_jinja_accepts() -> None:
    """The budget test above cannot pass by missing a spelling of the tag."""
    forms = ["{% if a %}", "{%- if a -%}", "{%if a%}", "{% elif b %}", "{%- else %}", "{%+ if a %}"]
    assert [bool(IF_BLOCK.search(form)) for form in forms] == [True] * len(forms)
    assert IF_BLOCK.search("{{ 'a' if cookiecutter.cloud == 'none' else 'b' }}")
    assert not IF_BLOCK.search("{% include 'x-' ~ cookiecutter.cloud ~ '.md' %} {{ cookiecutter.ifname }}")


def jinja_outside_the_budget(path: Path, text: str) -> list[str]:
    """The Jinja of one Python file of the generated project that is not another package's name.

    A file inside a member's own package (`<member>/src/<package>_<member>/`) may not name that package
    either: it imports its own modules relatively.
    """
    own = {
        f"{{{{ cookiecutter.package_name }}}}_{member}"
        for member in MEMBERS
        if f"{member}/src/{{{{cookiecutter.package_name}}}}_{member}" in path.as_posix()
    }
    found = [match.group(0) for match in JINJA.finditer(text)]
    return [expression for expression in found if expression not in ALLOWED_IN_PYTHON or expression in own]


def generated_python() -> list[Path]:
    return sorted(PROJECT_DIR.rglob("*.py"))


def test_python_files_hold_no_jinja_but_other_packages_names() -> None:
    files = generated_python()
    assert len(files) > 20, "too few Python files found under the generated project"
    # The budget is in use (the pattern still sees the template's spelling), and nothing beyond it.
    assert any(JINJA.search(path.read_text(encoding="utf-8")) for path in files)
    outside = {
        path.relative_to(PROJECT_DIR).as_posix(): found
        for path in files
        if (found := jinja_outside_the_budget(path, path.read_text(encoding="utf-8")))
    }
    assert not outside, f"Jinja beyond other packages' names in generated Python files: {outside}"


def test_the_python_budget_check_refuses_what_the_rule_forbids() -> None:
    """The check above fails on each kind of forbidden Jinja, and only on those."""
    module = PROJECT_DIR / "service/src/{{cookiecutter.package_name}}_service/app.py"
    allowed = (
        "from {{ cookiecutter.package_name }}_core.contract import Features\n"
        'DISTRIBUTION = "{{ cookiecutter.project_slug }}-core"\n'
    )
    assert jinja_outside_the_budget(module, allowed) == []
    forbidden = {
        # An answer that is not a package name (the project's name and slug live in core's project.py).
        'TITLE = "{{ cookiecutter.project_name }}"\n': ["{{ cookiecutter.project_name }}"],
        'SLUG = "{{ cookiecutter.project_slug }}"\n': ["{{ cookiecutter.project_slug }}"],
        # The file's own package: a relative import instead.
        "from {{ cookiecutter.package_name }}_service.params import x\n": ["{{ cookiecutter.package_name }}_service"],
        # Another spelling of an allowed name is not on the list: the list is exact.
        "from {{cookiecutter.package_name}}_core import x\n": ["{{cookiecutter.package_name}}_core"],
        # A block chosen by an option, and a Jinja comment.
        "{% if cookiecutter.cloud == 'aws' %}import boto3{% endif %}\n": [
            "{% if cookiecutter.cloud == 'aws' %}",
            "{% endif %}",
        ],
        "{# a note #}\n": ["{# a note #}"],
    }
    for text, expressions in forbidden.items():
        assert jinja_outside_the_budget(module, allowed + text) == expressions, text
    # Outside the service package, the service package is another package: allowed.
    test_file = PROJECT_DIR / "service/tests/test_app.py"
    assert jinja_outside_the_budget(test_file, "from {{ cookiecutter.package_name }}_service import app\n") == []
