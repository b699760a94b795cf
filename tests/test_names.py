"""Bake tier, names: any project name a person types bakes with the derived folder and package defaults.

The derivation is cookiecutter.json's own (cookiecutter's `slugify` filter, then hooks/naming.py);
these tests render it through cookiecutter, never through a copy of the rules.
"""

from __future__ import annotations

import json
import keyword
import sys
import tempfile
import tomllib
from pathlib import Path

import pytest
import yaml
from cookiecutter.exceptions import FailedHookException
from cookiecutter.generate import generate_context
from cookiecutter.prompt import prompt_for_config
from harness import TEMPLATE_DIR, BakeCache, answers_of, bake
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from hooks.naming import rules as pre_gen  # the pre_gen hook's rules, as the naming extension loads them

# What people type: letters, marks, digits, punctuation, symbols and spaces of any script.
# Double quotes and backslashes are refused with a message (tests/test_hooks.py), so they are left out.
PERSON_TYPED = st.text(
    alphabet=st.characters(categories=("L", "M", "N", "P", "S", "Zs"), exclude_characters='"\\'),
    min_size=1,
    max_size=60,
).filter(lambda name: name.strip() != "")

# (project name, folder, package): every name of issue 15 and a few more of the same kinds.
REAL_WORLD_NAMES = [
    ("Churn Prediction", "churn-prediction", "churn_prediction"),
    ("Prévision des Ventes", "prevision-des-ventes", "prevision_des_ventes"),
    ("Fraud & Churn (v2)", "fraud-churn-v2", "fraud_churn_v2"),
    ("O'Brien Churn", "o-brien-churn", "o_brien_churn"),
    ("my-project-v2.0", "my-project-v2-0", "my_project_v2_0"),
    ("2024 Forecast", "ml-2024-forecast", "ml_2024_forecast"),
    ("需求预测", "xu-qiu-yu-ce", "xu_qiu_yu_ce"),
    ("Customer Churn Prediction Service", "customer-churn-prediction", "customer_churn_prediction"),
    ("Churn  Prediction", "churn-prediction", "churn_prediction"),
    (" Churn", "churn", "churn"),
    ("Test", "test", "test_ml"),
    ("Email", "email", "email_ml"),
    ("Pandas", "pandas", "pandas_ml"),
    ("Class", "class", "class_ml"),
    ("Über-Churn 2.0", "uber-churn-2-0", "uber_churn_2_0"),
    ("Straße & Co.", "strasse-co", "strasse_co"),
    ("Прогноз оттока", "prognoz-ottoka", "prognoz_ottoka"),
    ("Δ Hedging", "d-hedging", "d_hedging"),
    ("???", "ml-project", "ml_project"),
    (
        "Supercalifragilisticexpialidociousforecasting",
        "supercalifragilisticexpialidocio",
        "supercalifragilisticexpialidocio",
    ),
]


class AnyTagLoader(yaml.SafeLoader):
    """Parses mkdocs.yml's application tags (!!python/name) as plain nodes."""


AnyTagLoader.add_multi_constructor("", lambda loader, suffix, node: None)


def derived(project_name: str) -> dict[str, str]:
    """The answers cookiecutter derives for this name with every other default (no files written)."""
    context = generate_context(
        context_file=str(TEMPLATE_DIR / "cookiecutter.json"), extra_context={"project_name": project_name}
    )
    return dict(prompt_for_config(context, no_input=True))


@settings(max_examples=300, deadline=None)
@given(PERSON_TYPED)
def test_any_typed_name_derives_a_folder_and_package_the_hooks_accept(project_name: str) -> None:
    answers = derived(project_name)  # check_answers raises FailedHookException on any rule broken
    slug, package = answers["project_slug"], answers["package_name"]
    assert pre_gen.find_errors(answers) == []
    assert pre_gen.is_slug(slug) and len(slug) <= pre_gen.MAX_NAME_LENGTH
    assert pre_gen.is_package_name(package)
    assert not keyword.iskeyword(package) and package not in sys.stdlib_module_names
    assert package.startswith(slug.replace("-", "_")[: len(package) - 3])


# A bake per example: no shrinking (seconds per step); a failure is reported as drawn.
@settings(
    max_examples=8,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow],
)
@given(PERSON_TYPED)
def test_any_typed_name_bakes_files_that_parse(project_name: str) -> None:
    """A full bake per generated name: the files that carry the name verbatim still parse."""
    with tempfile.TemporaryDirectory() as output:
        root = bake(Path(output), project_name=project_name)
        project = json.loads(next((root / "core" / "src").glob("*_core/project.json")).read_text())
        assert project == {"name": project_name, "slug": root.name}
        assert tomllib.loads((root / "pyproject.toml").read_text())
        assert yaml.load((root / "mkdocs.yml").read_text(), AnyTagLoader)["site_name"] == f"{project_name} handbook"
        assert json.loads((root / ".devcontainer" / "devcontainer.json").read_text())["name"] == project_name


@pytest.mark.parametrize(
    ("project_name", "folder", "package"), REAL_WORLD_NAMES, ids=[n for n, _, _ in REAL_WORLD_NAMES]
)
def test_real_world_names_bake_into_these_folders(
    project_name: str, folder: str, package: str, baked: BakeCache, record_property: pytest.RecordProperty
) -> None:
    root = baked({"project_name": project_name})
    answers = answers_of(root)
    record_property("folder", root.name)
    record_property("package", answers["package_name"])
    print(f"| {project_name!r} | {root.name} | {answers['package_name']} |")
    assert (root.name, answers["package_name"]) == (folder, package)
    assert (root / "core" / "src" / f"{package}_core" / "__init__.py").is_file()


def test_a_name_that_cannot_be_written_is_refused_at_the_prompt() -> None:
    with pytest.raises(FailedHookException, match="project_name 'Say \"hi\"'"):
        derived('Say "hi"')
