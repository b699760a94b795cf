"""Docs: the template's site, a baked handbook and its plots page load nothing from the internet; diagrams are drawn at build time.

A page opened offline must look the same as online: every script, style sheet, font, icon and image
is a file of the site (or inline), and each mermaid diagram is an inline SVG drawn when the site is
built (docs/hooks/mermaid.py), not a block the theme would hand to a mermaid library from a CDN.
The page `make plots` writes (from `dvc plots show --json`) draws its Vega charts with vega.js from its own folder.
"""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from collections.abc import Mapping
from html.parser import HTMLParser
from pathlib import Path

import pytest
from harness import OPTIONS, TEMPLATE_DIR, BakeCache, debian_tool, run
from service_project import trained_project
from test_docs import mkdocs_build

# Tag -> the attributes through which a browser loads something when it shows the page.
LOADING_ATTRIBUTES = {
    "script": ("src",),
    "link": ("href",),
    "img": ("src", "srcset"),
    "source": ("src", "srcset"),
    "iframe": ("src",),
    "video": ("src", "poster"),
    "audio": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "image": ("href", "xlink:href"),
    "use": ("href", "xlink:href"),
}
# <link rel=...> values that only name a page (search engines, feeds), which the browser does not load.
NON_LOADING_RELS = {"canonical", "alternate", "author", "license", "next", "prev", "search", "edit"}
EXTERNAL = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)|@import\s+['"]([^'"]+)""", re.IGNORECASE)
MERMAID_FENCE = re.compile(r"^```mermaid\s*$", re.MULTILINE)


