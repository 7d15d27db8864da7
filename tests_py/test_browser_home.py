"""The landing page in a real browser (headless Chromium through Playwright)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from webui.testing import ServerProcess

pytestmark = pytest.mark.browser


def test_home_page_renders_with_the_stylesheet(
    page: Page, server: ServerProcess, tmp_path: Path
) -> None:
    page.goto(server.base_url + "/")
    expect(page.locator("h1")).to_have_text("pgwarden")
    expect(page.locator("a.brand")).to_be_visible()
    background = page.locator("header.topbar").evaluate(
        "el => getComputedStyle(el).backgroundColor"
    )
    assert background in ("rgb(31, 42, 55)", "rgb(11, 17, 27)")  # light or dark chrome
    page.click("text=Health")
    expect(page.locator("body")).to_contain_text('"status": "ok"')
    page.screenshot(path=str(tmp_path / "home.png"))


def test_home_links_reach_the_rest_api_and_its_docs(page: Page, server: ServerProcess) -> None:
    page.goto(server.base_url + "/")
    page.click("text=API docs")
    expect(page.locator("#swagger-ui")).to_be_visible()
    page.goto(server.base_url + "/")
    with page.expect_response(lambda r: r.url.endswith("/rest/v1/")) as info:
        page.click("text=REST API")
    assert info.value.status == 200
    assert info.value.json()["openapi"].startswith("3.1")
