"""Template maintainers' Jinja extension: the filters of hooks/naming.py, as the template on disk has them now.

Jinja imports an extension by name once per process. `cruft update` renders the project twice in one
process, from the template's old commit and then from its new one, checked out in the same folder: an
extension imported by name would render the new commit with the old commit's filters (one added since:
"No filter named ..."; one changed since: the old output, silently). So cookiecutter.json names this
loader, which reads naming.py and the pre_gen rules it loads from disk whenever an environment is made,
and executes naming.py again when either changed. This file is imported once: keep it unchanged.
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path
from types import ModuleType

from jinja2 import Environment
from jinja2.ext import Extension

HOOKS = Path(__file__).resolve().parent
SOURCES = ("naming.py", "pre_gen_project.py")  # naming.py and the rules it loads
_VERSIONS: dict[str, ModuleType] = {}


def load_naming() -> ModuleType:
    """hooks/naming.py as it is on disk now, executed once per version of it and of the rules."""
    digest = hashlib.sha256(b"\0".join((HOOKS / name).read_bytes() for name in SOURCES)).hexdigest()
    if digest not in _VERSIONS:
        spec = importlib.util.spec_from_file_location(f"_template_naming_{digest[:16]}", HOOKS / "naming.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _VERSIONS[digest] = module
    return _VERSIONS[digest]


class TemplateExtension(Extension):
    """Adds naming.py's FILTERS to each environment cookiecutter (or cruft) makes."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters.update(load_naming().FILTERS)
