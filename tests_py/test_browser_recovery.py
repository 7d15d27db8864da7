"""Recovery, users and groups in Debian's Chromium (Playwright), on the library example with a
real SMTP server (aiosmtpd): forgot → the mail → reset → sign in; an administrator resets a
user in temp_pw mode and that user is forced to change the password; lock → the user cannot
sign in → unlock; the re-auth wall and its redirect back; the group permission matrix changes
what a staff account may do; axe-core on every new page type in light and dark (zero serious
or critical violations). Docs: docs/recovery.md, docs/admin.md."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from admin_support import PASSWORD, admin_server, load_library
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from webui.testing import ServerProcess
from webui.testing.auth import sql
from webui.testing.smtp import reset_link, smtp_env, smtp_server

pytestmark = pytest.mark.browser
USERS_ENV = {"PGRST_DB_SCHEMAS": "api,library,audit,auth"}
DOCS = Path(__file__).resolve().parents[1] / "docs" / "images"
NEW_PASSWORD = "a new passphrase"


@pytest.fixture
def library(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> str:
    load_library(db_url, monkeypatch)
    capsys.readouterr()
    sql(db_url, "update auth.config set ip_budget = 1000")
    return db_url


@pytest.fixture
def admin(library: str, tmp_path: Path) -> Iterator[ServerProcess]:
    with admin_server(library, tmp_path, env=USERS_ENV) as server:
        yield server


def _uid(db_url: str, tier: str) -> int:
    rows = sql(db_url, "select id from auth.users where email = %s", [f"{tier}@library.example"])
    return int(rows[0][0])


def _sign_in(page: Page, base: str, email: str, password: str = PASSWORD) -> None:
    page.goto(base + "/admin/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button:has-text('Sign in')")


def _reauth(page: Page) -> None:
    expect(page.locator("h1")).to_have_text("Confirm your password")
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Confirm')")


def test_forgot_mail_reset_sign_in(page: Page, library: str, tmp_path: Path) -> None:
    with (
        smtp_server() as (port, inbox),
        admin_server(library, tmp_path, env={**USERS_ENV, **smtp_env(port)}) as srv,
    ):
        page.goto(srv.base_url + "/admin/login")
        page.click("text=Forgot your password?")
        page.fill("#email", "staff@library.example")
        page.click("button:has-text('Send the link')")
        expect(page.locator("h1")).to_have_text("Check your email")
        expect(page.locator("main")).to_contain_text(
            "If that email address has an account, we just sent a sign-in link to it."
        )
        base, token = reset_link(inbox.wait_for(1)[0])
        page.goto(f"{base}/admin/reset-password/{token}")
        page.fill("#password1", NEW_PASSWORD)
        page.fill("#password2", NEW_PASSWORD)
        page.click("button:has-text('Set the new password')")
        expect(page.locator("h1")).to_have_text("Sign in")
        expect(page.locator(".flash")).to_have_text(
            "Your password has been updated. Sign in with your new password."
        )
        _sign_in(page, srv.base_url, "staff@library.example", NEW_PASSWORD)
        expect(page.locator("h1")).to_have_text("Site administration")
        page.goto(f"{base}/admin/reset-password/{token}")
        page.fill("#password1", NEW_PASSWORD)
        page.fill("#password2", NEW_PASSWORD)
        page.click("button:has-text('Set the new password')")
        expect(page.locator("h1")).to_have_text("This link is no longer valid")


def test_reauth_wall_temp_password_lock_unlock(
    page: Page, browser: Browser, admin: ServerProcess, library: str
) -> None:
    base, staff = admin.base_url, _uid(library, "staff")
    _sign_in(page, base, "administrator@library.example")
    page.click("nav.side >> text=Users")
    page.click("text=staff@library.example")
    page.get_by_role("link", name="Reset password", exact=True).click()
    _reauth(page)  # the wall, then back to the page that sent us there
    assert page.url == f"{base}/admin/users/{staff}/reset-password"
    page.check("input[value=temp_pw]")
    page.fill("#reason", "forgot it on holiday")
    page.click("button:has-text('Reset the password')")
    expect(page.locator("h1")).to_have_text("Temporary password")
    temporary = page.input_value("#temp")
    assert len(temporary) == 16

    user = browser.new_context().new_page()
    _sign_in(user, base, "staff@library.example", temporary)
    expect(user.locator("h1")).to_have_text("Change your password")
    user.goto(base + "/admin/loans")
    expect(user.locator("h1")).to_have_text("Change your password")  # held there
    user.fill("#current_password", temporary)
    user.fill("#new_password", NEW_PASSWORD)
    user.fill("#new_password_again", NEW_PASSWORD)
    user.click("button:has-text('Change password')")
    expect(user.locator("h1")).to_have_text("Site administration")

    page.goto(f"{base}/admin/users/{staff}")
    page.get_by_role("link", name="Lock", exact=True).click()
    page.select_option("#duration", "1h")
    page.fill("#reason", "suspicious sign-ins")
    page.click("button:has-text('Lock the account')")
    expect(page.locator(".flash")).to_contain_text("Account locked until")
    user.goto(base + "/admin/loans")
    expect(user.locator("h1")).to_have_text("Sign in")  # the lock ended the session
    _sign_in(user, base, "staff@library.example", NEW_PASSWORD)
    expect(user.locator("#login-error")).to_have_text("Invalid email or password.")
    page.get_by_role("link", name="Unlock", exact=True).click()
    page.fill("#reason", "verified by phone")
    page.click("button:has-text('Unlock the account')")
    expect(page.locator(".flash")).to_contain_text("Account unlocked.")
    _sign_in(user, base, "staff@library.example", NEW_PASSWORD)
    expect(user.locator("h1")).to_have_text("Site administration")
    page.goto(f"{base}/admin/users/{staff}?tab=history")
    expect(page.locator("table")).to_contain_text("suspicious sign-ins")


def test_group_matrix_changes_what_staff_may_do(
    page: Page, browser: Browser, admin: ServerProcess, library: str
) -> None:
    base, staff = admin.base_url, _uid(library, "staff")
    item = int(
        sql(
            library,
            "select i.id from library.items i"
            " where not exists (select from library.loans l where l.item_id = i.id)"
            " order by i.id limit 1",
        )[0][0]
    )
    clerk = browser.new_context().new_page()
    _sign_in(clerk, base, "staff@library.example")
    clerk.goto(f"{base}/admin/items/{item}/delete")
    clerk.click("button:has-text('Yes, delete')")
    expect(clerk.locator("main")).to_contain_text("you may delete")  # RLS: not yet

    _sign_in(page, base, "administrator@library.example")
    page.goto(base + "/admin/groups")
    expect(page.locator("table")).to_contain_text("editor")
    page.click("a:has-text('Add group')")
    page.fill("#f-name", "weeders")
    page.fill("#f-description", "Withdraw old stock")
    page.check("#p-items\\.view")
    page.check("#p-items\\.delete")
    page.click("button:has-text('Save')")
    expect(page.locator(".flash")).to_contain_text("Group weeders was added.")
    expect(page.locator("#p-items\\.delete")).to_be_checked()
    DOCS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS / "admin-group-matrix-light.png"), full_page=True)
    page.goto(f"{base}/admin/users/{staff}?tab=groups")
    page.check("label:has-text('weeders') input")
    page.click("button:has-text('Save groups')")
    expect(page.locator(".flash")).to_contain_text("Groups saved.")
    page.goto(f"{base}/admin/users/{staff}?tab=permissions")
    expect(page.locator("table")).to_contain_text("weeders")

    clerk.goto(f"{base}/admin/items/{item}/delete")
    clerk.click("button:has-text('Yes, delete')")
    expect(clerk.locator(".flash")).to_contain_text("was deleted")


def _serious(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_recovery_users_and_groups_pages_pass_axe(
    browser: Browser, admin: ServerProcess, library: str, scheme: str
) -> None:
    base, staff = admin.base_url, _uid(library, "staff")
    editor = int(sql(library, "select id from auth.groups where name = 'editor'")[0][0])
    context = browser.new_context(color_scheme=scheme)  # type: ignore[arg-type]
    page = context.new_page()
    found: dict[str, list[str]] = {}
    for path in (
        "/admin/login",
        "/admin/forgot-password",
        "/admin/forgot-password/sent",
        "/admin/reset-password/" + "a" * 43,
        "/admin/reset-password/" + "y" * 300,
    ):
        page.goto(base + path)
        found[path] = _serious(page)
    _sign_in(page, base, "administrator@library.example")
    page.goto(f"{base}/admin/reauth?return_to=/admin/users")
    found["reauth"] = _serious(page)
    _reauth(page)
    pages = [
        "/admin/users",
        "/admin/users?tier=staff&locked=no",
        *(f"/admin/users/{staff}?tab={t}" for t in ("profile", "sessions", "groups")),
        *(f"/admin/users/{staff}?tab={t}" for t in ("permissions", "history")),
        "/admin/users/new",
        f"/admin/users/{staff}/edit",
        f"/admin/users/{staff}/delete",
        *(f"/admin/users/{staff}/{a}" for a in ("reset-password", "lock", "unlock")),
        f"/admin/users/{staff}/revoke-sessions",
        "/admin/groups",
        "/admin/groups/new",
        f"/admin/groups/{editor}/edit",
        f"/admin/groups/{editor}/delete",
    ]
    for path in pages:
        page.goto(base + path)
        found[path] = _serious(page)
    page.goto(f"{base}/admin/users/{staff}/reset-password")
    page.check("input[value=temp_pw]")
    page.fill("#reason", "axe checks this page")
    page.click("button:has-text('Reset the password')")
    found["temporary password"] = _serious(page)
    if scheme == "dark":
        page.goto(f"{base}/admin/users/{staff}?tab=permissions")
        DOCS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS / "admin-user-permissions-dark.png"))
    context.close()
    assert {k: v for k, v in found.items() if v} == {}
