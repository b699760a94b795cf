"""Pipelines (MLOps): `make plots` — the pipeline's charts in dvc_plots/index.html, drawn offline, each once.

The charts are `dvc plots show --json`'s Vega-Lite specs; a declared plot the last run wrote no data for is
named, not drawn. The page's vega.js comes from the pinned vl-convert-python bundle: nothing is downloaded.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .errors import StageFailed
from .files import write_text

SCRIPT = "vega.js"
# What the bundle leaves global: the page calls vegaEmbed (which compiles Vega-Lite itself) for each chart.
SNIPPET = "window.vegaEmbed = vegaEmbed; window.vega = vega;"
PAGE_TEMPLATE = Path("pipelines/plots/page.html")
SCHEMA_MAJOR = re.compile(r"/vega-lite/v(\d+)(?:\.\d+)*\.json$")
NOT_AN_ID = re.compile(r"[^A-Za-z0-9-]")


class PlotsPageError(StageFailed):
    """The page cannot be written: DVC could not read the plots, or no bundle fits their Vega-Lite version."""


def charts(shown: Mapping[str, Any]) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """(plot name -> Vega-Lite spec, names of plots whose data file is absent) from `dvc plots show --json`;
    any other DVC error (a file without the plot's field, a bad dvc.yaml) is refused."""
    if "data" not in shown:
        problems = "; ".join(str(error.get("msg")) for error in shown.get("errors", [])) or "no DVC project here"
        raise PlotsPageError(f"DVC read no plots: {problems}")
    errors: dict[str, list[Mapping[str, Any]]] = {}
    for error in shown.get("errors", []):
        errors.setdefault(str(error.get("name")), []).append(error)
    drawn: dict[str, dict[str, Any]] = {}
    not_drawn: list[str] = []
    for name, entries in shown["data"].items():
        specs = [entry["content"] for entry in entries if entry.get("type") == "vega"]
        found = errors.get(name, [])
        refused = [error for error in found if error.get("type") != "FileNotFoundError"]
        if specs:
            drawn[name] = specs[0]
        elif entries:
            raise PlotsPageError(f"plot {name!r} of dvc.yaml is not a Vega chart ({entries[0].get('type')})")
        elif refused or not found:
            reasons = "; ".join(str(error.get("msg")) for error in refused) or "no chart, and no reason given"
            raise PlotsPageError(f"plot {name!r} of dvc.yaml: {reasons}")
        else:
            not_drawn.append(name)
    return drawn, not_drawn


def read_charts(dvc: Sequence[str] = (sys.executable, "-m", "dvc")) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Run `dvc plots show --json` in the working directory and return charts() of its output."""
    done = subprocess.run([*dvc, "plots", "show", "--json"], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise PlotsPageError(f"`dvc plots show --json` failed (exit {done.returncode}): {done.stderr.strip()}")
    try:
        shown = json.loads(done.stdout)
    except json.JSONDecodeError as error:
        raise PlotsPageError(f"`dvc plots show --json` printed what this page cannot read: {error}") from error
    return charts(shown)


def schema_majors(specs: Iterable[Mapping[str, object]]) -> set[str]:
    """The Vega-Lite major versions the specs' `$schema` URLs name."""
    found = (SCHEMA_MAJOR.search(str(spec.get("$schema", ""))) for spec in specs)
    return {match.group(1) for match in found if match}


def newest_of_major(available: Sequence[str], majors: set[str]) -> str:
    """The newest bundled Vega-Lite version ('5.21') of the one major the specs use."""
    if len(majors) != 1:
        raise PlotsPageError(f"the plot templates declare Vega-Lite majors {sorted(majors)}; expected exactly one")
    (major,) = majors
    fitting = [version for version in available if version.split(".")[0] == major]
    if not fitting:
        raise PlotsPageError(
            f"vl-convert-python bundles Vega-Lite {', '.join(available)}, none of major {major} "
            "(the templates' $schema): pin a vl-convert-python release that has it"
        )
    return max(fitting, key=lambda version: tuple(int(part) for part in version.split(".")))


def write_script(folder: Path, specs: Iterable[Mapping[str, object]]) -> Path:
    """Write `folder`/vega.js unless it already holds the bundle of this vl-convert-python and Vega-Lite version."""
    import vl_convert

    vegalite = newest_of_major(vl_convert.get_vegalite_versions(), schema_majors(specs))
    stamp = (
        f"// Vega {vl_convert.get_vega_version()}, Vega-Lite {vegalite}, Vega-Embed "
        f"{vl_convert.get_vega_embed_version()}: bundled by vl-convert-python (make plots).\n"
    )
    script = folder / SCRIPT
    if script.exists() and script.read_text(encoding="utf-8").startswith(stamp):
        return script
    bundle = vl_convert.javascript_bundle(SNIPPET, vl_version=vegalite)
    write_text(script, stamp + bundle)
    return script


def element_id(name: str) -> str:
    """The chart's HTML id: its name with every character other than a letter, digit or dash made '_'."""
    return NOT_AN_ID.sub("_", name)


def chart_html(name: str, spec: Mapping[str, object]) -> str:
    """One chart: a div and the script that draws the spec into it ('</' escaped, so the spec cannot end the script)."""
    ident = element_id(name)
    payload = json.dumps(spec).replace("</", "<\\/")
    return f'<div id="{ident}" title="{html.escape(name)}"></div>\n<script>vegaEmbed("#{ident}", {payload});</script>'


def page_html(template: str, drawn: Mapping[str, Mapping[str, object]]) -> str:
    """page.html with its `{plot_divs}` (DVC's placeholder name) replaced by the charts, in dvc.yaml's order."""
    divs = "\n".join(chart_html(name, spec) for name, spec in drawn.items())
    return template.replace("{refresh_tag}", "").replace("{plot_divs}", divs)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {__name__}", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("dvc_plots"), help="the page's folder (default: %(default)s)")
    arguments = parser.parse_args(argv)
    try:
        drawn, not_drawn = read_charts()
        if not drawn:
            raise PlotsPageError("no declared plot has data in the workspace: run `make repro` first")
        write_script(arguments.out, drawn.values())
        page = arguments.out / "index.html"
        write_text(page, page_html(PAGE_TEMPLATE.read_text(encoding="utf-8"), drawn))
    except StageFailed as error:
        print(f"error: plots: {error}", file=sys.stderr)
        return 1
    print(f"plots: {page} draws {len(drawn)} charts offline: {', '.join(drawn)}")
    if not_drawn:
        print(
            f"plots: no data in the workspace, not drawn (another task's charts, or a stage not run): {', '.join(not_drawn)}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
