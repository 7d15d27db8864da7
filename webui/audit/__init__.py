"""The audit trail from Python. The database writes and guards the events (sql/audit/); this
module only passes things on:

- `record_detached()`: a security event of a request that fails (a failed login, a throttle
  lock), committed on its own pool connection so that it survives the request's rollback;
- `seal()` / `verify()` / `tail()`: thin calls used by the CLI and the background sealer;
- `setup(app)`: the background sealer, which links new events into the hash chain every
  `PGWARDEN_AUDIT_SEAL_INTERVAL` seconds (default 5; 0 turns it off).

Doctrine: docs/audit.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from aiohttp import web
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import PoolTimeout

from webui.core.db import POOL
from webui.core.pool import Pool

log = logging.getLogger("pgwarden.audit")

DEFAULT_SEAL_INTERVAL = 5.0

_DETACHED_SQL = """
select audit.record_security_event(
  %(event)s, %(actor_id)s, %(target_table)s, %(target_id)s, %(summary)s, %(metadata)s,
  %(correlation_id)s, %(client_ip)s)
"""


async def record_detached(
    pool: Pool,
    event: str,
    *,
    actor_id: int | None = None,
    target_table: str | None = None,
    target_id: str | None = None,
    summary: str = "",
    metadata: Mapping[str, Any] | None = None,
    correlation_id: str = "",
    client_ip: str = "",
) -> int:
    """Commit one security event in its own transaction and return its id.

    The pool must connect as `authenticator`; the database accepts only the events whose catalog
    row is `detachable` (login_failed, account_locked) and raises `InsufficientPrivilege` for any
    other, `InvalidParameterValue` for a malformed correlation id, client ip or metadata."""
    params = {
        "event": event,
        "actor_id": actor_id,
        "target_table": target_table,
        "target_id": target_id,
        "summary": summary,
        "metadata": Jsonb(dict(metadata or {})),
        "correlation_id": correlation_id,
        "client_ip": client_ip,
    }
    async with pool.connection() as conn, conn.transaction():
        row = await (await conn.execute(_DETACHED_SQL, params)).fetchone()
    assert row is not None
    return int(row[0])


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    first_bad_seq: int | None
    first_bad_event_id: int | None
    problem: str | None
    head: str
    unsealed: int


def verify(conn: psycopg.Connection) -> Verification:
    """audit.verify(): the first broken or missing link, if any."""
    row = conn.execute("select * from audit.verify()").fetchone()
    assert row is not None
    return Verification(*row)


def seal(conn: psycopg.Connection, batch: int = 100_000) -> int:
    """Seal every committed event, `batch` per transaction; returns how many were sealed."""
    total = 0
    while True:
        with conn.transaction():
            row = conn.execute("select audit.seal(%s)", [batch]).fetchone()
        count = int(row[0]) if row else 0
        total += count
        if count < batch:
            return total


def head(conn: psycopg.Connection) -> str:
    """The chain's head hash (hex), without verifying the chain."""
    row = conn.execute("select encode(head, 'hex') from audit.seal_state").fetchone()
    assert row is not None
    return str(row[0])


def is_link(conn: psycopg.Connection, anchor_hex: str) -> bool:
    """Whether a head recorded earlier (hex) is still a link of the chain."""
    row = conn.execute(
        "select exists (select 1 from audit.seals where hash = decode(%s, 'hex'))", [anchor_hex]
    ).fetchone()
    return bool(row and row[0])


@dataclass(frozen=True)
class TailFilter:
    since: datetime | None = None
    event: str | None = None
    actor: int | None = None
    after_id: int = 0
    limit: int = 50


_TAIL_SQL = """
select id, occurred_at, event, actor_id, db_role, set_role, correlation_id,
       host(client_ip) as client_ip, target_table, target_id, summary, metadata
  from (select * from audit.events
         where id > %(after_id)s
           and (%(since)s::timestamptz is null or occurred_at >= %(since)s)
           and (%(event)s::text is null or event = %(event)s)
           and (%(actor)s::bigint is null or actor_id = %(actor)s)
         order by id desc
         limit %(limit)s) recent
 order by id
"""


def tail(conn: psycopg.Connection, selection: TailFilter) -> list[dict[str, Any]]:
    """The latest events matching the filter, oldest first."""
    params = {
        "since": selection.since,
        "event": selection.event,
        "actor": selection.actor,
        "after_id": selection.after_id,
        "limit": selection.limit,
    }
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(_TAIL_SQL, params).fetchall()


def known_events(conn: psycopg.Connection) -> set[str]:
    return {row[0] for row in conn.execute("select id from audit.event_types").fetchall()}


def seal_interval() -> float:
    raw = os.environ.get("PGWARDEN_AUDIT_SEAL_INTERVAL", "")
    try:
        return max(0.0, float(raw)) if raw else DEFAULT_SEAL_INTERVAL
    except ValueError:
        log.warning(
            "PGWARDEN_AUDIT_SEAL_INTERVAL=%r is not a number; using %s", raw, DEFAULT_SEAL_INTERVAL
        )
        return DEFAULT_SEAL_INTERVAL


async def seal_once(pool: Pool) -> int:
    async with pool.connection(timeout=5) as conn, conn.transaction():
        row = await (await conn.execute("select audit.seal()")).fetchone()
    return int(row[0]) if row else 0


async def _sealer(pool: Pool, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            await seal_once(pool)
        except (psycopg.Error, PoolTimeout) as exc:
            log.warning("audit sealer: %s", str(exc).strip().splitlines()[0] if str(exc) else exc)


async def sealer_context(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: run the background sealer while the app runs."""
    interval = seal_interval()
    task = asyncio.create_task(_sealer(app[POOL], interval)) if interval > 0 else None
    yield
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def setup(app: web.Application) -> None:
    app.cleanup_ctx.append(sealer_context)
