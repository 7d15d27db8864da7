"""The recovery, users and groups pages of the admin over real HTTP (no JavaScript), against a
real `pgwarden serve` on the library example, a real PostgreSQL and a real SMTP server
(aiosmtpd). Docs: docs/recovery.md (pages) and docs/admin.md ("Users and groups").

- forgot → the mail → reset → sign in; the forgot answer is the same redirect for a known, an
  unknown and an inactive account; the reset page refuses a short password (the minimum is 10)
  and never signs in; a used or garbage link says "This link is no longer valid";
- the re-auth wall: an R2 page sends an unelevated administrator to /admin/reauth and back,
  and return_to cannot leave /admin;
- the R2 actions from the pages, with the database's refusals on the form;
- users: list filters and search, the tabs, new, edit (tier ceiling), delete, memberships;
- groups: the seeded three, the permission matrix changes what a staff account may do."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from admin_support import PASSWORD, Browserless, admin_server, load_library, signed_in, texts

from webui.testing import ServerProcess, running_server
from webui.testing.auth import Client, create_user, sql
from webui.testing.smtp import reset_link, smtp_env, smtp_server

USERS_ENV = {"PGRST_DB_SCHEMAS": "api,library,audit,auth"}
NEW_PASSWORD = "ten chars!"  # exactly the minimum


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
    return int(
        sql(db_url, "select id from auth.users where email = %s", [f"{tier}@library.example"])[0][0]
    )


def _count(db_url: str, statement: str, params: list[object] | None = None) -> int:
    return int(sql(db_url, statement, params)[0][0])


def _elevated(base_url: str, tier: str = "administrator") -> Browserless:
    client = signed_in(base_url, tier)
    client.get("/admin/reauth")
    assert (
        client.post("/admin/reauth", {"password": PASSWORD, "return_to": "/admin"}).status_code
        == 303
    )
    return client


def _flash(client: Browserless, location: str) -> str:
    return " ".join(
        texts(client.get(location).text, r'<div class="flash[^"]*" role="status">([^<]+)')
    )


# --- R1 ------------------------------------------------------------------------------------------


def test_forgot_mail_reset_then_sign_in_from_the_pages(library: str, tmp_path: Path) -> None:
    sql(
        library,
        "update auth.users set is_active = false where email = 'supervisor@library.example'",
    )
    with (
        smtp_server() as (port, inbox),
        admin_server(library, tmp_path, env={**USERS_ENV, **smtp_env(port)}) as srv,
    ):
        old = signed_in(srv.base_url, "staff")
        visitor = Browserless(srv.base_url)
        login = visitor.get("/admin/login")
        assert 'href="/admin/forgot-password">Forgot your password?' in login.text
        answers = []
        for email in (
            "staff@library.example",
            "nobody@library.example",
            "supervisor@library.example",
        ):
            assert visitor.get("/admin/forgot-password").status_code == 200
            reply = visitor.post("/admin/forgot-password", {"email": email})
            answers.append(
                (
                    reply.status_code,
                    reply.headers.get("location"),
                    reply.content,
                    reply.headers.get("set-cookie"),
                )
            )
        assert answers == [(303, "/admin/forgot-password/sent", b"", None)] * 3, answers
        sent = visitor.get("/admin/forgot-password/sent").text
        assert "If that email address has an account, we just sent a sign-in link to it." in sent
        assert "The link expires in 1 hour and can only be used once." in sent
        message = inbox.wait_for(1)[0]
        assert message["To"] == "staff@library.example" and len(inbox.messages) == 1
        base, token = reset_link(message)
        assert base == srv.base_url
        path = f"/admin/reset-password/{token}"
        page = visitor.get(path)
        assert page.status_code == 200 and page.headers["referrer-policy"] == "no-referrer"
        differ = visitor.post(path, {"password1": NEW_PASSWORD, "password2": "other one!"})
        assert differ.status_code == 400 and "The two passwords differ." in differ.text
        short = visitor.post(path, {"password1": "nine char", "password2": "nine char"})
        assert short.status_code == 400 and "at least 10 characters" in short.text
        done = visitor.post(path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
        assert done.status_code == 303, done.text
        assert done.headers["location"] == "/admin/login?password_reset=success"
        assert "pgw_session=" not in done.headers.get("set-cookie", ""), "no auto-login"
        assert "Your password has been updated. Sign in with your new password." in _flash(
            visitor, done.headers["location"]
        )
        assert old.get("/admin/loans").status_code == 303, "the reset ended every session"
        again = visitor.post(path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
        assert again.status_code == 400 and "This link is no longer valid" in again.text
        for garbage in ("garbage", "x" * 43, "%3Cscript%3E"):
            visitor.get(f"/admin/reset-password/{garbage}")
            bad = visitor.post(
                f"/admin/reset-password/{garbage}",
                {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
            )
            assert bad.status_code == 400 and "This link is no longer valid" in bad.text
        assert visitor.get("/admin/reset-password/" + "y" * 300).status_code == 400
        assert (
            Browserless(srv.base_url).login("staff@library.example", NEW_PASSWORD).status_code
            == 303
        )
    assert (
        _count(
            library, "select count(*) from audit.events where event = 'password_reset_self_consume'"
        )
        == 1
    )


# --- R2: the re-auth wall -----------------------------------------------------------------------


def test_the_reauth_wall_sends_there_and_back(admin: ServerProcess, library: str) -> None:
    staff = _uid(library, "staff")
    client = signed_in(admin.base_url, "administrator")
    page = f"/admin/users/{staff}/lock"
    wall = client.get(page)
    assert wall.status_code == 303
    assert wall.headers["location"].startswith("/admin/reauth?")
    assert parse_qs(urlsplit(wall.headers["location"]).query) == {"return_to": [page]}
    form = client.get(wall.headers["location"])
    assert form.status_code == 200 and f'name="return_to" value="{page}"' in form.text
    wrong = client.post("/admin/reauth", {"password": "not the password", "return_to": page})
    assert wrong.status_code == 403 and "The password is wrong." in wrong.text
    client.get(wall.headers["location"])
    back = client.post("/admin/reauth", {"password": PASSWORD, "return_to": page})
    assert back.status_code == 303 and back.headers["location"] == page
    assert client.get(page).status_code == 200, "elevated: the form is shown"
    for evil in (
        "//evil.example",
        "/\\evil.example",
        "%2F%2Fevil.example",
        "/%2F/evil",
        "https://evil.example/admin",
        "/administrator",
        "/admin/../x",
        "javascript:x",
    ):
        client.get("/admin/reauth")
        out = client.post("/admin/reauth", {"password": PASSWORD, "return_to": evil})
        assert out.headers["location"] == "/admin", evil
        assert (
            client.get(f"/admin/reauth?return_to={quote(evil, safe='')}").text.count(
                'name="return_to" value="/admin"'
            )
            == 1
        ), evil


def test_an_unelevated_post_changes_nothing(admin: ServerProcess, library: str) -> None:
    staff = _uid(library, "staff")
    client = signed_in(admin.base_url, "developer")
    client.get("/admin/users")
    posted = client.post(
        f"/admin/users/{staff}/lock", {"reason": "suspicious logins", "duration": "1h"}
    )
    assert posted.status_code == 303 and posted.headers["location"].startswith("/admin/reauth?")
    assert sql(library, "select locked_until from auth.users where id = %s", [staff]) == [(None,)]


# --- R2: the actions ----------------------------------------------------------------------------


def test_r2_actions_from_the_pages(admin: ServerProcess, library: str) -> None:
    staff, developer = _uid(library, "staff"), _uid(library, "developer")
    client = _elevated(admin.base_url)
    victim = signed_in(admin.base_url, "staff")
    client.get(f"/admin/users/{staff}/lock")
    short = client.post(f"/admin/users/{staff}/lock", {"reason": "because", "duration": "1h"})
    assert (
        short.status_code == 400 and "A reason of at least 8 characters is required." in short.text
    )
    locked = client.post(
        f"/admin/users/{staff}/lock", {"reason": "suspicious logins", "duration": "1h"}
    )
    assert locked.status_code == 303 and "Account locked until" in _flash(
        client, locked.headers["location"]
    )
    assert victim.get("/admin/loans").status_code == 303, "the lock ended the staff session"
    assert Browserless(admin.base_url).login("staff@library.example").status_code == 401
    assert (
        _count(
            library,
            "select count(*) from audit.events where event = 'account_locked' and target_id = %s",
            [str(staff)],
        )
        == 1
    )
    listed = client.get("/admin/users?locked=yes").text
    assert "staff@library.example" in listed and "developer@library.example" not in listed

    client.get(f"/admin/users/{staff}/unlock")
    unlocked = client.post(f"/admin/users/{staff}/unlock", {"reason": "verified by phone"})
    assert unlocked.status_code == 303
    assert Browserless(admin.base_url).login("staff@library.example").status_code == 303

    client.get(f"/admin/users/{staff}/reset-password")
    shown = client.post(
        f"/admin/users/{staff}/reset-password", {"reason": "lost it all", "mode": "temp_pw"}
    )
    assert shown.status_code == 200 and shown.headers["cache-control"] == "no-store"
    temporary = texts(shown.text, r'id="temp" type="text" readonly value="([^"]+)"')[0]
    assert len(temporary) == 16
    forced = Browserless(admin.base_url)
    assert forced.login("staff@library.example", temporary).status_code == 303
    assert forced.get("/admin/loans").headers["location"] == "/admin/password_change"
    assert forced.get("/admin/account/sessions").status_code == 200, "its sessions page"
    for held in ("/admin/reauth", f"/admin/users/{staff}", "/admin/account/sessions/x"):
        assert forced.get(held).headers["location"] == "/admin/password_change", held
    assert temporary not in admin.log()

    emailed = client.post(
        f"/admin/users/{staff}/reset-password", {"reason": "lost it again", "mode": "email"}
    )
    assert emailed.status_code == 303
    assert _count(library, "select count(*) from auth.mail_outbox") == 1

    client.get(f"/admin/users/{staff}/revoke-sessions")
    revoked = client.post(f"/admin/users/{staff}/revoke-sessions", {"reason": "laptop stolen"})
    assert revoked.status_code == 303 and "session(s) revoked" in _flash(
        client, revoked.headers["location"]
    )
    assert forced.get("/admin/password_change").status_code == 303, "signed out"

    client.get(f"/admin/users/{developer}/lock")
    above = client.post(
        f"/admin/users/{developer}/lock", {"reason": "not allowed", "duration": "1h"}
    )
    assert above.status_code == 403
    assert "You cannot modify users at or above your authority level." in above.text
    history = client.get(f"/admin/users/{staff}?tab=history").text
    for event in ("account_locked", "account_unlocked", "password_reset_by_other"):
        assert event in history
    assert "suspicious logins" in history, "the reason is shown from the event"


def test_only_administrators_and_developers_reach_users_and_groups(
    admin: ServerProcess, library: str
) -> None:
    for tier in ("staff", "supervisor"):
        client = signed_in(admin.base_url, tier)
        for path in ("/admin/users", "/admin/groups", f"/admin/users/{_uid(library, 'user')}/lock"):
            assert client.get(path).status_code == 403, (tier, path)
    assert Browserless(admin.base_url).get("/admin/users").status_code == 303


# --- users ---------------------------------------------------------------------------------------


def test_users_list_tabs_new_edit_delete(admin: ServerProcess, library: str) -> None:
    client = signed_in(admin.base_url, "administrator")
    staff = _uid(library, "staff")
    by_tier = client.get("/admin/users?tier=staff").text
    assert "staff@library.example" in by_tier and "supervisor@library.example" not in by_tier
    searched = client.get("/admin/users?q=develop").text
    assert "developer@library.example" in searched and "staff@library.example" not in searched
    assert client.get("/admin/users?tier=root").status_code == 400
    assert client.get("/admin/users?nosuch=1").status_code == 400
    for tab in ("profile", "sessions", "groups", "permissions", "history"):
        assert client.get(f"/admin/users/{staff}?tab={tab}").status_code == 200, tab
    assert client.get(f"/admin/users/{staff}?tab=secrets").status_code == 400
    assert client.get("/admin/users/999999").status_code == 404

    new_form = client.get("/admin/users/new").text
    assert 'value="administrator"' in new_form and 'value="developer"' not in new_form
    made = client.post(
        "/admin/users/new",
        {
            "email": "New.Clerk@Library.example",
            "display_name": "Clerk",
            "role": "staff",
            "is_active": "on",
        },
    )
    assert made.status_code == 303
    clerk = int(made.headers["location"].rsplit("/", 1)[1])
    assert sql(library, "select email, role from auth.users where id = %s", [clerk]) == [
        ("new.clerk@library.example", "staff")
    ]
    client.get("/admin/users/new")
    twice = client.post("/admin/users/new", {"email": "new.clerk@library.example", "role": "staff"})
    assert twice.status_code == 409 and "already has an account" in twice.text

    client.get(f"/admin/users/{clerk}/edit")
    above = client.post(
        f"/admin/users/{clerk}/edit",
        {"email": "new.clerk@library.example", "role": "developer", "is_active": "on"},
    )
    assert above.status_code == 400 and "Choose a tier up to your own." in above.text
    renamed = client.post(
        f"/admin/users/{clerk}/edit",
        {
            "email": "new.clerk@library.example",
            "display_name": "Head clerk",
            "role": "supervisor",
            "is_active": "on",
        },
    )
    assert renamed.status_code == 303
    assert sql(library, "select display_name, role from auth.users where id = %s", [clerk]) == [
        ("Head clerk", "supervisor")
    ]

    developer = _uid(library, "developer")
    client.get(f"/admin/users/{developer}/edit")
    refused = client.post(
        f"/admin/users/{developer}/edit",
        {
            "email": "developer@library.example",
            "display_name": "x",
            "role": "administrator",
            "is_active": "on",
        },
    )
    assert refused.status_code in (400, 403) and "authority level" in refused.text, refused.text

    editor = int(sql(library, "select id from auth.groups where name = 'editor'")[0][0])
    client.get(f"/admin/users/{clerk}?tab=groups")
    assert client.post(f"/admin/users/{clerk}/groups", {"group": str(editor)}).status_code == 303
    assert sql(library, "select group_id from auth.user_groups where user_id = %s", [clerk]) == [
        (editor,)
    ]
    perms = client.get(f"/admin/users/{clerk}?tab=permissions").text
    assert "<code>items.change</code></th><td>—</td><td>editor</td>" in perms

    client.get(f"/admin/users/{clerk}/delete")
    assert client.post(f"/admin/users/{clerk}/delete", {}).status_code == 303
    assert _count(library, "select count(*) from auth.users where id = %s", [clerk]) == 0


# --- groups --------------------------------------------------------------------------------------


def test_seeded_groups_and_the_matrix_change_what_staff_may_do(
    admin: ServerProcess, library: str
) -> None:
    names = [r[0] for r in sql(library, "select name from auth.groups order by name")]
    assert names == ["administrator", "editor", "viewer"]
    assert (
        _count(
            library,
            "select count(*) from auth.group_permissions gp"
            " join auth.groups g on g.id = gp.group_id"
            " where g.name = 'editor' and gp.codename like '%%.delete'",
        )
        == 0
    )
    assert (
        _count(
            library,
            "select count(*) from auth.group_permissions gp"
            " join auth.groups g on g.id = gp.group_id"
            " where g.name = 'administrator' and gp.codename = 'items.delete'",
        )
        == 1
    )

    item = int(
        sql(
            library,
            "select i.id from library.items i"
            " where not exists (select from library.loans l where l.item_id = i.id)"
            " order by i.id limit 1",
        )[0][0]
    )
    staff_id = _uid(library, "staff")
    staff = signed_in(admin.base_url, "staff")
    staff.get(f"/admin/items/{item}/edit")
    assert staff.post(f"/admin/items/{item}/delete", {}).status_code == 404, (
        "RLS: staff may not delete"
    )

    client = signed_in(admin.base_url, "administrator")
    listed = client.get("/admin/groups").text
    assert all(n in listed for n in ("administrator", "editor", "viewer"))
    client.get("/admin/groups/new")
    made = client.post(
        "/admin/groups/new",
        {
            "name": "weeders",
            "description": "Withdraw old stock",
            "perm": ["items.view", "items.delete"],
        },
    )
    assert made.status_code == 303
    group = int(made.headers["location"].split("/")[3])
    matrix = client.get(f"/admin/groups/{group}/edit").text
    assert 'value="items.delete" id="p-items.delete" checked' in matrix
    client.get(f"/admin/users/{staff_id}?tab=groups")
    assert client.post(f"/admin/users/{staff_id}/groups", {"group": str(group)}).status_code == 303
    staff.get(f"/admin/items/{item}/edit")
    assert staff.post(f"/admin/items/{item}/delete", {}).status_code == 303, (
        "the group grants delete"
    )

    client.get(f"/admin/groups/{group}/edit")
    saved = client.post(
        f"/admin/groups/{group}/edit",
        {"name": "weeders", "description": "", "perm": ["items.view"]},
    )
    assert saved.status_code == 303
    assert [
        r[0]
        for r in sql(
            library, "select codename from auth.group_permissions where group_id = %s", [group]
        )
    ] == ["items.view"]
    client.get("/admin/groups/new")
    bad = client.post("/admin/groups/new", {"name": "Bad Name"})
    assert bad.status_code in (400, 409) and "lowercase" in bad.text.lower()
    client.get(f"/admin/groups/{group}/delete")
    assert client.post(f"/admin/groups/{group}/delete", {}).status_code == 303
    assert _count(library, "select count(*) from auth.groups where id = %s", [group]) == 0


def test_revoke_one_session_from_the_sessions_tab(admin: ServerProcess, library: str) -> None:
    staff, boss = _uid(library, "staff"), _uid(library, "administrator")
    one, two = signed_in(admin.base_url, "staff"), signed_in(admin.base_url, "staff")
    signed_in(admin.base_url, "developer")
    client = signed_in(admin.base_url, "administrator")
    tab = client.get(f"/admin/users/{staff}?tab=sessions").text
    sids = sorted(int(x) for x in texts(tab, r"/sessions/(\d+)/revoke"))
    assert len(sids) == 2
    revoked = client.post(f"/admin/users/{staff}/sessions/{sids[0]}/revoke", {})
    assert revoked.status_code == 303 and "revoked" in _flash(client, revoked.headers["location"])
    assert sorted(c.get("/admin/loans").status_code for c in (one, two)) == [200, 303]
    again = client.post(f"/admin/users/{staff}/sessions/{sids[0]}/revoke", {})
    assert "had already ended" in _flash(client, again.headers["location"])
    mine = sql(
        library, "select id from auth.sessions where user_id = %s and revoked_at is null", [boss]
    )
    own = client.post(f"/admin/users/{boss}/sessions/{mine[0][0]}/revoke", {})
    assert "your own session" in _flash(client, own.headers["location"])
    dev = _uid(library, "developer")
    theirs = sql(
        library, "select id from auth.sessions where user_id = %s and revoked_at is null", [dev]
    )
    above = client.post(f"/admin/users/{dev}/sessions/{theirs[0][0]}/revoke", {})
    assert "authority level" in _flash(client, above.headers["location"])
    assert sql(
        library, "select revoked_at is null from auth.sessions where id = %s", [theirs[0][0]]
    ) == [(True,)]
    assert (
        _count(
            library,
            "select count(*) from audit.events where event = 'sessions_revoked_by_other'"
            " and target_id = %s",
            [str(sids[0])],
        )
        == 1
    )


async def test_a_refused_auth_call_leaves_the_rest_dialect_working(
    db_url: str, tmp_path: Path
) -> None:
    """psycopg rolls a refused auth call back with DEALLOCATE ALL (it had prepared statements of
    its own on that pooled connection), which dropped the REST dialect's too: every later REST
    request on the connection failed with 26000. The dialect now re-prepares."""
    password = "correct horse battery"
    create_user(db_url, "boss@example.com", password, "administrator")
    target = create_user(db_url, "bob@example.com", password, "staff")
    with running_server(db_url, tmp_path, env={"PGRST_DB_SCHEMAS": "api,auth"}) as srv:
        boss = Client(srv.base_url)
        await boss.login("boss@example.com", password)
        bearer = {"Authorization": f"Bearer {boss.token}", "Accept-Profile": "auth"}
        path = f"/rest/v1/users?select=id&id=eq.{target}"
        for _ in range(6):  # past psycopg's prepare threshold
            assert (await Client(srv.base_url).request("GET", path, headers=bearer)).status == 200
        assert (await boss.request("POST", "/auth/reauth", {"password": password})).status == 200
        lock = f"/auth/users/{target}/lock"
        refused = await boss.request("POST", lock, {"reason": "short", "duration": "1h"})
        assert refused.status == 400
        for _ in range(3):
            after = await Client(srv.base_url).request("GET", path, headers=bearer)
            assert after.status == 200, after.body
