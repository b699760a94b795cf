"""Pipelines (MLOps): the scripts of `dvc plots show`'s page, written beside it so its charts draw offline.

DVC's own page loads Vega, Vega-Lite and Vega-Embed from the internet, so offline its charts stay
blank. `.dvc/config` points DVC at pipelines/plots/page.html instead, which loads them from
`vega.js` in the page's folder; this module writes that file from the pinned vl-convert-python
(a dev dependency: it bundles the three libraries, nothing is downloaded). `make plots` runs it, then
`dvc plots show`. The bundle's Vega-Lite has the major version of the `$schema` DVC's plot templates
(and ours in pipelines/plots/) declare, so every chart compiles as DVC wrote it.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from .errors import StageFailed

SCRIPT = "vega.js"
# What the bundle leaves global: DVC's page calls vegaEmbed (which compiles Vega-Lite itself) for each chart.
SNIPPET = "window.vegaEmbed = vegaEmbed; window.vega = vega;"
OUR_TEMPLATES = Path("pipelines/plots")
SCHEMA_MAJOR = re.compile(r"/vega-lite/v(\d+)(?:\.\d+)*\.json$")


class PlotsPageError(StageFailed):
    """The page's scripts cannot be written: no bundle for the templates' Vega-Lite version."""


def schema_majors(templates: Iterable[dict[str, object]]) -> set[str]:
    """The Vega-Lite major versions the templates' `$schema` URLs name."""
    majors = set()
    for template in templates:
        found = SCHEMA_MAJOR.search(str(template.get("$schema", "")))
        if found:
            majors.add(found.group(1))
    return majors


def templates_in_use(ours: Path = OUR_TEMPLATES) -> list[dict[str, object]]:
    """DVC's built-in plot templates and the project's own (pipelines/plots/*.json)."""
    from dvc_render.vega_templates import TEMPLATES

    built_in = [dict(template.DEFAULT_CONTENT) for template in TEMPLATES]
    return built_in + [json.loads(path.read_text(encoding="utf-8")) for path in sorted(ours.glob("*.json"))]


def newest_of_major(available: Sequence[str], majors: set[str]) -> str:
    """The newest bundled Vega-Lite version ('5.21') of the one major the templates use."""
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


def write_script(folder: Path, templates: Iterable[dict[str, object]]) -> Path:
    """Write `folder`/vega.js unless it already holds the bundle of this vl-convert-python and Vega-Lite version."""
    import vl_convert

    vegalite = newest_of_major(vl_convert.get_vegalite_versions(), schema_majors(templates))
    stamp = (
        f"// Vega {vl_convert.get_vega_version()}, Vega-Lite {vegalite}, Vega-Embed "
        f"{vl_convert.get_vega_embed_version()}: bundled by vl-convert-python (make plots).\n"
    )
    script = folder / SCRIPT
    if script.exists() and script.read_text(encoding="utf-8").startswith(stamp):
        return script
    folder.mkdir(parents=True, exist_ok=True)
    bundle = vl_convert.javascript_bundle(SNIPPET, vl_version=vegalite)
    partial = script.with_name(f".{SCRIPT}.partial")
    partial.write_text(stamp + bundle, encoding="utf-8")
    partial.replace(script)
    return script


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {__name__}", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("dvc_plots"), help="the page's folder (default: %(default)s)")
    arguments = parser.parse_args(argv)
    try:
        script = write_script(arguments.out, templates_in_use())
    except StageFailed as error:
        print(f"error: plots: {error}", file=sys.stderr)
        return 1
    print(f"plots: {script} holds the page's charting scripts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
