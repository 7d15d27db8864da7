"""Read routing to a hot standby, with read-your-writes (docs/operations.md#read-replicas).

With `PGWARDEN_READ_DATABASE_URL` set, a request that only reads (REST `GET`/`HEAD`, an RPC of a
stable or immutable function, the admin's changelists, which are REST `GET`s) runs on the standby,
unless one of these sends it to the primary:

- the client wrote recently: every successful write answers with the primary's WAL position
  (`pg_current_wal_insert_lsn()` after the commit), signed, in the `pgw_lsn` cookie and the
  `Pgwarden-Lsn` response header; a request carrying it (cookie, or the header sent back by an
  API client that opts in) reads from the primary until the standby's
  `pg_last_wal_replay_lsn()` has passed it;
- the standby lags more than `PGWARDEN_READ_MAX_LAG` seconds (default 5), is not in recovery,
  or does not answer: reads fall back to the primary, never to a 5xx.

The standby's state is probed at most every `PROBE_INTERVAL` seconds per process, not per
request. Sessions are resolved on the standby without the `last_seen_at` touch (a standby
cannot write); the tokens seen there are touched on the primary in one batch per second.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import re
import time
from dataclasses import dataclass, field

from aiohttp import web

from webui.core.pool import Pool, describe_failure

log = logging.getLogger("pgwarden.reads")

LSN_COOKIE = "pgw_lsn"
LSN_HEADER = "Pgwarden-Lsn"
READ_POOL = "pgwarden.read_pool"  # request key: the pool this request's reads use
ON_STANDBY = "pgwarden.on_standby"  # request key: True when that pool is the standby's
PROBE_INTERVAL = 0.25
TOUCH_INTERVAL = 1.0
MAX_PENDING_TOUCHES = 10_000
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,128}$")
_LSN = re.compile(r"^[0-9A-F]{1,8}-[0-9A-F]{1,8}$")  # `/` written as `-`: a plain cookie value

# One round trip: is it a standby, how far has it replayed, and how stale is that replay (zero
# when it has replayed all it received: an idle primary is not lag).
PROBE_SQL = """
select pg_catalog.pg_is_in_recovery(),
       pg_catalog.pg_last_wal_replay_lsn()::text,
       case when pg_catalog.pg_last_wal_receive_lsn() is not distinct from
                 pg_catalog.pg_last_wal_replay_lsn() then 0
            else coalesce(extract(epoch from pg_catalog.now()
                                  - pg_catalog.pg_last_xact_replay_timestamp()), 0) end::float8
"""
# the insert position: past the commit record even when synchronous_commit = off has not
# written it yet (pg_current_wal_lsn(), the write position, can be before it then)
PRIMARY_LSN_SQL = "select pg_catalog.pg_current_wal_insert_lsn()::text"
# resolve_session() on the primary slides the idle expiry of the sessions used on the standby
TOUCH_SQL = (
    "select count(*) from pg_catalog.unnest(%s::text[]) as t(token),"
    " auth.resolve_session(t.token) as s"
)


def lsn_value(text: str) -> int:
    """`16/B374D848` as a number, for comparing WAL positions."""
    high, low = text.split("/")
    return (int(high, 16) << 32) + int(low, 16)


class StandbyPool(Pool):
    """The standby's pool. A read whose connection fails here runs again on `fallback` (the
    primary's pool), and the standby is skipped until the next probe finds it well."""

    fallback: Pool | None = None
    router: ReadRouter | None = None

    def failed(self) -> None:
        if self.router is not None:
            self.router.state = StandbyState(False, 0, 0.0, time.monotonic(), "a read failed")


@dataclass
class StandbyState:
    usable: bool = False
    replay_lsn: int = 0
    lag: float = 0.0
    checked_at: float = -1e9
    reason: str = "not probed yet"


