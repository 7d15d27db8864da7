"""Uniform outward responses (docs/sessions.md, rule 8) and no secret at rest or in transit
(rule 9), over real HTTP: unknown email, wrong password, inactive and locked accounts get
byte-identical 401 bodies and the same timing class (unknown users pay a dummy Argon2id
verification); every failure still commits its login_failed event; the password hash and the
session token never appear in a response, a server log line or an audit payload."""

from __future__ import annotations

import statistics
import time

from webui.testing import ServerProcess
from webui.testing.auth import Client, Reply, create_user, sql

PASSWORD = "correct horse battery"
IGNORED_HEADERS = {"date", "x-correlation-id"}


def accounts(db_url: str) -> None:
    sql(db_url, "update auth.config set ip_budget = 10000")
    create_user(db_url, "wrong@example.com", PASSWORD)
    create_user(db_url, "inactive@example.com", PASSWORD, is_active=False)
    create_user(db_url, "locked@example.com", PASSWORD)
    sql(
        db_url,
        "update auth.users set locked_until = now() + interval '1 hour'"
        " where email = 'locked@example.com'",
    )


async def test_the_four_failures_are_byte_identical(server: ServerProcess, db_url: str) -> None:
    accounts(db_url)
    client = Client(server.base_url)
    replies = {
        "unknown": await client.login("nobody@example.com", PASSWORD),
        "wrong_password": await client.login("wrong@example.com", "not the password"),
        "inactive": await client.login("inactive@example.com", PASSWORD),
        "locked": await client.login("locked@example.com", PASSWORD),
    }
    bodies = {reply.body for reply in replies.values()}
    assert len(bodies) == 1, bodies
    assert {reply.status for reply in replies.values()} == {401}
    headers = {
        tuple(sorted((k, v) for k, v in r.headers.items() if k.lower() not in IGNORED_HEADERS))
        for r in replies.values()
    }
    assert len(headers) == 1, headers
    assert replies["unknown"].json() == {
        "code": "invalid_credentials",
        "message": "Invalid email or password.",
        "details": None,
        "hint": None,
    }
    reasons = sql(
        db_url,
        "select metadata ->> 'reason' from audit.events where event = 'login_failed' order by id",
    )
    assert [r[0] for r in reasons] == ["unknown_user", "wrong_password", "inactive", "locked"]
    correlation = sql(
        db_url,
        "select count(distinct correlation_id) from audit.events"
        " where event = 'login_failed' and correlation_id is not null",
    )
    assert correlation == [(4,)], "each failure carries its request's correlation id"


async def test_unknown_user_and_wrong_password_take_the_same_time(
    server: ServerProcess, db_url: str
) -> None:
    accounts(db_url)
    client = Client(server.base_url)
    timings: dict[str, list[float]] = {"unknown": [], "wrong": []}
    await client.login("warm@example.com", "warm up the pool")
    for round_ in range(12):
        for kind, email in (
            ("unknown", f"nobody{round_}@example.com"),
            ("wrong", "wrong@example.com"),
        ):
            started = time.perf_counter()
            reply = await client.login(email, "not the password at all")
            timings[kind].append(time.perf_counter() - started)
            assert reply.status == 401
    sql(db_url, "update auth.users set locked_until = null, failed_login_count = 0")
    unknown, wrong = (statistics.median(timings[k]) for k in ("unknown", "wrong"))
    ratio = max(unknown, wrong) / min(unknown, wrong)
    print(
        f"median unknown {unknown * 1000:.1f} ms, wrong password {wrong * 1000:.1f} ms, "
        f"ratio {ratio:.2f}"
    )
    assert ratio < 1.5


async def test_hash_and_token_never_leave(server: ServerProcess, db_url: str) -> None:
    accounts(db_url)
    client = Client(server.base_url, headers={"User-Agent": "uniform-test"})
    replies: list[Reply] = [await client.login("wrong@example.com", PASSWORD)]
    token = client.token
    assert token
    replies.append(await client.request("GET", "/auth/me"))
    replies.append(await client.request("GET", "/auth/sessions"))
    replies.append(await client.login("wrong@example.com", "bad password here"))
    replies.append(
        await client.request(
            "POST",
            "/auth/password",
            {"current_password": PASSWORD, "new_password": "another fine passphrase"},
        )
    )
    replies.append(await client.request("POST", "/auth/logout"))
    hashes = [row[0] for row in sql(db_url, "select password_hash from auth.users")]
    secrets = [*hashes, token, PASSWORD, "another fine passphrase"]
    for reply in replies:
        text = reply.body.decode() + repr(reply.headers)
        for secret in secrets:
            if secret == token and "Set-Cookie" in reply.headers:
                text = reply.body.decode()  # the one place the token belongs: its cookie
            assert secret not in text
        assert "argon2" not in text
    log = server.log()
    audit = sql(
        db_url,
        "select coalesce(string_agg(summary || metadata::text"
        " || coalesce(before::text, '') || coalesce(after::text, ''), ' '), '')"
        " from audit.events",
    )[0][0]
    for secret in secrets:
        assert secret not in log
        assert secret not in audit
    assert "argon2" not in log and "argon2" not in audit
    assert sql(db_url, "select count(*) from audit.events where event = 'login_succeeded'") == [
        (1,)
    ]
