"""Docs (MLOps): mkdocs hook that draws each mermaid diagram as an inline SVG when the site is built, so pages
need no script and no network (mermaidx runs mermaid.js in an embedded engine: no browser, no Node.js).
"""

from __future__ import annotations

import hashlib
import html
import re
from functools import cache
from typing import Any

import mermaidx

# pymdownx.superfences (mkdocs.yml) turns a ```mermaid fence into this block, source HTML-escaped.
MERMAID_BLOCK = re.compile(r'<pre class="mermaid"><code>(?P<source>.*?)</code></pre>', re.DOTALL)
# mermaid names every SVG "my-svg" and scopes its <style> and markers by that id: each diagram gets its own.
SVG_ID = "my-svg"


@cache
def render(source: str) -> str:
    """The diagram as an SVG element whose id (and everything scoped by it) is unique to its source."""
    svg: str = mermaidx.render(source).svg()
    unique = "mermaid-" + hashlib.sha256(source.encode()).hexdigest()[:12]
    return svg.replace(SVG_ID, unique)


def on_page_content(html_text: str, **_: Any) -> str:
    """Replace each mermaid block of a page by its drawing (on a light card, legible in the dark scheme too)."""
    return MERMAID_BLOCK.sub(
        lambda block: (
            '<figure class="diagram" style="background:#fff;padding:0.5em;border-radius:0.2em">'
            f"{render(html.unescape(block['source']))}</figure>"
        ),
        html_text,
    )
