"""50 concurrent writers through the app's pool (as authenticator, switching to a tier per
request, as webui.core.db.request_transaction does) on an audited table, while a sealer runs:
afterwards every committed change has exactly one event with its request's context, rolled-back
work left none, and the chain verifies with nothing left unsealed."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from webui import audit
from webui.core.db import request_transaction
from webui.core.settings import app_url_for

WRITERS = 50
ROUNDS = 6


class Rollback(Exception):
    """Raised inside a request on purpose: its transaction must leave no event."""


def _prepare(db: psycopg.Connection) -> None:
    db.autocommit = True
    db.execute("create table public.ledger (id bigint primary key, owner text, amount int)")
    db.execute("grant select, insert, update, delete on public.ledger to pgw_staff")
    db.execute("select audit.enable('public.ledger')")


async def _writer(
    pool: AsyncConnectionPool, writer: int, expected: Counter[tuple[str, str]]
) -> None:
    rng = random.Random(writer)
    for round_ in range(ROUNDS):
        base = writer * 1000 + round_ * 10
        correlation = f"w{writer:03d}-r{round_:02d}-{'x' * 8}"
        fail = rng.random() < 0.25
        claims = {"sub": str(writer + 1), "role": "pgw_staff", "sid": str(writer)}
        try:
            async with request_transaction(
                pool,
                role="pgw_staff",
                claims=claims,
                correlation_id=correlation,
                client_ip="127.0.0.1",
            ) as conn:
                await conn.execute(
                    "insert into public.ledger values (%s, %s, 1), (%s, %s, 2)",
                    [base, f"w{writer}", base + 1, f"w{writer}"],
                )
                await conn.execute(
                    "update public.ledger set amount = amount + 5 where id = %s", [base]
                )
                await conn.execute("update public.ledger set amount = amount where id = %s", [base])
                await conn.execute("delete from public.ledger where id = %s", [base + 1])
                if fail:
                    raise Rollback
        except Rollback:
            continue
        expected[(correlation, "create")] += 2
        expected[(correlation, "update")] += 1
        expected[(correlation, "delete")] += 1


async def _sealer(pool: AsyncConnectionPool, stop: asyncio.Event) -> int:
    runs = 0
    while not stop.is_set():
        await audit.seal_once(pool)
        runs += 1
        await asyncio.sleep(0.02)
    return runs


@pytest.mark.slow
async def test_fifty_concurrent_writers_each_change_one_event_and_chain_verifies(
    db: psycopg.Connection, db_url: str
) -> None:
    _prepare(db)
    expected: Counter[tuple[str, str]] = Counter()
    async with AsyncConnectionPool(
        app_url_for(db_url),
        min_size=WRITERS,
        max_size=WRITERS + 2,
        open=False,
        kwargs={"autocommit": True},
    ) as pool:
        await pool.open(wait=True)
        stop = asyncio.Event()
        sealer = asyncio.create_task(_sealer(pool, stop))
        await asyncio.gather(*(_writer(pool, w, expected) for w in range(WRITERS)))
        stop.set()
        assert await sealer > 0

    rows = db.execute(
        "select correlation_id, event, count(*) from audit.events "
        "where target_table = 'public.ledger' and event <> 'audit_enabled' group by 1, 2"
    ).fetchall()
    found = Counter({(corr, event): n for corr, event, n in rows})
    assert found == expected
    committed = {corr for corr, _ in expected}
    assert 0 < len(committed) < WRITERS * ROUNDS, "some requests committed and some rolled back"

    contexts = db.execute(
        "select distinct correlation_id, actor_id, session_id, set_role, db_role, client_ip::text "
        "from audit.events where target_table = 'public.ledger' and event <> 'audit_enabled'"
    ).fetchall()
    for corr, actor, session, set_role, db_role, ip in contexts:
        writer = int(corr[1:4])
        assert (actor, session, set_role, db_role, ip) == (
            writer + 1,
            writer,
            "pgw_staff",
            "authenticator",
            "127.0.0.1/32",
        ), corr

    audit.seal(db)
    result = audit.verify(db)
    assert result.ok, result
    assert result.unsealed == 0
    sealed_once = db.execute(
        "select count(*) = count(distinct event_id) "
        "   and count(*) = (select count(*) from audit.events) from audit.seals"
    ).fetchone()
    assert sealed_once == (True,), "every event is sealed exactly once"
