"""The JSON auth endpoints over real HTTP against a real `pgwarden serve` and PostgreSQL:
login sets a hardened cookie, the token dies after logout, after a password change (others only),
after a lock and after a role change; sessions can be listed and revoked; bad input gets typed
4xx answers. Doctrine: docs/sessions.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from webui.testing import ServerProcess, running_server
from webui.testing.auth import Client, create_user, sql

PASSWORD = "correct horse battery"


@pytest.fixture
def alice(db_url: str) -> int:
    return create_user(db_url, "alice@example.com", PASSWORD, "staff", display_name="Alice")


async def signed_in(
    server: ServerProcess, email: str = "alice@example.com", password: str = PASSWORD
) -> Client:
    client = Client(server.base_url)
    reply = await client.login(email, password)
    assert reply.status == 200, reply.body
    return client


async def test_login_sets_a_hardened_cookie_and_me_answers(
    server: ServerProcess, alice: int
) -> None:
    client = Client(server.base_url)
    reply = await client.login("  ALICE@example.com ", PASSWORD)
    assert reply.status == 200
    cookie = reply.headers["Set-Cookie"]
    assert cookie.startswith("pgw_session=")
    for attribute in ("HttpOnly", "SameSite=Strict", "Path=/", "Max-Age="):
        assert attribute in cookie
    assert "Secure" not in cookie  # plain HTTP on loopback, PGWARDEN_COOKIE_SECURE=auto
    body = reply.json()
    assert body["user"] == {
        "id": alice,
        "email": "alice@example.com",
        "display_name": "Alice",
        "role": "staff",
        "must_change_password": False,
    }
    assert "token" not in body
    me = await client.request("GET", "/auth/me")
    assert me.status == 200
    assert me.json()["user"]["id"] == alice
    assert me.json()["session"]["id"] == body["session_id"]


async def test_bearer_session_token_is_accepted(server: ServerProcess, alice: int) -> None:
    client = Client(server.base_url)
    reply = await client.request(
        "POST", "/auth/login", {"email": "alice@example.com", "password": PASSWORD, "cookie": False}
    )
    assert reply.status == 200 and "Set-Cookie" not in reply.headers
    bearer = Client(server.base_url, headers={"Authorization": f"Bearer {reply.json()['token']}"})
    assert (await bearer.request("GET", "/auth/me")).json()["user"]["id"] == alice
    jwt_like = Client(server.base_url, headers={"Authorization": "Bearer a.b.c"})
    assert (await jwt_like.request("GET", "/auth/me")).status == 401


async def test_token_is_dead_after_logout(server: ServerProcess, db_url: str, alice: int) -> None:
    client = await signed_in(server)
    token = client.token
    reply = await client.request("POST", "/auth/logout")
    assert reply.status == 200
    assert "Max-Age=0" in reply.headers["Set-Cookie"]
    assert "HttpOnly" in reply.headers["Set-Cookie"]
    replay = Client(server.base_url, token=token)
    assert (await replay.request("GET", "/auth/me")).status == 401
    assert sql(db_url, "select revoked_reason from auth.sessions") == [("logout",)]


async def test_password_change_kills_the_other_sessions_only(
    server: ServerProcess, alice: int
) -> None:
    first, second = await signed_in(server), await signed_in(server)
    reply = await first.request(
        "POST",
        "/auth/password",
        {"current_password": PASSWORD, "new_password": "a brand new passphrase"},
    )
    assert reply.status == 200, reply.body
    assert (await first.request("GET", "/auth/me")).status == 200
    assert (await second.request("GET", "/auth/me")).status == 401
    assert (await Client(server.base_url).login("alice@example.com", PASSWORD)).status == 401
    assert (await signed_in(server, password="a brand new passphrase")).token


async def test_password_change_refuses_a_wrong_current_or_weak_new(
    server: ServerProcess, alice: int
) -> None:
    client = await signed_in(server)
    wrong = await client.request(
        "POST", "/auth/password", {"current_password": "not it at all", "new_password": "x" * 20}
    )
    assert wrong.status == 403 and wrong.json()["code"] == "wrong_current_password"
    weak = await client.request(
        "POST", "/auth/password", {"current_password": PASSWORD, "new_password": "short"}
    )
    assert weak.status == 400 and weak.json()["code"] == "password_policy"
    assert "10" in weak.json()["message"]
    assert (await client.request("GET", "/auth/me")).status == 200


async def test_token_is_dead_after_a_lock(server: ServerProcess, db_url: str, alice: int) -> None:
    client = await signed_in(server)
    sql(
        db_url,
        "update auth.users set locked_until = now() + interval '1 hour' where id = %s",
        [alice],
    )
    assert (await client.request("GET", "/auth/me")).status == 401


async def test_token_is_dead_after_a_role_change(
    server: ServerProcess, db_url: str, alice: int
) -> None:
    client = await signed_in(server)
    sql(db_url, "update auth.users set role = 'supervisor' where id = %s", [alice])
    assert (await client.request("GET", "/auth/me")).status == 401
    again = await signed_in(server)
    assert (await again.request("GET", "/auth/me")).json()["user"]["role"] == "supervisor"


async def test_sessions_list_marks_current_and_revokes(server: ServerProcess, alice: int) -> None:
    clients = [await signed_in(server) for _ in range(3)]
    listing = (await clients[0].request("GET", "/auth/sessions")).json()["sessions"]
    assert len(listing) == 3
    current = [s for s in listing if s["current"]]
    assert len(current) == 1
    others = [s["id"] for s in listing if not s["current"]]
    own = await clients[0].request("POST", f"/auth/sessions/{current[0]['id']}/revoke")
    assert own.status == 409 and own.json()["code"] == "current_session"
    one = await clients[0].request("POST", f"/auth/sessions/{others[0]}/revoke")
    assert one.status == 200
    again = await clients[0].request("POST", f"/auth/sessions/{others[0]}/revoke")
    assert again.status == 404
    rest = await clients[0].request("POST", "/auth/sessions/revoke-others")
    assert rest.json() == {"revoked_count": 1}
    assert [(await c.request("GET", "/auth/me")).status for c in clients] == [200, 401, 401]


async def test_someone_elses_session_cannot_be_revoked(
    server: ServerProcess, db_url: str, alice: int
) -> None:
    create_user(db_url, "bob@example.com", PASSWORD)
    bob = await signed_in(server, "bob@example.com")
    bob_sid = (await bob.request("GET", "/auth/me")).json()["session"]["id"]
    alice_client = await signed_in(server)
    reply = await alice_client.request("POST", f"/auth/sessions/{bob_sid}/revoke")
    assert reply.status == 404
    assert (await bob.request("GET", "/auth/me")).status == 200


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "status", "code"),
    [
        ("POST", "/auth/login", "not json", None, 400, "invalid_json"),
        ("POST", "/auth/login", [1, 2], None, 400, "invalid_json"),
        ("POST", "/auth/login", {"email": "a@b.c"}, None, 400, "invalid_field"),
        ("POST", "/auth/login", {"email": 5, "password": "x"}, None, 400, "invalid_field"),
        (
            "POST",
            "/auth/login",
            {"email": "a\x00@b.c", "password": "x"},
            None,
            400,
            "invalid_field",
        ),
        (
            "POST",
            "/auth/login",
            {"email": "a@b.c" * 100, "password": "x"},
            None,
            400,
            "invalid_field",
        ),
        (
            "POST",
            "/auth/login",
            {"email": "a@b.c", "password": "x"},
            {"Content-Type": "application/x-www-form-urlencoded"},
            415,
            "unsupported_media_type",
        ),
        ("POST", "/auth/logout", {}, None, 401, "not_authenticated"),
        ("GET", "/auth/me", None, None, 401, "not_authenticated"),
        ("GET", "/auth/sessions", None, None, 401, "not_authenticated"),
        ("POST", "/auth/sessions/revoke-others", {}, None, 401, "not_authenticated"),
        ("POST", "/auth/password", {}, None, 401, "not_authenticated"),
    ],
)
async def test_bad_input_gets_typed_4xx(
    server: ServerProcess,
    method: str,
    path: str,
    body: object,
    headers: dict[str, str] | None,
    status: int,
    code: str,
) -> None:
    client = Client(server.base_url)
    if isinstance(body, str):
        import aiohttp

        async with (
            aiohttp.ClientSession() as session,
            session.post(
                server.base_url + path, data=body, headers={"Content-Type": "application/json"}
            ) as response,
        ):
            assert response.status == status
            assert (await response.json())["code"] == code
        return
    reply = await client.request(method, path, body, headers)
    assert reply.status == status, reply.body
    assert set(reply.json()) == {"code", "message", "details", "hint"}
    assert reply.json()["code"] == code


async def test_bad_session_ids_are_typed(server: ServerProcess, alice: int) -> None:
    client = await signed_in(server)
    for bad in ("abc", "-1", "9" * 30, "%C2%B2", "%D9%A3", "1.0"):
        reply = await client.request("POST", f"/auth/sessions/{bad}/revoke")
        assert reply.status == 400 and reply.json()["code"] == "invalid_session_id"


async def test_a_forced_change_is_reported_and_cleared(server: ServerProcess, db_url: str) -> None:
    create_user(db_url, "tmp@example.com", PASSWORD, must_change_password=True)
    client = Client(server.base_url)
    assert (await client.login("tmp@example.com", PASSWORD)).json()["user"]["must_change_password"]
    blocked = await client.request("GET", "/auth/me")
    assert blocked.status == 403 and blocked.json()["code"] == "password_change_required"
    reply = await client.request(
        "POST",
        "/auth/password",
        {"current_password": PASSWORD, "new_password": "my own new passphrase"},
    )
    assert reply.status == 200
    assert not (await client.request("GET", "/auth/me")).json()["user"]["must_change_password"]
    assert sql(
        db_url, "select count(*) from audit.events where event = 'password_changed_self'"
    ) == [(1,)]


async def test_correlation_id_reaches_the_audit_trail(
    server: ServerProcess, db_url: str, alice: int
) -> None:
    trace = "trace-0123456789-abcdef"
    client = Client(server.base_url, headers={"X-Correlation-Id": trace})
    reply = await client.login("alice@example.com", PASSWORD)
    assert reply.headers["X-Correlation-Id"] == trace
    await client.login("alice@example.com", "a wrong password")
    client.headers["X-Correlation-Id"] = "too-short"
    logout = await client.request("POST", "/auth/logout")
    minted = logout.headers["X-Correlation-Id"]
    assert minted != "too-short" and len(minted) == 36
    rows = sql(db_url, "select event, correlation_id from audit.events order by id")
    assert rows == [
        ("user_created", None),
        ("login_succeeded", trace),
        ("login_failed", trace),
        ("session_logout", minted),
    ]


async def test_secure_cookie_when_configured(db_url: str, tmp_path: Path, alice: int) -> None:
    with running_server(db_url, tmp_path, env={"PGWARDEN_COOKIE_SECURE": "always"}) as secure:
        reply = await Client(secure.base_url).login("alice@example.com", PASSWORD)
    assert reply.status == 200
    assert "Secure" in reply.headers["Set-Cookie"]


async def test_reauth_elevates_the_session_for_the_window(
    server: ServerProcess, db_url: str, alice: int
) -> None:
    client = await signed_in(server)
    assert (await client.request("GET", "/auth/me")).json()["session"]["elevated"] is False
    wrong = await client.request("POST", "/auth/reauth", {"password": "not my password"})
    assert wrong.status == 403 and wrong.json()["code"] == "wrong_password"
    assert (await client.request("GET", "/auth/me")).json()["session"]["elevated"] is False
    reply = await client.request("POST", "/auth/reauth", {"password": PASSWORD})
    assert reply.status == 200 and "elevated_until" in reply.json()
    assert (await client.request("GET", "/auth/me")).json()["session"]["elevated"] is True
    sql(db_url, "update auth.config set clock_offset = '16 minutes'")
    assert (await client.request("GET", "/auth/me")).json()["session"]["elevated"] is False
    assert (await Client(server.base_url).request("POST", "/auth/reauth", {})).status == 401
