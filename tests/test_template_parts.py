"""Template tier: option-specific passages live in templates/, one file per option value, and every one is used.

A shared file pulls its per-option passages from cookiecutter's `templates/` folder with
`{% include "<prefix>" ~ cookiecutter.<option> ~ "<ext>" %}` or `{% import … as <option> %}`; these tests
hold that table to cookiecutter.json: a value without its file (where the include may not skip it)
fails here, not in some user's bake, and a part no option value reaches fails too. The Jinja budget
(issue 15): no file of the template chooses a passage with an if/elif/else tag or an inline
`… if cookiecutter.<option> …` expression; whole files are chosen by the hooks' MOVES/REMOVALS.
"""

from __future__ import annotations

import re
from pathlib import Path

from harness import CHOICES, TEMPLATE_DIR

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


def test_every_option_value_has_its_part_where_the_include_cannot_skip_it() -> None:
    found = choices()
    assert found, "no option-chosen include or import found: the pattern no longer matches the template"
    missing = [
        (c["where"], c["prefix"] + value + c["ext"])
        for c in found
        if "ignore missing" not in c["rest"] and not c["rest"].lstrip().startswith(",")  # a fallback list
        for value in CHOICES[c["option"]]
        if c["prefix"] + value + c["ext"] not in parts()
    ]
    assert not missing, f"option values without their part (file, part): {missing}"


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
