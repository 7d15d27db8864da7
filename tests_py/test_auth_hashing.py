"""Argon2id off the event loop (docs/sessions.md, rule 10): verifications run in worker threads
behind a semaphore, so the server keeps answering while logins hash; a login rehashes a password
whose parameters are outdated without revoking anything (the rehash is not a password change)."""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path

from webui.testing import ServerProcess, running_server
from webui.testing.auth import Client, create_user, sql

PASSWORD = "correct horse battery"


async def test_the_event_loop_answers_while_logins_hash(server: ServerProcess, db_url: str) -> None:
    sql(db_url, "update auth.config set ip_budget = 1000")
    create_user(db_url, "eve@example.com", PASSWORD)
    client = Client(server.base_url)
    await client.request("GET", "/healthz")
    logins = [
        asyncio.create_task(client.login("eve@example.com", "wrong password " + str(i)))
        for i in range(8)
    ]
    started = time.perf_counter()
    latencies = []
    while not all(task.done() for task in logins):
        probe = time.perf_counter()
        assert (await client.request("GET", "/healthz")).status == 200
        latencies.append(time.perf_counter() - probe)
    hashing = time.perf_counter() - started
    await asyncio.gather(*logins)
    print(
        f"8 logins took {hashing * 1000:.0f} ms; /healthz during them: "
        f"median {statistics.median(latencies) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms"
        f" over {len(latencies)} probes"
    )
    # a blocked loop answers a handful of probes, each waiting for a whole hash
    assert len(latencies) >= 20
    assert max(latencies) < hashing / 3


async def test_login_rehashes_outdated_parameters_without_revoking(
    server: ServerProcess, db_url: str, tmp_path: Path
) -> None:
    create_user(db_url, "eve@example.com", PASSWORD)
    before = sql(db_url, "select password_hash from auth.users")[0][0]
    assert ",t=3," in before
    first = Client(server.base_url)
    assert (await first.login("eve@example.com", PASSWORD)).status == 200
    with running_server(db_url, tmp_path, env={"PGWARDEN_ARGON2_TIME_COST": "2"}) as cheaper:
        second = Client(cheaper.base_url)
        assert (await second.login("eve@example.com", PASSWORD)).status == 200
    after = sql(db_url, "select password_hash from auth.users")[0][0]
    assert ",t=2," in after and after != before
    assert (await first.request("GET", "/auth/me")).status == 200
    assert sql(
        db_url,
        "select count(*) from audit.events where event like 'password%%'"
        " or event like 'sessions_revoked%%'",
    ) == [(0,)]
    assert (await Client(server.base_url).login("eve@example.com", PASSWORD)).status == 200
