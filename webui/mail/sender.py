"""The outbox sender: drains auth.mail_outbox (FOR UPDATE SKIP LOCKED, in SQL) through a
transport, wakes on NOTIFY pgwarden_mail and polls as a fallback. Any number of processes may
run it; the row locks keep them from sending one mail twice.
Contract: sql/auth/53_mail_outbox.sql."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import psycopg

from webui.core.pool import Pool
from webui.mail.config import MailConfig
from webui.mail.transports import Transport, build_message

log = logging.getLogger("pgwarden.mail")
CHANNEL = "pgwarden_mail"
_CLAIM_SQL = "select id, recipient, subject, body from auth.mail_claim(%s)"
_RESULT_SQL = "select auth.mail_result(%s, %s, %s)"


async def drain_once(pool: Pool, transport: Transport, config: MailConfig, batch: int = 10) -> int:
    """Claims up to `batch` due mails, sends each, records each outcome, commits; returns how
    many were tried."""
    async with pool.connection() as conn, conn.transaction():
        rows = await (await conn.execute(_CLAIM_SQL, [batch])).fetchall()
        for mail_id, recipient, subject, body in rows:
            error = None
            try:
                await transport.send(build_message(config, mail_id, recipient, subject, body))
            except Exception as exc:  # any transport failure is retried with backoff
                error = f"{type(exc).__name__}: {exc}"[:500]
                log.warning("mail %s not sent: %s", mail_id, error)
            await conn.execute(_RESULT_SQL, [mail_id, error is None, error])
    return len(rows)


async def _listen(conninfo: str, wake: asyncio.Event) -> None:
    """Sets `wake` on every NOTIFY pgwarden_mail; reconnects after a failure."""
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
                await conn.execute(f"listen {CHANNEL}")
                wake.set()
                async for _ in conn.notifies():
                    wake.set()
        except (psycopg.Error, OSError) as exc:
            log.warning("mail listener: %s; reconnecting", type(exc).__name__)
            await asyncio.sleep(2)


async def run(pool: Pool, transport: Transport, config: MailConfig) -> None:
    """Drain, then wait for a NOTIFY or the poll interval, forever."""
    wake = asyncio.Event()
    listener = asyncio.create_task(_listen(pool.conninfo, wake))
    try:
        while True:
            try:
                while await drain_once(pool, transport, config):
                    pass
            except (psycopg.Error, OSError) as exc:
                log.warning("mail sender: %s", type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), config.poll_seconds)
            wake.clear()
    finally:
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener
