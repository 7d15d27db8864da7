"""The second factor's admin pages without JavaScript, over real HTTP against a real `pgwarden
serve` and PostgreSQL (docs/recovery-mfa.md): enrol (the password re-auth inside the form, the
secret shown as QR and text, confirmed with a code computed from it, 8 backup codes shown once),
sign-in through /admin/mfa/verify (a pending session reaches only the step, its sessions and
sign-out), a backup code used once, regeneration, disabling with the password and a code; the
PGWARDEN_MFA policy and its interstitial; every event in the audit, never a code or a secret."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyotp
import pytest
from admin_support import Browserless

from webui.auth.config import MfaPolicy
from webui.core.settings import SettingsError
from webui.testing import ServerProcess, running_server
from webui.testing.auth import create_user, sql

PASSWORD = "correct horse battery"
EMAIL = "pages@example.com"
_CODE = re.compile(r"<li><code>([A-Z0-9]{4}-[A-Z0-9]{4})</code></li>")
_SECRET = re.compile(r'data-secret="([A-Z2-7]+)"')


@pytest.fixture
def staff(db_url: str) -> int:
    return create_user(db_url, EMAIL, PASSWORD, "staff")


@pytest.fixture
def required(db_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    with running_server(db_url, tmp_path, env={"PGWARDEN_MFA": "required:staff"}) as process:
        yield process


def totp(secret: str, offset_steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + offset_steps * 30)


def sign_in(base_url: str, email: str = EMAIL) -> Browserless:
    client = Browserless(base_url)
    reply = client.login(email, PASSWORD)
    assert reply.status_code == 303, reply.text
    return client


def enrol(client: Browserless) -> tuple[str, list[str]]:
    page = client.get("/admin/account/mfa")
    assert page.status_code == 200
    assert 'name="password"' in page.text, "not elevated yet: the form asks for the password"
    wrong = client.post("/admin/account/mfa/enrol", {"password": "not my password"})
    assert wrong.status_code == 400 and "The password is wrong." in wrong.text
    reply = client.post("/admin/account/mfa/enrol", {"password": PASSWORD})
    assert reply.status_code == 303
    page = client.get("/admin/account/mfa")
    assert "<svg" in page.text and 'role="img"' in page.text, "the QR code, inline"
    match = _SECRET.search(page.text)
    assert match, "the key is shown as text too"
    secret = match.group(1)
    bad = client.post("/admin/account/mfa/confirm", {"code": "000000"})
    assert bad.status_code == 401 and "Invalid or expired code." in bad.text
    done = client.post("/admin/account/mfa/confirm", {"code": totp(secret)})
    assert done.status_code == 200, done.text
    codes = _CODE.findall(done.text)
    assert len(codes) == 8 and "only time they are shown" in done.text
    assert done.headers["cache-control"] == "no-store"
    return secret, codes


def sign_out(client: Browserless) -> None:
    client.get("/admin/account/sessions")  # a form token of the current (rotated) session
    assert client.post("/admin/logout", {}).status_code == 303


def verify(client: Browserless, code: str, expect: int = 303) -> str:
    client.get("/admin/mfa/verify")
    reply = client.post("/admin/mfa/verify", {"code": code, "next": "/admin/account/sessions"})
    assert reply.status_code == expect, reply.text
    return reply.headers.get("location", "")


def test_enrol_verify_backup_code_regenerate_disable(
    server: ServerProcess, staff: int, db_url: str
) -> None:
    client = sign_in(server.base_url)
    secret, codes = enrol(client)
    page = client.get("/admin/account/mfa")
    assert page.status_code == 200 and "8 of 8 backup codes left" in page.text
    assert not _CODE.search(page.text), "the codes are never shown again"

    # signing in again: the session owes its second factor and reaches nothing else
    sign_out(client)
    client = sign_in(server.base_url)
    for path in ("/admin", "/admin/account/mfa", "/admin/password_change", "/admin/history"):
        reply = client.get(path)
        assert reply.status_code == 303, path
        assert reply.headers["location"].startswith("/admin/mfa/verify"), path
    assert client.get("/admin/account/sessions").status_code == 200
    assert client.http.get("/auth/me").status_code == 403
    assert verify(client, "123456", 401) == ""
    assert verify(client, "x" * 5000, 401) == "", "an odd code is the same uniform answer"
    assert verify(client, totp(secret, 1)) == "/admin/account/sessions"
    assert client.get("/admin/account/mfa").status_code == 200

    # a backup code signs in once
    sign_out(client)
    client = sign_in(server.base_url)
    verify(client, codes[0].lower())
    sign_out(client)
    client = sign_in(server.base_url)
    assert verify(client, codes[0], 401) == "", "a used backup code is refused"
    verify(client, codes[1])
    assert "6 of 8 backup codes left" in client.get("/admin/account/mfa").text

    # regenerate: 8 new codes once, every old one dead
    regenerated = client.post("/admin/account/mfa/backup-codes", {"password": PASSWORD})
    assert regenerated.status_code == 200
    fresh = _CODE.findall(regenerated.text)
    assert len(fresh) == 8 and not set(fresh) & set(codes)

    # disabling needs the password and a code
    other = sign_in(server.base_url)
    verify(other, fresh[0])
    reply = client.post("/admin/account/mfa/disable", {"password": PASSWORD, "code": codes[2]})
    assert reply.status_code == 401 and "Invalid or expired code." in reply.text
    reply = client.post("/admin/account/mfa/disable", {"password": PASSWORD, "code": fresh[1]})
    assert reply.status_code == 303
    assert sql(db_url, "select count(*) from auth.mfa_secrets where user_id = %s", [staff]) == [
        (0,)
    ]
    assert other.get("/admin/account/sessions").status_code == 303, "the other session ended"
    assert client.get("/admin/account/sessions").status_code == 200, "this one stays"

    events = [
        row[0]
        for row in sql(
            db_url,
            "select event from audit.events where target_id = %s and event like any"
            " (array['mfa%%', 'backup%%']) order by id",
            [str(staff)],
        )
    ]
    assert events == [
        "mfa_enabled",
        "mfa_code_consumed",
        "mfa_code_consumed",
        "mfa_code_consumed",
        "backup_codes_regenerated",
        "mfa_code_consumed",
        "mfa_code_consumed",
        "mfa_disabled",
    ]
    dump = str(sql(db_url, "select metadata::text from audit.events"))
    assert secret not in dump and not any(c in dump for c in codes + fresh)


def test_a_forged_form_changes_nothing(server: ServerProcess, staff: int, db_url: str) -> None:
    client = sign_in(server.base_url)
    client.get("/admin/account/mfa")
    reply = client.post("/admin/account/mfa/enrol", {"password": PASSWORD}, token="forged")
    assert reply.status_code == 403
    assert sql(db_url, "select count(*) from auth.mfa_secrets") == [(0,)]


def test_required_policy_makes_the_tier_enrol_first(
    required: ServerProcess, staff: int, db_url: str
) -> None:
    create_user(db_url, "sup@example.com", PASSWORD, "supervisor")
    supervisor = sign_in(required.base_url, "sup@example.com")
    assert supervisor.get("/admin/account/sessions").status_code == 200
    assert supervisor.get("/admin/password_change").status_code == 200, "other tiers are free"

    client = sign_in(required.base_url)
    for path in ("/admin", "/admin/password_change", "/admin/history", "/admin/mfa/verify"):
        reply = client.get(path)
        assert (reply.status_code, reply.headers.get("location")) == (303, "/admin/account/mfa")
    page = client.get("/admin/account/mfa")
    assert "requires two-step sign-in" in page.text
    assert client.get("/admin/account/sessions").status_code == 200
    me = client.http.get("/auth/me")
    assert (me.status_code, me.json()["code"]) == (403, "mfa_enrolment_required")
    # the REST dialect asks SQL the same question: no data access before the enrolment
    bearer = {
        "Authorization": f"Bearer {client.http.cookies['pgw_session']}",
        "Accept-Profile": "api",
    }
    rest = httpx.get(f"{required.base_url}/rest/v1/rpc/my_permissions", headers=bearer)
    assert (rest.status_code, rest.json()["code"]) == (401, "PGRST301")
    other = {
        "Authorization": f"Bearer {supervisor.http.cookies['pgw_session']}",
        "Accept-Profile": "api",
    }
    assert httpx.get(f"{required.base_url}/rest/v1/rpc/my_permissions", headers=other).is_success
    enrol(client)
    assert client.get("/admin/password_change").status_code == 200, "enrolled: free to go"
    assert client.http.get("/auth/me").status_code == 200
    bearer = {
        "Authorization": f"Bearer {client.http.cookies['pgw_session']}",
        "Accept-Profile": "api",
    }  # rotated
    rest = httpx.get(f"{required.base_url}/rest/v1/rpc/my_permissions", headers=bearer)
    assert rest.status_code == 200, rest.text


def test_disabled_policy_offers_no_enrolment(db_url: str, tmp_path: Path, staff: int) -> None:
    with running_server(db_url, tmp_path, env={"PGWARDEN_MFA": "disabled"}) as process:
        client = sign_in(process.base_url)
        page = client.get("/admin/account/mfa")
        assert "PGWARDEN_MFA=disabled" in page.text
        reply = client.post("/admin/account/mfa/enrol", {"password": PASSWORD})
        assert reply.status_code == 403
    assert sql(db_url, "select count(*) from auth.mfa_secrets") == [(0,)]


@pytest.mark.parametrize(
    ("value", "tiers"),
    [
        ("", ()),
        ("optional", ()),
        ("disabled", ()),
        ("required", ("user", "staff", "supervisor", "administrator", "developer")),
        ("required:administrator, developer", ("administrator", "developer")),
        ("Required:Staff", ("staff",)),
    ],
)
def test_policy_parsing(value: str, tiers: tuple[str, ...]) -> None:
    assert MfaPolicy.parse(value).required_tiers == tiers


@pytest.mark.parametrize("value", ["always", "required:", "required:root", "optional:staff"])
def test_a_bad_policy_is_refused_with_the_choices(value: str) -> None:
    with pytest.raises(SettingsError, match="disabled, optional, required or required:<tiers>"):
        MfaPolicy.parse(value)