@dataclass
class ReadRouter:
    primary: Pool
    standby: StandbyPool | None
    max_lag: float
    secret: bytes
    state: StandbyState = field(default_factory=StandbyState)
    touches: set[str] = field(default_factory=set)
    _probing: asyncio.Lock = field(default_factory=asyncio.Lock)
    _toucher: asyncio.Task[None] | None = None

    # --- the signed LSN token ------------------------------------------------------------
    def sign(self, lsn: str) -> str:
        """`16/B374D848` as the token `16-B374D848.<mac>` (HMAC-SHA-256, 128 bits shown)."""
        plain = lsn.replace("/", "-")
        mac = hmac.new(self.secret, f"pgw-lsn:{plain}".encode(), hashlib.sha256).hexdigest()
        return f"{plain}.{mac[:32]}"

    def verified_lsn(self, token: str | None) -> int | None:
        """The WAL position of a token this server signed, else None (ignored, never an error)."""
        if not token or "." not in token:
            return None
        plain = token.partition(".")[0]
        if not _LSN.match(plain) or not hmac.compare_digest(self.sign(plain), token):
            return None
        return lsn_value(plain.replace("-", "/"))

    # --- routing -------------------------------------------------------------------------
    async def pool_for_read(self, written_lsn: int | None) -> tuple[Pool, bool]:
        """The pool a read runs on, and whether it is the standby's."""
        if self.standby is None:
            return self.primary, False
        state = await self.probe()
        if not state.usable or state.lag > self.max_lag:
            return self.primary, False
        if written_lsn is not None and state.replay_lsn < written_lsn:
            return self.primary, False
        return self.standby, True

    async def probe(self) -> StandbyState:
        """The standby's state, probed at most every PROBE_INTERVAL seconds."""
        if time.monotonic() - self.state.checked_at < PROBE_INTERVAL:
            return self.state
        async with self._probing:
            if time.monotonic() - self.state.checked_at >= PROBE_INTERVAL:
                self.state = await self._probe_now()
        return self.state

    async def _probe_now(self) -> StandbyState:
        assert self.standby is not None
        now = time.monotonic()
        try:
            async with self.standby.connection(timeout=1.0) as conn:
                cursor = await conn.execute(PROBE_SQL)
                row = await cursor.fetchone()
        except Exception as exc:
            if self.state.usable:
                log.warning("standby skipped, reads go to the primary: %s", describe_failure(exc))
            return StandbyState(False, 0, 0.0, now, describe_failure(exc))
        if not row or not row[0] or row[1] is None:
            return StandbyState(False, 0, 0.0, now, "not in recovery: not a standby")
        return StandbyState(True, lsn_value(row[1]), float(row[2]), now, "streaming")

    async def primary_lsn(self) -> str | None:
        try:
            async with self.primary.connection(timeout=2.0) as conn:
                cursor = await conn.execute(PRIMARY_LSN_SQL)
                row = await cursor.fetchone()
        except Exception as exc:
            log.warning("no WAL position after a write: %s", describe_failure(exc))
            return None
        return str(row[0]) if row else None

    # --- the deferred session touch ------------------------------------------------------
    def remember_session(self, token: str | None) -> None:
        if token and _TOKEN.match(token) and len(self.touches) < MAX_PENDING_TOUCHES:
            self.touches.add(token)

    async def touch_sessions(self) -> int:
        """Touch, on the primary, the sessions used on the standby since the last batch."""
        if not self.touches:
            return 0
        batch, self.touches = sorted(self.touches), set()
        try:
            async with self.primary.connection(timeout=5.0) as conn:
                cursor = await conn.execute(TOUCH_SQL, [batch])
                row = await cursor.fetchone()
        except Exception as exc:
            log.warning("session touch batch failed: %s", describe_failure(exc))
            return 0
        return int(row[0]) if row else 0

    async def _touch_loop(self) -> None:
        while True:
            await asyncio.sleep(TOUCH_INTERVAL)
            await self.touch_sessions()

    def start(self) -> None:
        if self.standby is not None:
            self.standby.fallback, self.standby.router = self.primary, self
            self._toucher = asyncio.create_task(self._touch_loop())

    async def stop(self) -> None:
        if self._toucher is not None:
            self._toucher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._toucher
        await self.touch_sessions()


READS = web.AppKey("reads", ReadRouter)
