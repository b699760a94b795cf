"""Pipelines: `make plots` writes vega.js of the templates' Vega-Lite major once, and refuses a bundle that does not fit."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from {{ cookiecutter.package_name }}_pipelines import plots_page
from {{ cookiecutter.package_name }}_pipelines.plots_page import (
    PlotsPageError,
    newest_of_major,
    schema_majors,
    templates_in_use,
    write_script,
)

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_the_templates_in_use_declare_one_vega_lite_major() -> None:
    """DVC's built-in templates and pipelines/plots/*.json: one major, the one the bundle must have."""
    templates = templates_in_use(REPO_ROOT / plots_page.OUR_TEMPLATES)
    assert len(templates) > len(list((REPO_ROOT / plots_page.OUR_TEMPLATES).glob("*.json")))
    assert len(schema_majors(templates)) == 1


def test_the_newest_bundled_version_of_the_major_is_chosen() -> None:
    assert newest_of_major(["5.8", "5.21", "5.9", "6.4"], {"5"}) == "5.21"


def test_no_bundle_of_the_major_is_refused_naming_the_versions() -> None:
    with pytest.raises(PlotsPageError, match=r"Vega-Lite 6\.1, 6\.4, none of major 5"):
        newest_of_major(["6.1", "6.4"], {"5"})


def test_templates_of_two_majors_are_refused() -> None:
    templates = [
        {"$schema": "https://vega.github.io/schema/vega-lite/v5.json"},
        {"$schema": "https://vega.github.io/schema/vega-lite/v6.json"},
    ]
    with pytest.raises(PlotsPageError, match=r"majors \['5', '6'\]; expected exactly one"):
        newest_of_major(["5.21", "6.4"], schema_majors(templates))


def test_the_script_is_written_once_per_bundle_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """vega.js starts with the versions it bundles; the same versions again leave it as it is (bundling takes seconds)."""
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
    templates = [{"$schema": "https://vega.github.io/schema/vega-lite/v5.json"}]
    script = write_script(tmp_path / "page", templates)
    first, _, rest = script.read_text(encoding="utf-8").partition("\n")
    assert first.startswith("// Vega 6.2.0, Vega-Lite 5.21, Vega-Embed 7.0.2")
    assert "window.vegaEmbed = vegaEmbed" in rest
    write_script(tmp_path / "page", templates)
    assert calls == ["5.21"]
    fake.get_vega_version = lambda: "6.3.0"  # a new vl-convert-python: a new bundle
    write_script(tmp_path / "page", templates)
    assert calls == ["5.21", "5.21"]
    assert not list((tmp_path / "page").glob(".*partial"))