class _Loads(HTMLParser):
    """Collects every URL a page makes the browser load, and the mermaid blocks left undrawn."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self.undrawn_mermaid = 0
        self.drawn_diagrams = 0
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "link" and NON_LOADING_RELS & set(values.get("rel", "").lower().split()):
            return
        for name in LOADING_ATTRIBUTES.get(tag, ()):
            if name in values:
                self.urls.extend(part.split()[0] for part in values[name].split(",") if part.strip())
        self.urls.extend(match[0] or match[1] for match in CSS_URL.findall(values.get("style", "")))
        if "mermaid" in values.get("class", "").split():
            self.undrawn_mermaid += 1
        if tag == "svg" and values.get("aria-roledescription", "").startswith("flowchart"):
            self.drawn_diagrams += 1
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False if tag == "style" else self._in_style

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.urls.extend(match[0] or match[1] for match in CSS_URL.findall(data))


def external_loads(site: Path) -> dict[str, list[str]]:
    """Page or style sheet (relative to the site) -> the external URLs it loads."""
    found: dict[str, list[str]] = {}
    for page in sorted(site.rglob("*.html")):
        parser = _Loads()
        parser.feed(page.read_text(encoding="utf-8"))
        external = [url for url in parser.urls if EXTERNAL.match(url)]
        if external:
            found[page.relative_to(site).as_posix()] = external
    for sheet in sorted(site.rglob("*.css")):
        urls = [match[0] or match[1] for match in CSS_URL.findall(sheet.read_text(encoding="utf-8"))]
        external = [url for url in urls if EXTERNAL.match(url)]
        if external:
            found[sheet.relative_to(site).as_posix()] = external
    return found


def diagrams(site: Path) -> tuple[int, int]:
    """(mermaid blocks left for a browser script to draw, diagrams drawn as inline SVG) over the whole site."""
    undrawn = drawn = 0
    for page in site.rglob("*.html"):
        parser = _Loads()
        parser.feed(page.read_text(encoding="utf-8"))
        undrawn += parser.undrawn_mermaid
        drawn += parser.drawn_diagrams
    return undrawn, drawn


def assert_offline(site: Path, docs: Path) -> None:
    assert external_loads(site) == {}, "these pages load files from the internet"
    fences = sum(len(MERMAID_FENCE.findall(page.read_text(encoding="utf-8"))) for page in docs.rglob("*.md"))
    undrawn, drawn = diagrams(site)
    assert undrawn == 0, "mermaid blocks were left for the theme, which loads mermaid.js from a CDN"
    assert fences > 0 and drawn == fences, f"{fences} mermaid fences in the docs, {drawn} drawn as SVG"


def test_the_check_finds_each_kind_of_external_load(tmp_path: Path) -> None:
    page = tmp_path / "page" / "index.html"
    page.parent.mkdir()
    page.write_text(
        '<link rel="canonical" href="https://example.org/page/">'  # names the page, loads nothing
        '<link rel="stylesheet" href="https://cdn.example/x.css"><script src="//cdn.example/x.js"></script>'
        '<img src="assets/logo.png"><div style="background: url(\'https://cdn.example/bg.png\')"></div>'
        "<style>@import 'https://fonts.example/f.css';</style>"
        '<pre class="mermaid"><code>flowchart LR; A--&gt;B</code></pre>',
        encoding="utf-8",
    )
    (tmp_path / "site.css").write_text("a { background: url(data:image/png;base64,AA==) }", encoding="utf-8")
    assert external_loads(tmp_path) == {
        "page/index.html": [
            "https://cdn.example/x.css",
            "//cdn.example/x.js",
            "https://cdn.example/bg.png",
            "https://fonts.example/f.css",
        ]
    }
    assert diagrams(tmp_path) == (1, 0)


def test_one_mermaidx_pin_for_the_template_and_the_bakes(baked: BakeCache) -> None:
    pin = f"mermaidx=={OPTIONS['_versions']['mermaidx']}"  # type: ignore[index]
    extra = tomllib.loads((TEMPLATE_DIR / "pyproject.toml").read_text())["project"]["optional-dependencies"]["test"]
    dev = tomllib.loads((baked({}) / "pyproject.toml").read_text())["dependency-groups"]["dev"]
    assert pin in extra and pin in dev


def test_the_template_site_loads_nothing_from_the_internet(tmp_path: Path) -> None:
    mkdocs_build(TEMPLATE_DIR / "mkdocs.yml", tmp_path / "site")
    assert_offline(tmp_path / "site", TEMPLATE_DIR / "docs")


@pytest.mark.generated
@pytest.mark.xdist_group("docs")
def test_a_baked_handbook_loads_nothing_from_the_internet(baked: BakeCache, tmp_path: Path) -> None:
    root = baked({})
    mkdocs_build(root / "mkdocs.yml", tmp_path / "site")
    assert_offline(tmp_path / "site", root / "docs")


# plots_page.py's rule for a chart's element id (its name, every character but a letter, digit or dash made '_').
NOT_AN_ID = re.compile(r"[^A-Za-z0-9-]")
SCHEMA_MAJOR = re.compile(r"/vega-lite/v(\d+)[.\w]*\.json")


def declared_plots(root: Path, env: Mapping[str, str]) -> dict[str, bool]:
    """Element id -> whether the last run wrote its data, for each plot dvc.yaml declares, as DVC itself resolves it
    (`dvc plots show --json`: a plot whose data file is missing is among its errors)."""
    command = ["uv", "run", "--no-sync", "dvc", "plots", "show", "--json"]
    shown = json.loads(subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, check=True).stdout)
    missing = {error["name"] for error in shown.get("errors", [])}
    return {NOT_AN_ID.sub("_", name): name not in missing for name in shown["data"]}


@pytest.mark.generated
@pytest.mark.xdist_group("service")  # the trained bake of tests/service_project.py, shared with the service tests
def test_the_plots_page_draws_exactly_the_plots_with_data_once_offline(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Every declared plot whose data the run wrote is drawn once; the other task's plots are not drawn at all."""
    project = trained_project(tmp_path_factory)
    plots = declared_plots(project.root, project.env)
    drawable = {element for element, written in plots.items() if written}
    assert drawable, f"make repro wrote the data of none of the declared plots {sorted(plots)}"
    assert drawable != set(plots), "the run wrote the data of both tasks' plots"

    run("make plots", project.root, project.env)
    page = project.root / "dvc_plots"
    html = (page / "index.html").read_text(encoding="utf-8")
    assert external_loads(page) == {}, "the plots page loads files from the internet"
    parser = _Loads()
    parser.feed(html)
    assert parser.urls == ["vega.js"], "the page loads something besides the vega.js beside it (an image?)"
    bundle = (page / "vega.js").read_text(encoding="utf-8")
    assert "window.vegaEmbed=" in bundle.replace(" ", ""), "vega.js does not define vegaEmbed"
    # The bundle's Vega-Lite (named in its first line) has the major version of every chart's $schema.
    bundled = re.search(r"Vega-Lite (\d+)\.", bundle.partition("\n")[0])
    assert bundled, bundle[:200]
    assert set(SCHEMA_MAJOR.findall(html)) == {bundled.group(1)}
    drawn = {element: html.count(f'id="{element}"') for element in plots}
    assert drawn == {element: int(element in drawable) for element in plots}, "each plot with data once, no other"


