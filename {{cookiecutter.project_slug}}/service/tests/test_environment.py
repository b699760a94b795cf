"""Service (ML Engineers): the service's dependency closure holds no training, pipeline or research code.

The service image installs core + service alone (`uv sync --package ...-service`), so what is
not in this closure cannot be imported there. The template's own tests also build that
environment for real and try the imports.
"""

from __future__ import annotations

import re
from importlib.metadata import PackageNotFoundError, distribution

from packaging.requirements import Requirement

SERVICE = "{{ cookiecutter.project_slug }}-service"
CORE = "{{ cookiecutter.project_slug }}-core"
FORBIDDEN = {
    "{{ cookiecutter.project_slug }}-pipelines",
    "{{ cookiecutter.project_slug }}-research",
    "scikit-learn",
    "pandas",
    "mlflow",
    "dvc",
    "skl2onnx",
    "matplotlib",
    "jupyter",
    "ipykernel",
}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def dependency_closure(root: str) -> set[str]:
    """Every distribution `root` needs at run time, following only the extras that are asked for."""
    seen: set[tuple[str, frozenset[str]]] = set()
    names: set[str] = set()
    pending: list[tuple[str, frozenset[str]]] = [(root, frozenset())]
    while pending:
        name, extras = pending.pop()
        key = (_canonical(name), extras)
        if key in seen:
            continue
        seen.add(key)
        names.add(key[0])
        try:
            requirements = distribution(name).requires or []
        except PackageNotFoundError:
            continue
        for line in requirements:
            requirement = Requirement(line)
            if requirement.marker is None or any(
                requirement.marker.evaluate({"extra": extra}) for extra in (extras or {""})
            ):
                pending.append((requirement.name, frozenset(requirement.extras)))
    return names


def test_the_service_needs_no_training_pipeline_or_research_package() -> None:
    closure = dependency_closure(SERVICE)
    assert {_canonical(SERVICE), _canonical(CORE), "onnxruntime", "fastapi"} <= closure
    assert not closure & {_canonical(name) for name in FORBIDDEN}
