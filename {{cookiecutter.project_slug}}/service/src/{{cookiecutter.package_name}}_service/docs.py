"""Service (ML Engineers): the offline docs page — Swagger UI from the installed assets, its title HTML-escaped."""

from __future__ import annotations

import html

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.responses import HTMLResponse

DOCS_URL = "/docs"


def install_docs(app: FastAPI, assets: str) -> None:
    """Serve Swagger UI at /docs with the assets under `assets` (fastapi-offline's files).

    fastapi-offline's own page puts the title, free text typed at bake time, into `<title>` unescaped.
    """

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=html.escape(f"{app.title} - Swagger UI"),
            # The service's schemes are API keys: no OAuth2 flow, so no redirect page.
            oauth2_redirect_url=None,
            swagger_js_url=f"{root}{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{assets}/swagger-ui.css",
            swagger_favicon_url=f"{root}{assets}/favicon.png",
            swagger_ui_parameters=app.swagger_ui_parameters,
        )
