"""Two-step sign-in in Debian's Chromium (Playwright), as a user does it: enrol with the TOTP
computed from the key shown on the page → sign out → sign in → verify → sign in again with a
backup code → regenerate → disable; the required-policy interstitial; axe-core on every MFA page
in both themes with zero serious or critical violations; screenshots for docs/recovery-mfa.md."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from webui.testing import ServerProcess, running_server
from webui.testing.auth import create_user, sql

pytestmark = pytest.mark.browser
DOCS = Path(__file__).resolve().parents[1] / "docs" / "images"
PASSWORD = "correct horse battery"
EMAIL = "browser-mfa@example.com"


@pytest.fixture
def staff(db_url: str) -> int:
    return create_user(db_url, EMAIL, PASSWORD, "staff")


@pytest.fixture
def required(db_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    with running_server(db_url, tmp_path, env={"PGWARDEN_MFA": "required:staff"}) as process:
        yield process


def _serious(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]


def _sign_in(page: Page, base: str, then: str = "/admin/password_change") -> None:
    page.goto(f"{base}/admin/login?next={then}")
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")


def _sign_out(page: Page) -> None:
    page.click("button:has-text('Sign out')")
    expect(page.locator(".flash")).to_contain_text("signed out")


def _code(secret: str, offset: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + offset * 30)


def _enrol(
    page: Page, base: str, found: dict[str, list[str]] | None = None, shot: bool = False
) -> tuple[str, list[str]]:
    page.goto(base + "/admin/account/mfa")
    if found is not None:
        found["account (off)"] = _serious(page)
    page.fill("#enrol-password", PASSWORD)
    page.click("button:has-text('Set up two-step sign-in')")
    expect(page.locator(".qr svg")).to_be_visible()
    if found is not None:
        found["account (enrolling)"] = _serious(page)
    if shot:
        DOCS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS / "admin-mfa-enrol.png"))
    secret = page.locator("#mfa-secret").get_attribute("data-secret") or ""
    shown = page.locator("#mfa-secret").inner_text().replace(" ", "")
    assert shown == secret and len(secret) == 32, "the key typed by hand is the key"
    page.fill("#code", _code(secret))
    page.click("button:has-text('Turn on two-step sign-in')")
    expect(page.locator("h1")).to_have_text("Two-step sign-in is on")
    codes = page.locator(".codes code").all_inner_texts()
    assert len(codes) == 8
    if found is not None:
        found["backup codes"] = _serious(page)
    page.click("text=I have saved them")
    expect(page.locator("#mfa-on")).to_contain_text("On")
    return secret, codes


def test_two_step_sign_in_end_to_end(
    page: Page, server: ServerProcess, staff: int, db_url: str
) -> None:
    base = server.base_url
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _sign_in(page, base)
    secret, codes = _enrol(page, base, shot=True)
    DOCS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS / "admin-mfa-on.png"))

    # sign out → sign in → the verify step, a wrong code first
    _sign_out(page)
    _sign_in(page, base)
    expect(page).to_have_url(base + "/admin/mfa/verify?next=/admin/password_change")
    page.fill("#code", "000000")
    page.click("button:has-text('Verify')")
    expect(page.locator("#code-error")).to_have_text("Invalid or expired code.")
    page.fill("#code", _code(secret, 1))
    page.click("button:has-text('Verify')")
    expect(page.locator("h1")).to_have_text("Change your password")

    # sign in again with a backup code
    _sign_out(page)
    _sign_in(page, base)
    page.fill("#code", codes[0])
    page.click("button:has-text('Verify')")
    expect(page.locator("h1")).to_have_text("Change your password")
    page.goto(base + "/admin/account/mfa")
    expect(page.locator("#mfa-on")).to_be_visible()
    expect(page.locator("main")).to_contain_text("7 of 8 backup codes left")

    # regenerate (the password again: this session is new, so not elevated)
    page.fill("#regen-password", PASSWORD)
    page.click("button:has-text('Make new backup codes')")
    expect(page.locator("h1")).to_have_text("New backup codes")
    fresh = page.locator(".codes code").all_inner_texts()
    assert len(fresh) == 8 and not set(fresh) & set(codes)
    page.click("text=I have saved them")

    # disable: password (already elevated, so not asked) and a code
    expect(page.locator("#disable-password")).to_have_count(0)
    page.fill("#disable-code", fresh[0])
    page.click("button:has-text('Turn off two-step sign-in')")
    expect(page.locator(".flash")).to_contain_text("Two-step sign-in is off")
    expect(page.locator("#off-h")).to_be_visible()
    assert sql(db_url, "select count(*) from auth.mfa_secrets") == [(0,)]
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors


def test_required_policy_interstitial(page: Page, required: ServerProcess, staff: int) -> None:
    base = required.base_url
    _sign_in(page, base, then="/admin")
    expect(page).to_have_url(base + "/admin/account/mfa")
    expect(page.locator(".warning")).to_contain_text("requires two-step sign-in")
    page.goto(base + "/admin/password_change")
    expect(page).to_have_url(base + "/admin/account/mfa")
    page.screenshot(path=str(DOCS / "admin-mfa-required.png"))
    _enrol(page, base)
    page.goto(base + "/admin/password_change")
    expect(page.locator("h1")).to_have_text("Change your password")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_mfa_page_passes_axe(
    browser: Browser, server: ServerProcess, staff: int, scheme: str
) -> None:
    context = browser.new_context(color_scheme=scheme)  # type: ignore[arg-type]
    page = context.new_page()
    found: dict[str, list[str]] = {}
    _sign_in(page, server.base_url)
    _enrol(page, server.base_url, found)
    found["account (on)"] = _serious(page)
    page.fill("#disable-password", PASSWORD)
    page.fill("#disable-code", "111111")
    page.click("button:has-text('Turn off two-step sign-in')")
    expect(page.locator("#disable-code-error")).to_be_visible()
    found["account (error)"] = _serious(page)
    page.click("button:has-text('Sign out')")
    _sign_in(page, server.base_url)
    found["verify"] = _serious(page)
    page.fill("#code", "000000")
    page.click("button:has-text('Verify')")
    expect(page.locator("#code-error")).to_be_visible()
    found["verify (error)"] = _serious(page)
    if scheme == "dark":
        page.screenshot(path=str(DOCS / "admin-mfa-verify-dark.png"))
    context.close()
    assert {k: v for k, v in found.items() if v} == {}


def test_mfa_pages_work_without_javascript_at_375px(
    browser: Browser, server: ServerProcess, staff: int
) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740}, java_script_enabled=False)
    page = context.new_page()
    _sign_in(page, server.base_url)
    _enrol(page, server.base_url)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 376, width
    context.close()
