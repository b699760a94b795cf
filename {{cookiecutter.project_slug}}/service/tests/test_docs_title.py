"""Service (ML Engineers): the docs page shows the API's title as text, whatever the project's name holds.

The title carries the project name, free text typed at bake time: quotes, `<b>`, even `</title>`.
On the HTML page it must stay text (escaped), in the OpenAPI document it must stay itself (JSON).
"""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }}_service import app as service_app
from {{ cookiecutter.package_name }}_service.model import OnnxModel
from {{ cookiecutter.package_name }}_service.settings import Settings

HOSTILE_NAME = 'Seabird "Census" Forecasting\\Lab </title><script>alert(1)</script> & <b>X</b>'


@pytest.fixture
def client(settings: Settings, onnx_model: OnnxModel, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    """An app whose title holds markup, as a bake with that project name would have (TITLE is read at build)."""
    monkeypatch.setattr(service_app, "TITLE", f"{HOSTILE_NAME} model API")
    return TestClient(service_app.create_app(settings, model=onnx_model))


def test_the_docs_page_title_is_the_escaped_text(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    (title,) = re.findall(r"<title>(.*?)</title>", page.text, re.DOTALL)
    assert html.unescape(title) == f"{HOSTILE_NAME} model API - Swagger UI"
    assert html.escape(HOSTILE_NAME) in title
    # Nothing of the name became markup: no script of its own, no bold, one title element.
    assert "<script>alert(1)" not in page.text
    assert "<b>" not in page.text
    assert page.text.count("</title>") == 1


def test_the_openapi_document_keeps_the_raw_title(client: TestClient) -> None:
    document = client.get("/openapi.json")
    assert document.status_code == 200
    assert document.json()["info"]["title"] == f"{HOSTILE_NAME} model API"
    assert "&lt;" not in document.text  # JSON escaping only, never HTML's
