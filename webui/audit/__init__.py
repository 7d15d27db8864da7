"""The audit trail from Python. The database writes and guards the events (sql/audit/); this
module only passes things on:

- `record_detached()`: a security event of a request that fails (a failed login, a throttle
  lock), committed on its own pool connection so that it survives the request's rollback;
- `seal()` / `verify()` / `tail()`: thin calls used by the CLI.

Sealing in the background is the `audit_seal` scheduled job (pg_cron or one elected app process:
webui/ops/jobs.py), no longer a loop in every app process.

Doctrine: docs/audit.md.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from webui.core.pool import Pool

log = logging.getLogger("pgwarden.audit")

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


async def seal_once(pool: Pool) -> int:
    async with pool.connection(timeout=5) as conn, conn.transaction():
        row = await (await conn.execute("select audit.seal()")).fetchone()
    return int(row[0]) if row else 0
