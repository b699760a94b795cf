"""Pipelines: `make plots` draws each declared plot that has data once, names the others, and bundles one vega.js.

The charts come from DVC's public `dvc plots show --json`; a scratch DVC project with this repository's
dvc.yaml, params.yaml and chart templates, and data for some of the declared plots only, shows what a run
of one task leaves: the other plots are named, not drawn empty.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from {{ cookiecutter.package_name }}_pipelines import plots_page
from {{ cookiecutter.package_name }}_pipelines.plots_page import (
    PlotsPageError,
    charts,
    element_id,
    newest_of_major,
    page_html,
    read_charts,
    schema_majors,
    write_script,
)

REPO_ROOT = Path(__file__).resolve().parents[2]


def fake_bundler(monkeypatch: pytest.MonkeyPatch) -> tuple[SimpleNamespace, list[str]]:
    """vl_convert as the page uses it, bundling instantly; the list records each bundled Vega-Lite version."""
    calls: list[str] = []

    def bundle(snippet: str, vl_version: str) -> str:
        calls.append(vl_version)
        return f"/* Vega-Lite {vl_version} */ {snippet}"

    fake = SimpleNamespace(
        get_vegalite_versions=lambda: ["5.20", "5.21", "6.4"],
        get_vega_version=lambda: "6.2.0",
        get_vega_embed_version=lambda: "7.0.2",
        javascript_bundle=bundle,
    )
    monkeypatch.setitem(sys.modules, "vl_convert", fake)
    return fake, calls


def declared_plots(dvc_pipeline: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Plot name -> its definition in dvc.yaml, `${...}` filled in (the `dvc_pipeline` fixture)."""
    return {name: spec for entry in dvc_pipeline["plots"] for name, spec in entry.items()}


def test_our_templates_declare_one_vega_lite_major() -> None:
    templates = [
        json.loads(path.read_text(encoding="utf-8")) for path in (REPO_ROOT / "pipelines/plots").glob("*.json")
    ]
    assert templates
    assert len(schema_majors(templates)) == 1


def test_every_declared_plot_is_a_chart_with_data_and_a_template(dvc_pipeline: dict[str, Any]) -> None:
    """Each chart once: no image entries (the PNG files are the same figures), every one from a data file."""
    entries = yaml.safe_load((REPO_ROOT / "dvc.yaml").read_text(encoding="utf-8"))["plots"]
    assert all(isinstance(entry, dict) for entry in entries), "an image plot would draw a chart a second time"
    for name, spec in declared_plots(dvc_pipeline).items():
        assert spec["y"], name
        assert spec.get("template"), name
        template = spec["template"]
        if "/" in template:
            assert (REPO_ROOT / template).is_file(), f"{name}: no template {template}"


def test_dvcs_output_splits_into_charts_and_plots_without_data() -> None:
    spec = {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "mark": "point"}
    shown = {
        "errors": [{"name": "B", "rev": "workspace", "type": "FileNotFoundError", "msg": "No such file: 'b.csv'"}],
        "data": {"A": [{"type": "vega", "revisions": ["workspace"], "content": spec}], "B": []},
    }
    assert charts(shown) == ({"A": spec}, ["B"])


@pytest.mark.parametrize(
    ("shown", "reason"),
    [
        ({}, r"DVC read no plots: no DVC project here"),
        (
            {"errors": [{"rev": "workspace", "type": "YAMLSyntaxError", "msg": "unable to read: 'dvc.yaml'"}]},
            r"DVC read no plots: unable to read: 'dvc\.yaml'",
        ),
        (
            {
                "errors": [{"name": "T", "type": "FieldNotFoundError", "msg": "Could not find provided field ('c')"}],
                "data": {"T": []},
            },
            r"plot 'T' of dvc\.yaml: Could not find provided field \('c'\)",
        ),
        ({"data": {"T": [{"type": "image", "url": "t.png"}]}}, r"plot 'T' of dvc\.yaml is not a Vega chart \(image\)"),
        ({"data": {"T": []}}, r"plot 'T' of dvc\.yaml: no chart, and no reason given"),
    ],
    ids=["no-project", "bad-dvc-yaml", "missing-field", "image", "silent"],
)
def test_what_the_page_cannot_draw_is_refused_with_dvcs_reason(shown: dict[str, Any], reason: str) -> None:
    with pytest.raises(PlotsPageError, match=reason):
        charts(shown)


