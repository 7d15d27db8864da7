"""The throttle lives in PostgreSQL (docs/sessions.md, rules 6-7), over real HTTP: the 5th
failure inside 10 minutes locks the account (uniform 401 even with the right password), the
lock expires by itself (the clock is moved in the database, nothing sleeps), the per-IP budget
answers 429 with Retry-After, and two app processes on one database share the throttle and see
each other's revocations."""

from __future__ import annotations

import asyncio
from pathlib import Path

from webui.testing import ServerProcess, running_server
from webui.testing.auth import Client, create_user, sql

PASSWORD = "correct horse battery"


async def test_fifth_failure_locks_and_the_lock_expires(server: ServerProcess, db_url: str) -> None:
    user = create_user(db_url, "eve@example.com", PASSWORD)
    client = Client(server.base_url)
    for attempt in range(1, 5):
        assert (await client.login("eve@example.com", f"wrong guess {attempt}")).status == 401
        assert sql(db_url, "select locked_until from auth.users") == [(None,)]
    assert (await client.login("eve@example.com", "wrong guess 5")).status == 401
    locked = sql(db_url, "select locked_until - now() from auth.users where id = %s", [user])
    assert 14 * 60 < locked[0][0].total_seconds() <= 15 * 60
    assert sql(
        db_url, "select metadata ->> 'via' from audit.events where event = 'account_locked'"
    ) == [("auto_throttle",)]
    refused = await client.login("eve@example.com", PASSWORD)
    assert refused.status == 401 and refused.json()["code"] == "invalid_credentials"
    sql(db_url, "update auth.config set clock_offset = '14 minutes'")
    assert (await client.login("eve@example.com", PASSWORD)).status == 401
    sql(db_url, "update auth.config set clock_offset = '15 minutes 1 second'")
    assert (await client.login("eve@example.com", PASSWORD)).status == 200
    assert sql(db_url, "select failed_login_count, locked_until from auth.users") == [(0, None)]


async def test_success_resets_the_count(server: ServerProcess, db_url: str) -> None:
    create_user(db_url, "eve@example.com", PASSWORD)
    client = Client(server.base_url)
    for _ in range(2):
        for attempt in range(4):
            assert (await client.login("eve@example.com", f"wrong {attempt}")).status == 401
        assert (await client.login("eve@example.com", PASSWORD)).status == 200
    assert sql(db_url, "select failed_login_count, locked_until from auth.users") == [(0, None)]


async def test_ip_budget_answers_429_with_retry_after(server: ServerProcess, db_url: str) -> None:
    sql(db_url, "update auth.config set ip_budget = 3")
    client = Client(server.base_url)
    for _ in range(3):
        assert (await client.login("nobody@example.com", "whatever it is")).status == 401
    refused = await client.login("nobody@example.com", "whatever it is")
    assert refused.status == 429
    assert refused.json()["code"] == "too_many_requests"
    assert 1 <= int(refused.headers["Retry-After"]) <= 300
    assert sql(db_url, "select count(*) from audit.events where event = 'login_failed'") == [(3,)]
    sql(db_url, "update auth.config set clock_offset = '5 minutes'")
    assert (await client.login("nobody@example.com", "whatever it is")).status == 401


async def test_two_processes_share_throttle_and_revocations(db_url: str, tmp_path: Path) -> None:
    create_user(db_url, "eve@example.com", PASSWORD)
    create_user(db_url, "sam@example.com", PASSWORD)
    with running_server(db_url, tmp_path) as one, running_server(db_url, tmp_path) as two:
        a, b = Client(one.base_url), Client(two.base_url)
        for attempt in range(5):
            client = a if attempt % 2 == 0 else b
            assert (await client.login("eve@example.com", f"wrong {attempt}")).status == 401
        assert (await a.login("eve@example.com", PASSWORD)).status == 401
        assert (await b.login("eve@example.com", PASSWORD)).status == 401
        assert sql(
            db_url,
            "select locked_until is not null from auth.users where email = 'eve@example.com'",
        ) == [(True,)]

        assert (await a.login("sam@example.com", PASSWORD)).status == 200
        on_two = Client(two.base_url, token=a.token)
        assert (await on_two.request("GET", "/auth/me")).status == 200
        other = Client(one.base_url)
        assert (await other.login("sam@example.com", PASSWORD)).status == 200
        assert (await on_two.request("POST", "/auth/sessions/revoke-others")).json() == {
            "revoked_count": 1
        }
        assert (await other.request("GET", "/auth/me")).status == 401
        assert (await a.request("POST", "/auth/logout")).status == 200
        assert (await on_two.request("GET", "/auth/me")).status == 401


async def test_concurrent_failures_are_counted_exactly(server: ServerProcess, db_url: str) -> None:
    """login_finish locks the account row: 12 simultaneous wrong passwords count to exactly 5,
    the 5th locks, and the other 7 are refused as locked without counting."""
    create_user(db_url, "eve@example.com", PASSWORD)
    client = Client(server.base_url)
    replies = await asyncio.gather(
        *(client.login("eve@example.com", f"wrong guess {i}") for i in range(12))
    )
    assert {reply.status for reply in replies} == {401}
    assert sql(db_url, "select failed_login_count, locked_until is not null from auth.users") == [
        (5, True)
    ]
    reasons = sql(
        db_url,
        "select metadata ->> 'reason', count(*) from audit.events"
        " where event = 'login_failed' group by 1 order by 1",
    )
    assert reasons == [("locked", 7), ("wrong_password", 5)]
    assert sql(db_url, "select count(*) from audit.events where event = 'account_locked'") == [(1,)]


async def test_password_change_counts_against_the_ip_budget(
    server: ServerProcess, db_url: str
) -> None:
    create_user(db_url, "eve@example.com", PASSWORD)
    sql(db_url, "update auth.config set ip_budget = 1")
    client = Client(server.base_url)
    assert (await client.login("eve@example.com", PASSWORD)).status == 200
    reply = await client.request(
        "POST", "/auth/password", {"current_password": "guess one", "new_password": "x" * 16}
    )
    assert reply.status == 429 and "Retry-After" in reply.headers
    assert (await client.request("GET", "/auth/me")).status == 200
