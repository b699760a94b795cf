"""Template maintainers' Jinja filters: folder and package defaults any project name bakes with, answer checks at prompt time.

cookiecutter.json derives `project_slug` with cookiecutter's own `slugify` filter (python-slugify:
transliterated, punctuation dropped, trimmed at a word boundary) and then `folder_name`; it derives
`package_name` with `package_prefix`. The rules themselves live in pre_gen_project.py (loaded here
by path, so the hook stays self-contained and there is one copy of them).

The text answers (project name, description, author) may hold any character a person types, quotes and
backslashes too: each file writes them through the filter of its own syntax (`toml_str`, `yaml_str`,
Jinja's `tojson`, `md_text`), never between hand-typed quotes.

`check_answers` runs those rules as soon as the last answer is in, before any file is written: a
bad answer stops cookiecutter with the message and the retry command and no traceback (a failing
pre_gen hook makes cookiecutter log one). The pre_gen hook still runs for every bake.
"""

from __future__ import annotations

import html
import importlib.util
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType

import yaml  # a dependency of cookiecutter itself, so importable wherever cookiecutter runs
from cookiecutter.exceptions import FailedHookException
from slugify import slugify

TEMPLATE_DIR = Path(__file__).resolve().parents[1]
SLUG_PREFIX = "ml"  # a folder name may not start with a digit: "2024 Forecast" -> ml-2024-forecast
FALLBACK_SLUG = "ml-project"  # a name with nothing to transliterate ("???")
PACKAGE_SUFFIX = "_ml"  # "Email" -> email_ml: `email` would shadow the standard library


def _load_rules() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "_mlroles_pre_gen_rules", Path(__file__).with_name("pre_gen_project.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


rules = _load_rules()


def folder_name(slug: str) -> str:
    """A slugified name made a valid folder name: prefixed when it starts with a digit, never empty."""
    if not slug:
        return FALLBACK_SLUG
    if slug[0].isdigit():
        slug = slugify(f"{SLUG_PREFIX} {slug}", max_length=rules.MAX_NAME_LENGTH, word_boundary=True)
    return slug


def package_prefix(slug: str) -> str:
    """The package prefix for a folder name, suffixed when it would shadow a keyword or a module."""
    name = slug.replace("-", "_")
    if rules.is_package_name(name):
        return name
    room = rules.MAX_NAME_LENGTH - len(PACKAGE_SUFFIX)
    if len(name) > room:
        cut = name.rfind("_", 0, room + 1)
        name = name[: cut if cut > 0 else room]
    return name + PACKAGE_SUFFIX


def toml_str(value: object) -> str:
    """`value` as a TOML basic string ("..."), for any text.

    JSON's string escapes are a subset of TOML's; DEL, which JSON leaves as is, TOML escapes too.
    (No TOML writer is a dependency of cookiecutter, so none is importable here.)
    """
    return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007f")


def yaml_str(value: object) -> str:
    """`value` as one YAML double-quoted scalar, written by PyYAML (escaped, never folded)."""
    return yaml.safe_dump(str(value), default_style='"', allow_unicode=True, width=float("inf")).rstrip("\n")


# Characters that would start Markdown of their own: escapes, code, emphasis, links, a heading's closing #,
# and the handbook's attribute lists ({: .class }).
MARKDOWN_PUNCTUATION = re.compile(r"[\\`*_\[\]#{}]")
# A tag, or an entity such as &amp; (a lone & is plain text and stays as typed).
HTML_SPECIAL = re.compile(r"<|>|&(?=#?\w+;)")
# "- x", "+ x" or "1. x" at the start of a line would become a list.
LIST_MARKER = re.compile(r"^(?:([-+])|(\d+)(?=[.)]))")


def md_text(value: object) -> str:
    """`value` as Markdown text that renders as itself (in CommonMark and in the handbook's Python-Markdown).

    Surrounding whitespace is dropped: Markdown ignores it, except four leading spaces, which start a code block.
    """
    text = MARKDOWN_PUNCTUATION.sub(lambda match: "\\" + match.group(), str(value).strip())
    text = HTML_SPECIAL.sub(lambda match: html.escape(match.group(), quote=False), text)
    return LIST_MARKER.sub(lambda match: f"\\{match.group(1)}" if match.group(1) else f"{match.group(2)}\\", text)


def check_answers(answers: Mapping[str, object]) -> str:
    """'' when every answer given so far passes pre_gen's rules; otherwise stop with the message and the retry command.

    The answers are saved first as cookiecutter's replay file, so the retry command replays them.
    """
    present = {key: value for key, value in answers.items() if not key.startswith("__")}
    errors = rules.find_errors(present, only_present=True)
    if not errors:
        return ""
    replay_file = rules.replay_file(TEMPLATE_DIR.name)
    # Saved with this check marked done: a replay renders nothing (the pre_gen hook checks the fixed answers).
    saved = replay_file is not None and rules.save_replay(replay_file, {**present, "__check": ""})
    lines = [f"ERROR: {error}" for error in errors]
    lines += rules.retry_hint(errors, replay_file if saved else None, str(TEMPLATE_DIR), output_dir=None)
    # cookiecutter's command line prints this exception's message alone (no traceback) and exits 1.
    raise FailedHookException("\n".join(lines))


# The filters hooks/extension.py (the extension cookiecutter.json names) adds to every environment.
FILTERS = {
    "folder_name": folder_name,
    "package_prefix": package_prefix,
    "check_answers": check_answers,
    "toml_str": toml_str,
    "yaml_str": yaml_str,
    "md_text": md_text,
    # Rendering a hook happens inside the template folder (cookiecutter's work_in(repo_dir)), so the
    # post_gen hook learns the template's absolute path from `'.' | absolute_path`.
    "absolute_path": os.path.abspath,
}