def test_the_page_has_each_chart_once_and_a_spec_cannot_end_its_script() -> None:
    specs = {"ROC (test)": {"mark": "line", "title": "</script><script>alert(1)"}, "Drift": {"mark": "bar"}}
    page = page_html("<head>{refresh_tag}</head><body>{plot_divs}</body>", specs)
    for name in specs:
        assert page.count(f'id="{element_id(name)}"') == 1
        assert page.count(f'vegaEmbed("#{element_id(name)}"') == 1
    assert page.count("</script>") == 2
    assert "{refresh_tag}" not in page
    assert page.index("ROC") < page.index("Drift")


def test_the_newest_bundled_version_of_the_major_is_chosen() -> None:
    assert newest_of_major(["5.8", "5.21", "5.9", "6.4"], {"5"}) == "5.21"


def test_no_bundle_of_the_major_is_refused_naming_the_versions() -> None:
    with pytest.raises(PlotsPageError, match=r"Vega-Lite 6\.1, 6\.4, none of major 5"):
        newest_of_major(["6.1", "6.4"], {"5"})


def test_templates_of_two_majors_are_refused() -> None:
    specs = [
        {"$schema": "https://vega.github.io/schema/vega-lite/v5.json"},
        {"$schema": "https://vega.github.io/schema/vega-lite/v6.json"},
    ]
    with pytest.raises(PlotsPageError, match=r"majors \['5', '6'\]; expected exactly one"):
        newest_of_major(["5.21", "6.4"], schema_majors(specs))


def test_the_script_is_written_once_per_bundle_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """vega.js starts with the versions it bundles; the same versions again leave it as it is (bundling takes seconds)."""
    fake, calls = fake_bundler(monkeypatch)
    specs = [{"$schema": "https://vega.github.io/schema/vega-lite/v5.json"}]
    script = write_script(tmp_path / "page", specs)
    first, _, rest = script.read_text(encoding="utf-8").partition("\n")
    assert first.startswith("// Vega 6.2.0, Vega-Lite 5.21, Vega-Embed 7.0.2")
    assert "window.vegaEmbed = vegaEmbed" in rest
    write_script(tmp_path / "page", specs)
    assert calls == ["5.21"]
    fake.get_vega_version = lambda: "6.3.0"  # a new vl-convert-python: a new bundle
    write_script(tmp_path / "page", specs)
    assert calls == ["5.21", "5.21"]
    assert not list((tmp_path / "page").glob(".*partial"))


def test_dvc_failing_is_reported_with_its_message() -> None:
    failing = (sys.executable, "-c", "import sys; sys.exit(\"ERROR: unexpected error - Template 'x.json' not found.\")")
    with pytest.raises(PlotsPageError, match=r"`dvc plots show --json` failed \(exit 1\): .*'x\.json' not found"):
        read_charts(failing)


@pytest.mark.slow  # runs DVC (seconds)
def test_make_plots_draws_the_plots_with_data_and_names_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], dvc_pipeline: dict[str, Any]
) -> None:
    """The first declared plot's data is missing, as the other task's is after a run: it is named, not drawn."""
    for name in ("dvc.yaml", "params.yaml"):
        shutil.copy(REPO_ROOT / name, tmp_path / name)
    shutil.copytree(REPO_ROOT / "pipelines/plots", tmp_path / "pipelines/plots")
    subprocess.run([sys.executable, "-m", "dvc", "init", "--no-scm", "--quiet"], cwd=tmp_path, check=True)
    declared = declared_plots(dvc_pipeline)  # dvc.yaml and params.yaml are the repository's
    missing, *present = declared
    columns: dict[str, list[str]] = {}  # data file -> its columns (two plots may read one file)
    for name in present:
        for path, field in declared[name]["y"].items():
            columns.setdefault(path, [])
            columns[path] += [column for column in (declared[name]["x"], field) if column not in columns[path]]
    assert set(declared[missing]["y"]).isdisjoint(columns), "the first declared plot shares data with another"
    for path, names in columns.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        rows = [",".join(names), ",".join("1" for _ in names), ",".join("2" for _ in names)]
        (tmp_path / path).write_text("\n".join(rows) + "\n", encoding="utf-8")
    fake_bundler(monkeypatch)
    monkeypatch.chdir(tmp_path)

    assert plots_page.main(["--out", "page"]) == 0
    page = (tmp_path / "page" / "index.html").read_text(encoding="utf-8")
    for name in present:
        assert page.count(f'vegaEmbed("#{element_id(name)}"') == 1, name
    assert element_id(missing) not in page
    out = capsys.readouterr().out
    assert f"not drawn (another task's charts, or a stage not run): {missing}" in out
    assert (tmp_path / "page" / "vega.js").read_text(encoding="utf-8").startswith("// Vega 6.2.0, Vega-Lite 5.21")
