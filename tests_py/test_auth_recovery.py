"""Recovery over real HTTP (docs/recovery.md): a real `pgwarden serve`, a real PostgreSQL and a
real SMTP server (aiosmtpd) started by the test.

R1: forgot → mail → reset → sign in, no auto-login, every session revoked; the forgot answer is
byte-identical for a known, unknown or inactive account, an IP over budget, an unsafe host and a
failing mail server, with the same timing; links and client addresses are safe from forged
headers. R2: the JSON actions behind the re-auth wall; the forced password change; a bare
session cannot change the password over REST with `auth` exposed."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from webui.auth.recovery import FORGOT_REPLY
from webui.testing import ServerProcess, free_port, running_server
from webui.testing.auth import Client, create_user, sql
from webui.testing.smtp import reset_link, smtp_env, smtp_server

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new passphrase"
FORGOT = "/auth/password/forgot"
RESET = "/auth/password/reset"


def _count(db_url: str, statement: str, params: list[object] | None = None) -> int:
    return int(sql(db_url, statement, params)[0][0])


async def test_forgot_mail_reset_then_sign_in(db_url: str, tmp_path: Path) -> None:
    uid = create_user(db_url, "ann@example.com", PASSWORD)
    with (
        smtp_server() as (port, inbox),
        running_server(db_url, tmp_path, env=smtp_env(port)) as srv,
    ):
        old = Client(srv.base_url)
        assert (await old.login("ann@example.com", PASSWORD)).status == 200
        anon = Client(srv.base_url)
        reply = await anon.request("POST", FORGOT, {"email": "  ANN@example.com "})
        assert reply.status == 200 and reply.body == FORGOT_REPLY
        message = inbox.wait_for(1)[0]
        assert message["To"] == "ann@example.com"
        assert message["Subject"] == "pgwarden — sign-in link"
        base, token = reset_link(message)
        assert base == srv.base_url, "the link's base is the Host the request came to"
        reply = await anon.request("POST", RESET, {"token": token, "password": NEW_PASSWORD})
        assert reply.status == 200, reply.body
        assert reply.json()["invalidated_session_count"] == 1
        assert "Set-Cookie" not in reply.headers and anon.token is None, "no auto-login"
        assert (await old.request("GET", "/auth/me")).status == 401, "the old session is dead"
        for token_value in (token, "garbage", "x" * 43):
            again = await anon.request("POST", RESET, {"token": token_value, "password": "x" * 20})
            assert again.status == 400 and again.json()["message"] == "This link is no longer valid"
        assert (await Client(srv.base_url).login("ann@example.com", NEW_PASSWORD)).status == 200
    assert (
        _count(
            db_url,
            "select count(*) from audit.events where event = 'password_reset_self_consume'"
            " and target_id = %s and (metadata ->> 'invalidated_session_count')::int = 1",
            [str(uid)],
        )
        == 1
    )
    assert sql(db_url, "select status, body from auth.mail_outbox") == [("sent", None)]


async def test_forgot_answers_the_same_bytes_in_every_case(db_url: str, tmp_path: Path) -> None:
    known = create_user(db_url, "known@example.com", PASSWORD)
    create_user(db_url, "off@example.com", PASSWORD, is_active=False)
    env = {**smtp_env(free_port()), "PGWARDEN_MAIL_POLL_SECONDS": "0.2"}  # nothing listens
    with running_server(db_url, tmp_path, env=env) as srv:
        client = Client(srv.base_url)
        replies = [
            await client.request("POST", FORGOT, {"email": email})
            for email in ("known@example.com", "nobody@example.com", "off@example.com")
        ]
        replies.append(
            await client.request(
                "POST", FORGOT, {"email": "known@example.com"}, headers={"Host": "a b.example"}
            )
        )
        sql(db_url, "update auth.config set forgot_budget = 1")
        replies.append(await client.request("POST", FORGOT, {"email": "known@example.com"}))
        assert {(r.status, r.body) for r in replies} == {(200, FORGOT_REPLY)}
    assert sql(db_url, "select user_id from auth.password_reset_tokens") == [(known,)], (
        "only the known, active account got a token (not the unsafe host, not over budget)"
    )
    assert sql(
        db_url,
        "select metadata ->> 'email_send_status' from audit.events"
        " where event = 'password_reset_self_request' order by id",
    ) == [("queued",), ("failed",)]
    statuses = sql(
        db_url, "select status, attempts > 0, last_error is not null from auth.mail_outbox"
    )
    assert statuses == [("pending", True, True)], "the failing mail server is retried later"


async def test_forgot_takes_the_same_time_for_known_and_unknown(
    server: ServerProcess, db_url: str
) -> None:
    create_user(db_url, "known@example.com", PASSWORD)
    sql(db_url, "update auth.config set forgot_budget = 100000")
    client = Client(server.base_url)
    times: dict[str, list[float]] = {"known@example.com": [], "nobody@example.com": []}
    for _ in range(25):
        for email, series in times.items():
            started = time.perf_counter()
            reply = await client.request("POST", FORGOT, {"email": email})
            series.append(time.perf_counter() - started)
            assert reply.body == FORGOT_REPLY
    ratio = statistics.median(times["known@example.com"]) / statistics.median(
        times["nobody@example.com"]
    )
    print(f"forgot: median known/unknown = {ratio:.2f}")
    assert 0.67 <= ratio <= 1.5, f"median known/unknown = {ratio:.2f}"


async def test_links_and_addresses_come_from_trusted_proxies_only(
    db_url: str, tmp_path: Path
) -> None:
    create_user(db_url, "ann@example.com", PASSWORD)
    sql(db_url, "update auth.config set forgot_budget = 1000")
    forged = {
        "X-Forwarded-For": "203.0.113.9",
        "X-Forwarded-Host": "evil.example",
        "X-Forwarded-Proto": "https",
    }
    with smtp_server() as (port, inbox):
        with running_server(db_url, tmp_path, env=smtp_env(port)) as srv:
            client = Client(srv.base_url, headers=forged)
            await client.request("POST", FORGOT, {"email": "ann@example.com"})
            assert reset_link(inbox.wait_for(1)[0])[0] == srv.base_url, "XFH of a stranger ignored"
            login = await client.login("ann@example.com", PASSWORD)
            assert "Secure" not in login.headers["Set-Cookie"], "XFP of a stranger ignored"
            await client.request("POST", FORGOT, {"email": "ann@example.com"}, {"Host": "x" * 300})
            assert len(inbox.wait_for(1)) == 1
        buckets = {row[0] for row in sql(db_url, "select bucket from auth.throttle")}
        assert buckets == {"forgot:127.0.0.1", "ip:127.0.0.1"}, "the peer is counted, not XFF"
        sql(db_url, "delete from auth.throttle")
        trusted = {**smtp_env(port), "PGWARDEN_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1/32"}
        with running_server(db_url, tmp_path, env=trusted) as srv:
            client = Client(srv.base_url, headers=forged)
            await client.request("POST", FORGOT, {"email": "ann@example.com"})
            assert reset_link(inbox.wait_for(2)[1])[0] == "https://evil.example"
            login = await client.login("ann@example.com", PASSWORD)
            assert "Secure" in login.headers["Set-Cookie"], "https from a trusted proxy"
        buckets = {row[0] for row in sql(db_url, "select bucket from auth.throttle")}
        assert buckets == {"forgot:203.0.113.9", "ip:203.0.113.9"}, "XFF of a trusted proxy"
        public = {**trusted, "PGWARDEN_PUBLIC_URL": "https://admin.example.com/"}
        with running_server(db_url, tmp_path, env=public) as srv:
            await Client(srv.base_url, headers=forged).request(
                "POST", FORGOT, {"email": "ann@example.com"}
            )
            assert reset_link(inbox.wait_for(3)[2])[0] == "https://admin.example.com"


async def test_admin_actions_need_the_reauth_wall_and_obey_it(
    server: ServerProcess, db_url: str
) -> None:
    create_user(db_url, "boss@example.com", PASSWORD, "administrator")
    target = create_user(db_url, "bob@example.com", PASSWORD, "staff")
    create_user(db_url, "sup@example.com", PASSWORD, "supervisor")
    admin, bob = Client(server.base_url), Client(server.base_url)
    await admin.login("boss@example.com", PASSWORD)
    await bob.login("bob@example.com", PASSWORD)
    lock = f"/auth/users/{target}/lock"
    body = {"reason": "suspicious logins", "duration": "1h"}
    refused = await admin.request("POST", lock, body)
    assert refused.status == 403 and refused.json()["code"] == "reauth_required"
    assert refused.json()["hint"].startswith("POST /auth/reauth")
    assert (await admin.request("POST", "/auth/reauth", {"password": PASSWORD})).status == 200
    short = await admin.request("POST", lock, {"reason": "because", "duration": "1h"})
    assert short.status == 400 and short.json()["code"] == "reason_too_short"
    locked = await admin.request("POST", lock, body)
    assert locked.status == 200, locked.body
    assert (await bob.request("GET", "/auth/me")).status == 401, "the lock ended bob's session"
    assert (await Client(server.base_url).login("bob@example.com", PASSWORD)).status == 401
    unlock = await admin.request("POST", f"/auth/users/{target}/unlock", {"reason": "verified ok"})
    assert unlock.status == 200 and unlock.json()["was_locked"] is True
    assert (await bob.login("bob@example.com", PASSWORD)).status == 200

    reset = await admin.request(
        "POST", f"/auth/users/{target}/reset-password", {"mode": "temp_pw", "reason": "lost it all"}
    )
    assert reset.status == 200 and reset.headers["Cache-Control"] == "no-store"
    temporary = reset.json()["temporary_password"]
    assert len(temporary) == 16 and reset.json()["invalidated_session_count"] == 1
    assert (await bob.request("GET", "/auth/sessions")).status == 401
    forced = Client(server.base_url)
    assert (await forced.login("bob@example.com", temporary)).json()["user"]["must_change_password"]
    for method, path in (("GET", "/auth/me"), ("POST", "/auth/sessions/revoke-others")):
        blocked = await forced.request(method, path)
        assert blocked.status == 403 and blocked.json()["code"] == "password_change_required"
    assert (await forced.request("GET", "/auth/sessions")).status == 200
    changed = await forced.request(
        "POST", "/auth/password", {"current_password": temporary, "new_password": NEW_PASSWORD}
    )
    assert changed.status == 200, changed.body
    assert (await forced.request("GET", "/auth/me")).status == 200
    assert (
        _count(
            db_url,
            "select count(*) from audit.events where event = 'forced_password_change_completed'"
            " and target_id = %s",
            [str(target)],
        )
        == 1
    )
    assert temporary not in server.log(), "the temporary password is never logged"
    assert (
        _count(
            db_url,
            "select count(*) from audit.events where metadata::text like %s",
            [f"%{temporary}%"],
        )
        == 0
    ), "nor audited"

    revoke = await admin.request(
        "POST", f"/auth/users/{target}/revoke-sessions", {"reason": "laptop stolen"}
    )
    assert revoke.status == 200 and revoke.json() == {"revoked_count": 1}
    sup = Client(server.base_url)
    await sup.login("sup@example.com", PASSWORD)
    denied = await sup.request("POST", f"/auth/users/{target}/unlock", {"reason": "verified ok"})
    assert denied.status == 403 and denied.json()["code"] == "forbidden"
    ghost = await admin.request("POST", "/auth/users/999999/unlock", {"reason": "verified ok"})
    assert ghost.status == 404 and ghost.json()["code"] == "user_not_found"


async def test_rest_with_auth_exposed_refuses_a_bare_password_change(
    db_url: str, tmp_path: Path
) -> None:
    uid = create_user(db_url, "eve@example.com", PASSWORD)
    forced_uid = create_user(db_url, "tmp@example.com", PASSWORD, must_change_password=True)
    before = sql(db_url, "select password_hash from auth.users where id = %s", [uid])
    with running_server(db_url, tmp_path, env={"PGRST_DB_SCHEMAS": "api,auth"}) as srv:
        thief = Client(srv.base_url)
        await thief.login("eve@example.com", PASSWORD)
        bearer = {"Authorization": f"Bearer {thief.token}", "Content-Profile": "auth"}
        stolen = await Client(srv.base_url).request(
            "POST",
            "/rest/v1/rpc/change_password",
            {"new_password_hash": "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$dGhpZWY"},
            headers=bearer,
        )
        # auth.change_password refuses (42501 reauth_required); the REST layer maps a 42501
        # under a session bearer to 401. Either way the change fails and the hash stays.
        assert stolen.status in (401, 403), stolen.body
        mine = await Client(srv.base_url).request(
            "GET", "/rest/v1/my_sessions", headers={**bearer, "Accept-Profile": "auth"}
        )
        assert mine.status == 200 and len(mine.json()) == 1
        forced = Client(srv.base_url)
        await forced.login("tmp@example.com", PASSWORD)
        refused = await Client(srv.base_url).request(
            "GET",
            "/rest/v1/my_sessions",
            headers={"Authorization": f"Bearer {forced.token}", "Accept-Profile": "auth"},
        )
        assert refused.status in (401, 403), "a forced-change session gets no data over REST"
    assert sql(db_url, "select password_hash from auth.users where id = %s", [uid]) == before
    assert forced_uid


async def test_recovery_budgets_are_shared_by_two_processes(db_url: str, tmp_path: Path) -> None:
    create_user(db_url, "ann@example.com", PASSWORD)
    quiet = {"PGWARDEN_MAIL_SENDER": "0"}
    with (
        running_server(db_url, tmp_path, env=quiet) as one,
        running_server(db_url, tmp_path, env=quiet) as two,
    ):
        for i in range(6):  # 5 per IP per 15 minutes, whichever process answers
            srv = (one, two)[i % 2]
            reply = await Client(srv.base_url).request("POST", FORGOT, {"email": "ann@example.com"})
            assert reply.body == FORGOT_REPLY
        assert _count(db_url, "select count(*) from auth.password_reset_tokens") == 5
        for i in range(10):  # 10 consumes per IP per 5 minutes
            srv = (one, two)[i % 2]
            bad = await Client(srv.base_url).request(
                "POST", RESET, {"token": "b" * 43, "password": NEW_PASSWORD}
            )
            assert bad.status == 400
        token = "v" * 43
        sql(
            db_url,
            "select auth.request_password_reset('ann@example.com', %s, 'https://x.example',"
            " '192.0.2.1')",
            [token],
        )
        valid = await Client(two.base_url).request(
            "POST", RESET, {"token": token, "password": NEW_PASSWORD}
        )
        assert valid.status == 400 and valid.json()["code"] == "link_invalid", "over budget"
    assert (
        _count(
            db_url, "select count(*) from auth.password_reset_tokens where consumed_at is not null"
        )
        == 0
    )


async def test_the_throttle_lock_is_soft(server: ServerProcess, db_url: str) -> None:
    create_user(db_url, "ann@example.com", PASSWORD)
    mine = Client(server.base_url)
    assert (await mine.login("ann@example.com", PASSWORD)).status == 200
    attacker = Client(server.base_url)
    for _ in range(5):
        assert (await attacker.login("ann@example.com", "a wrong guess!!")).status == 401
    assert sql(db_url, "select locked_via from auth.users") == [("auto_throttle",)]
    assert (await attacker.login("ann@example.com", PASSWORD)).status == 401, "new logins refused"
    assert (await mine.request("GET", "/auth/me")).status == 200, "the owner's session lives on"
    assert _count(db_url, "select count(*) from auth.sessions where revoked_at is not null") == 0
