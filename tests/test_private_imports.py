"""Public APIs only: no generated module imports another package's private module or name.

Private means what Python's convention says (`import a._b`, `from a._b import c`, `from a import _b`), and, for
packages whose private modules carry no underscore, every module besides the ones they document as their
Python API (PUBLIC_API). Every Python file and notebook of a bake is read, tests included. What remains is
ALLOWED, each with the issue that removes it, so this test shows exactly what is left.

Not imports, so not checked here: the names in pipelines' trained.py TRUSTED_TYPES, the one documented
exception (skops names scikit-learn's tree classes by their private modules; trained.py says why).
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import COMBINATIONS, BakeCache, answers_of

# Packages whose internal modules are not underscore-named -> the modules they document as their Python API
# (exactly these: a submodule of one is internal too).
PUBLIC_API: dict[str, tuple[str, ...]] = {
    "uvicorn": ("uvicorn",),  # uvicorn.run, Config and Server; protocols, supervisors, loops are its internals
    "dvc": ("dvc.api",),  # DVC's Python API; everything else is reached through its command line
    "dvc_render": (),  # DVC's renderer, internal to DVC: `dvc plots show --json` gives its output
}
# (file in the bake, with {package} for the package prefix, imported module) -> why it is still imported.
ALLOWED: dict[tuple[str, str], str] = {
    ("service/src/{package}_service/server.py", "uvicorn.protocols.http.httptools_impl"): (
        "issue 21: the header deadline and the drain subclass uvicorn's HTTP protocol"
    ),
    ("service/src/{package}_service/server.py", "uvicorn.supervisors"): (
        "issue 21: the workers run under uvicorn's Multiprocess supervisor"
    ),
}
COMBOS = {
    "defaults": {},
    "regression": {"task": "regression"},
    "no-tracking": COMBINATIONS["no-cloud-no-ci-no-tracking"],
}


def private(name: str) -> bool:
    """`_b` is private; a dunder such as `__future__` or `__main__` is not."""
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def internal(module: str) -> bool:
    """A module path with a private part, or outside the documented API of a package listed in PUBLIC_API."""
    parts = module.split(".")
    if any(private(part) for part in parts):
        return True
    public = PUBLIC_API.get(parts[0])
    return public is not None and module not in public


def private_imports(source: str) -> Iterator[str]:
    """Each private module, or module.name, that an absolute import in `source` reaches."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if internal(alias.name))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if internal(node.module):
                yield node.module
            else:
                yield from (f"{node.module}.{alias.name}" for alias in node.names if private(alias.name))


def python_sources(root: Path) -> Iterator[tuple[str, str]]:
    """(path in the bake, Python source) of every module and notebook (its code cells, without magics)."""
    for path in sorted(root.rglob("*.py")):
        yield path.relative_to(root).as_posix(), path.read_text(encoding="utf-8")
    for path in sorted(root.rglob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        code = ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"]
        lines = [line for cell in code for line in cell.splitlines() if not line.lstrip().startswith(("%", "!"))]
        yield path.relative_to(root).as_posix(), "\n".join(lines)


def test_the_check_finds_each_form_of_private_import() -> None:
    source = "\n".join(
        [
            "from __future__ import annotations",
            "import os.path, sklearn.tree._tree",
            "from pydantic._internal._decorators import DecoratorInfos",
            "from pydantic import _internal, BaseModel",
            "from uvicorn.protocols.http.h11_impl import H11Protocol",
            "import uvicorn",
            "from dvc.api import params_show",
            "from dvc.repo import Repo",
            "from dvc_render.vega_templates import TEMPLATES",
            "from . import _ours",
            "from ._own import thing",
            "def later():",
            "    import numpy._core",
        ]
    )
    assert sorted(private_imports(source)) == sorted(
        [
            "sklearn.tree._tree",
            "pydantic._internal._decorators",
            "pydantic._internal",
            "uvicorn.protocols.http.h11_impl",
            "dvc.repo",
            "dvc_render.vega_templates",
            "numpy._core",
        ]
    )


@pytest.mark.parametrize("combo", list(COMBOS))
def test_no_generated_module_imports_a_private_module(baked: BakeCache, combo: str) -> None:
    root = baked(COMBOS[combo])
    package = answers_of(root)["package_name"]
    found = {(path, module) for path, source in python_sources(root) for module in private_imports(source)}
    allowed = {(path.format(package=package), module) for path, module in ALLOWED}
    assert sorted(found - allowed) == [], "private imports of other packages"
    assert sorted(allowed - found) == [], "ALLOWED lists imports that are gone: remove them"
