"""Bake tier, names: any project name a person types bakes with the derived folder and package defaults.

The derivation is cookiecutter.json's own (cookiecutter's `slugify` filter, then hooks/naming.py);
these tests render it through cookiecutter, never through a copy of the rules. The text answers
(name, description, author) may hold quotes and backslashes: every file writes them through the
filter of its syntax (hooks/naming.py), and the files still parse to the very text typed. One such
bake also runs `make setup && make check` (tests/test_generated.py, the `azure-no-ci-py3.11` answers).
Text holding Jinja's delimiters is refused (tests/test_hooks.py shows the message at the prompt).
"""

from __future__ import annotations

import html
import keyword
import re
import sys
import tempfile
import tomllib
from pathlib import Path

import markdown
import pytest
import yaml
from cookiecutter.exceptions import FailedHookException
from cookiecutter.generate import generate_context
from cookiecutter.prompt import prompt_for_config
from harness import TEMPLATE_DIR, BakeCache, answers_of, bake, data_files
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from hooks.naming import md_text, toml_str, yaml_str
from hooks.naming import rules as pre_gen  # the pre_gen hook's rules, as the naming extension loads them


def holds_no_jinja(text: str) -> bool:
    return not any(delimiter in text for delimiter in pre_gen.JINJA_DELIMITERS)


# What people type: letters, marks, digits, punctuation, symbols and spaces of any script, with quotes
# and backslashes drawn often (they end or escape the strings of TOML, YAML, JSON and Markdown).
TYPED_CHARACTER = st.one_of(
    st.characters(categories=("L", "M", "N", "P", "S", "Zs")), st.sampled_from(['"', "'", "\\", "`", "*", "#"])
)
PERSON_TYPED = st.text(alphabet=TYPED_CHARACTER, min_size=1, max_size=60).filter(
    lambda text: text.strip() != "" and holds_no_jinja(text)
)
# Text with one of Jinja's opening delimiters in it ("Model {{ v2 }}"), which every re-bake would evaluate.
JINJA_TEXT = st.tuples(
    st.text(alphabet=TYPED_CHARACTER, max_size=20),
    st.sampled_from(pre_gen.JINJA_DELIMITERS),
    st.text(alphabet=TYPED_CHARACTER, max_size=20),
).map("".join)
# Any text at all, control characters too (the quoting filters must hold for more than the rules let in).
ANY_TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=80)
# An e-mail address the rules accept that also needs quoting in TOML.
QUOTED_EMAIL = '"ada\\"lovelace"@example.com'

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


def markdown_text(source: str) -> str:
    """The text a line of Markdown shows once rendered (the handbook's engine, with its attribute lists)."""
    rendered = markdown.markdown(source, extensions=["attr_list", "tables"])
    return html.unescape(re.sub(r"<[^>]+>", "", rendered))


@settings(max_examples=500, deadline=None)
@given(ANY_TEXT)
def test_the_quoting_filters_give_back_any_text(text: str) -> None:
    assert tomllib.loads(f"value = {toml_str(text)}")["value"] == text
    assert yaml.safe_load(f"value: {yaml_str(text)}")["value"] == text


@settings(max_examples=500, deadline=None)
@given(PERSON_TYPED)
def test_any_typed_text_shows_as_itself_in_markdown(text: str) -> None:
    assert markdown_text(f"# {md_text(text)}") == markdown_text(md_text(text)) == text.strip()


# A bake per example: no shrinking (seconds per step); a failure is reported as drawn.
@settings(
    max_examples=8,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow],
)
@given(PERSON_TYPED, PERSON_TYPED, PERSON_TYPED)
def test_any_typed_text_bakes_files_that_parse_to_it(project_name: str, description: str, author: str) -> None:
    """A full bake per drawn name, description and author: every data file parses, and gives back the text."""
    with tempfile.TemporaryDirectory() as output:
        root = bake(
            Path(output),
            project_name=project_name,
            description=description,
            author_name=author,
            author_email=QUOTED_EMAIL,
        )
        files = data_files(root)  # every JSON, TOML and YAML file of the bake parses
        (project,) = [content for path, content in files.items() if path.endswith("_core/project.json")]
        assert project == {"name": project_name, "slug": root.name}
        assert files["pyproject.toml"]["project"]["description"] == description
        for path in [name for name in files if name.endswith("pyproject.toml")]:
            assert files[path]["project"]["authors"] == [{"name": author, "email": QUOTED_EMAIL}], path
        (mkdocs,) = files["mkdocs.yml"]
        assert (mkdocs["site_name"], mkdocs["site_description"]) == (f"{project_name} handbook", description)
        assert files[".devcontainer/devcontainer.json"]["name"] == project_name
        title, _, summary = (root / "README.md").read_text(encoding="utf-8").splitlines()[:3]
        assert (markdown_text(title), markdown_text(summary)) == (project_name.strip(), description.strip())


@pytest.mark.parametrize(
    ("project_name", "folder", "package"), REAL_WORLD_NAMES, ids=[n for n, _, _ in REAL_WORLD_NAMES]
)
def test_real_world_names_bake_into_these_folders(
    project_name: str, folder: str, package: str, baked: BakeCache, record_property: pytest.RecordProperty
) -> None:
    root = baked({"project_name": project_name})
    answers = answers_of(root)
    assert answers["project_name"] == project_name
    record_property("folder", root.name)
    record_property("package", answers["package_name"])
    print(f"| {project_name!r} | {root.name} | {answers['package_name']} |")
    assert (root.name, answers["package_name"]) == (folder, package)
    assert (root / "core" / "src" / f"{package}_core" / "__init__.py").is_file()


@settings(max_examples=100, deadline=None)
@given(JINJA_TEXT)
def test_text_with_jinja_delimiters_is_refused_for_every_text_answer(text: str) -> None:
    for field in ("project_name", "description", "author_name"):
        problems = pre_gen.find_problems({field: text}, only_present=True)
        assert [field for field, _ in problems] == [field]
        assert "Jinja" in problems[0][1]


def test_an_answer_given_without_prompts_is_rendered_as_a_template() -> None:
    """Why Jinja's delimiters are refused: cookiecutter renders every answer it did not prompt for, as cruft
    does when it re-bakes a project's recorded answers for `cruft diff` and `cruft update`."""
    assert derived('{{ "Best" }} Model')["project_name"] == "Best Model"
    with pytest.raises(FailedHookException, match="project_name 'Model {{ v2 }}' must be .* Jinja"):
        derived("{% raw %}Model {{ v2 }}{% endraw %}")  # the text itself reaches the rules, which refuse it
