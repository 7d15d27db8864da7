"""The admin end to end in Debian's Chromium (Playwright): sign in, search, filter, sort, page,
add, edit, stale-edit refusal, delete with cascade preview, bulk action with partial failure,
CSV download, history diff and restore, session revoke, sign out; axe-core on every page type
in both themes with zero serious or critical violations; usable at 375 px; screenshots for
docs/admin.md."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from admin_support import PASSWORD, admin_server, load_library
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, expect

from webui.testing import ServerProcess
from webui.testing.auth import sql

pytestmark = pytest.mark.browser
DOCS = Path(__file__).resolve().parents[1] / "docs" / "images"


@pytest.fixture
def library(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> str:
    load_library(db_url, monkeypatch)
    capsys.readouterr()
    return db_url


@pytest.fixture
def admin(library: str, tmp_path: Path) -> Iterator[ServerProcess]:
    with admin_server(library, tmp_path) as server:
        yield server


def _sign_in(page: Page, base: str, tier: str) -> None:
    page.goto(base + "/admin/login")
    page.fill("#email", f"{tier}@library.example")
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")


def _watch_console(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def test_admin_end_to_end(page: Page, browser: Browser, admin: ServerProcess, library: str) -> None:
    base = admin.base_url
    errors = _watch_console(page)
    _sign_in(page, base, "administrator")
    expect(page.locator("h1")).to_have_text("Site administration")
    expect(page.locator("svg.spark")).to_be_visible()

    # search (the "/" key focuses it), highlighted matches, filter pills, clear all, sort, page
    page.goto(base + "/admin/items")
    page.keyboard.press("/")
    page.keyboard.type("garden")
    page.keyboard.press("Enter")
    expect(page.locator("table.rows mark").first).to_have_text("Garden")
    page.click(".filters a:has-text('dvd')")
    expect(page.locator(".pills")).to_contain_text("kind: dvd")
    page.click("text=Clear all")
    expect(page.locator(".pills")).to_have_count(0)
    page.click("thead th a:has-text('title')")
    expect(page.locator("thead th[aria-sort]")).to_have_attribute("aria-sort", "descending")
    page.click(".pager a:has-text('2')")
    expect(page.locator(".pager [aria-current=page]")).to_have_text("2")

    # add, then edit; a stale edit is refused with the changed fields shown
    page.goto(base + "/admin/branches/new")
    page.fill("#f-name", "Westend")
    page.fill("#f-address", "9 West Street")
    page.click("button:has-text('Save and continue editing')")
    expect(page.locator(".flash")).to_contain_text("“Westend” was added")
    new_id = int(page.url.rstrip("/").split("/")[-2])
    page.fill("#f-address", "10 West Street")
    sql(library, "update library.branches set address = '11 West Street' where id = %s", [new_id])
    page.click("button:has-text('Save')>>nth=0")
    expect(page.locator("#stale-h")).to_be_visible()
    expect(page.locator(".stale")).to_contain_text("11 West Street")
    expect(page.locator("#f-address")).to_have_value("10 West Street")
    page.click("button:has-text('Save')>>nth=0")
    expect(page.locator(".flash")).to_contain_text("was changed")

    # history with its field diff, and restore the earlier version
    page.goto(f"{base}/admin/branches/{new_id}/history")
    expect(page.locator(".history")).to_contain_text("10 West Street")
    page.locator("button:has-text('Restore this version')").last.click()
    expect(page.locator(".flash")).to_contain_text("Restored")
    assert sql(library, "select address from library.branches where id = %s", [new_id]) == [
        ("9 West Street",)
    ]

    # delete with the cascade preview
    sql(library, "insert into library.staff_branches (user_id, branch_id) values (1, %s)", [new_id])
    page.goto(f"{base}/admin/branches/{new_id}/delete")
    expect(page.locator(".related")).to_contain_text("1 staff branches will be deleted too")
    page.click("button:has-text('Yes, delete')")
    expect(page.locator(".flash")).to_contain_text("was deleted")

    # a bulk action with partial failure
    page.goto(base + "/admin/loans?o=id")
    for loan in ("1", "7", "10"):
        page.check(f"input[name=ids][value='{loan}']")
    page.select_option("#action", "mark_overdue")
    page.click(".bulkbar button:has-text('Go')")
    expect(page.locator("h1")).to_have_text("Are you sure?")
    page.click('button:has-text("Yes, I\'m sure")')
    expect(page.locator("#bulk-message")).to_have_text("Marked 1 of 3 loans overdue (2 skipped).")
    expect(page.locator("table")).to_contain_text("already returned — cannot be marked overdue")

    # CSV download
    page.goto(base + "/admin/loans")
    with page.expect_download() as download:
        page.click("text=Export CSV")
    lines = Path(download.value.path()).read_text().strip().split("\n")
    assert lines[0].startswith("id,") and len(lines) == 151

    # session revoke from another browser context, then sign out
    other = browser.new_context()
    second = other.new_page()
    _sign_in(second, base, "administrator")
    page.goto(base + "/admin/account/sessions")
    page.locator("button:has-text('Revoke')").first.click()
    expect(page.locator(".flash")).to_contain_text("revoked")
    second.goto(base + "/admin/loans")
    expect(second.locator("h1")).to_have_text("Sign in")
    other.close()
    page.click("button:has-text('Sign out')")
    expect(page.locator(".flash")).to_contain_text("signed out")
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors


def _pages(base: str) -> list[str]:
    return [
        "/admin",
        "/admin/loans",
        "/admin/loans?q=active&status=active",
        "/admin/items/new",
        "/admin/loans/3/edit",
        "/admin/patrons/1/edit",
        "/admin/branches/1/delete",
        "/admin/loans/3/history",
        "/admin/history",
        "/admin/account/sessions",
        "/admin/password_change",
        "/admin/nosuch",
        "/admin/items?q=zzzz",
    ]


def _serious(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_type_passes_axe(browser: Browser, admin: ServerProcess, scheme: str) -> None:
    context: BrowserContext = browser.new_context(color_scheme=scheme)  # type: ignore[arg-type]
    page = context.new_page()
    found: dict[str, list[str]] = {}
    page.goto(admin.base_url + "/admin/login")
    found["/admin/login"] = _serious(page)
    _sign_in(page, admin.base_url, "administrator")
    for path in _pages(admin.base_url):
        page.goto(admin.base_url + path)
        found[path] = _serious(page)
    page.goto(admin.base_url + "/admin/loans?o=id")
    page.check("input[name=ids][value='1']")
    page.click(".bulkbar button:has-text('Go')")
    found["bulk confirm"] = _serious(page)
    patron = browser.new_context(color_scheme=scheme).new_page()  # type: ignore[arg-type]
    _sign_in(patron, admin.base_url, "user")
    found["no admin access"] = _serious(patron)
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == ("rgb(243, 245, 248)" if scheme == "light" else "rgb(15, 22, 35)")
    context.close()
    assert {k: v for k, v in found.items() if v} == {}


def test_theme_toggle_is_remembered_and_screenshots(browser: Browser, admin: ServerProcess) -> None:
    context = browser.new_context(color_scheme="light", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    _sign_in(page, admin.base_url, "administrator")
    page.goto(admin.base_url + "/admin/loans")
    DOCS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS / "admin-changelist-light.png"))
    page.click("[data-theme-toggle]")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")  # remembered
    page.screenshot(path=str(DOCS / "admin-changelist-dark.png"))
    page.goto(admin.base_url + "/admin/loans/3/edit")
    page.screenshot(path=str(DOCS / "admin-form-dark.png"))
    context.close()


def test_usable_at_375px_and_without_javascript(browser: Browser, admin: ServerProcess) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740}, java_script_enabled=False)
    page = context.new_page()
    _sign_in(page, admin.base_url, "staff")
    for path in ("/admin", "/admin/loans", "/admin/loans/1/edit", "/admin/account/sessions"):
        page.goto(admin.base_url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 376, (path, width)
    page.goto(admin.base_url + "/admin/loans")
    page.fill("#q", "overdue")
    page.click("button:has-text('Search')")
    expect(page.locator("caption").first).to_contain_text("matching")
    page.keyboard.press("Tab")
    expect(page.locator(".skip")).to_be_focused()
    page.screenshot(path=str(DOCS / "admin-changelist-375.png"))
    context.close()