def drawn_dom(page: Path, browser: str) -> str:
    """The page's DOM after headless Chromium ran its scripts, with every network request sent to a dead proxy."""
    command = [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--proxy-server=127.0.0.1:9",
        "--virtual-time-budget=15000", "--dump-dom", page.as_uri(),
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout


def chart_sections(dom: str, elements: set[str]) -> dict[str, str]:
    """Each chart element's DOM, up to the next chart element."""
    starts = sorted((dom.index(f'id="{element}"'), element) for element in elements)
    ends = [start for start, _ in starts[1:]] + [len(dom)]
    return {element: dom[start:end] for (start, element), end in zip(starts, ends, strict=True)}


@pytest.mark.generated
@pytest.mark.xdist_group("service")
def test_a_browser_draws_every_chart_of_the_plots_page_offline(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Not only the page's structure: Chromium, with no network, runs vega.js and draws an SVG for each chart."""
    browser = debian_tool("chromium", "chromium")
    project = trained_project(tmp_path_factory)
    run("make plots", project.root, project.env)
    charts = {element for element, written in declared_plots(project.root, project.env).items() if written}
    assert charts, "make repro wrote the data of no Vega chart"
    dom = drawn_dom(project.root / "dvc_plots" / "index.html", browser)
    undrawn = [element for element, section in chart_sections(dom, charts).items() if 'class="marks"' not in section]
    assert not undrawn, f"charts the browser did not draw: {undrawn}"
    assert "needs vega.js" not in dom.partition("<body")[2]


def test_the_drawn_check_sees_a_chart_the_browser_could_not_draw(tmp_path: Path) -> None:
    """The control: without vega.js the page's fallback writes its message and no SVG, and the check says so."""
    browser = debian_tool("chromium", "chromium")
    template = (TEMPLATE_DIR / "{{cookiecutter.project_slug}}" / "pipelines" / "plots" / "page.html").read_text()
    spec = '{"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "mark": "bar", "data": {"values": []}}'
    chart = f'<div id="chart"><script>vegaEmbed("#chart", {spec});</script></div>'
    (tmp_path / "index.html").write_text(template.replace("{plot_divs}", chart), encoding="utf-8")
    dom = drawn_dom(tmp_path / "index.html", browser)
    assert 'class="marks"' not in chart_sections(dom, {"chart"})["chart"]
    assert "needs vega.js" in dom.partition("<body")[2]


@pytest.mark.generated
@pytest.mark.xdist_group("service")
def test_dvcs_own_page_is_what_the_check_catches(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    """The control: DVC's page (a template with its scripts placeholder) loads its charting scripts from outside."""
    project = trained_project(tmp_path_factory)
    template = tmp_path / "dvc-page.html"
    template.write_text("<html><head>{scripts}</head><body>{plot_divs}</body></html>", encoding="utf-8")
    out = tmp_path / "page"
    run(f".venv/bin/dvc plots show --html-template {template} --out {out}", project.root, project.env)
    loads = external_loads(out)
    assert list(loads) == ["index.html"] and len(loads["index.html"]) >= 3, loads
