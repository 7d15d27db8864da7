"""The connection pool and the per-request transaction that tells PostgreSQL who is asking."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from psycopg import AsyncConnection

from webui.core.pool import Pool
from webui.core.replica import READS, ReadRouter, StandbyPool
from webui.core.settings import Settings, connection_kwargs

POOL = web.AppKey("pool", Pool)
SETTINGS = web.AppKey("settings", Settings)

# The request context has one owner, SQL (sql/pgwarden/30_begin_request.sql); this is its one
# Python caller. Its single column says whether a session token was used (true without one).
_BEGIN_REQUEST = (
    "select true as session_used"
    " from pgwarden.begin_request(%s, %s::jsonb, %s, %s, %s::jsonb, %s::jsonb, %s, %s, %s)"
)
_BEGIN_SESSION_REQUEST = (
    "select pgwarden.begin_session_request("
    "%s, %s, %s, %s, %s::jsonb, %s::jsonb, %s, %s, %s, %s::text[]) as session_used"
)


@dataclass(frozen=True)
class RequestContext:
    """Who is asking and about what: everything `pgwarden.begin_request()` sets."""

    role: str = "pgw_anon"
    claims_json: str = "{}"
    method: str = ""
    path: str = ""
    headers_json: str = "{}"
    cookies_json: str = "{}"
    correlation_id: str = ""
    client_ip: str = ""
    session_token: str | None = None  # when set, the session decides role and claims
    # the tiers PGWARDEN_MFA requires to enrol: such a session without a second factor gets no
    # data access until it has one (webui.core.mfa_policy; SQL decides)
    mfa_required_tiers: tuple[str, ...] = ()

    def begin(self, read_only: bool = False) -> tuple[str, tuple[Any, ...]]:
        """The statement (and its parameters) that starts the request in a transaction."""
        tail = (
            self.method,
            self.path,
            self.headers_json,
            self.cookies_json,
            self.correlation_id,
            self.client_ip,
            read_only,
        )
        if self.session_token is not None:
            tiers = "{" + ",".join(self.mfa_required_tiers) + "}"  # tier names: an array literal
            return _BEGIN_SESSION_REQUEST, (self.session_token, self.role, *tail, tiers)
        return _BEGIN_REQUEST, (self.role, self.claims_json, *tail)


async def _configure(conn: AsyncConnection) -> None:
    await conn.set_autocommit(True)


def make_pool(settings: Settings) -> Pool:
    return Pool(
        settings.app_database_url,
        min_size=settings.pool_min,
        max_size=settings.pool_max,
        configure=_configure,
        kwargs=connection_kwargs(settings.statement_timeout_ms),
    )


def make_standby_pool(settings: Settings) -> StandbyPool:
    """The hot standby's pool: a standby that does not answer within 2 s is skipped."""
    kwargs = {**connection_kwargs(settings.statement_timeout_ms), "connect_timeout": 2}
    return StandbyPool(
        settings.read_database_url,
        min_size=settings.pool_min,
        max_size=settings.pool_max,
        configure=_configure,
        kwargs=kwargs,
        timeout=2.0,
    )


async def pool_context(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: open the pool at start-up, close it at shutdown."""
    settings = app[SETTINGS]
    pool = make_pool(settings)
    await pool.open(wait=False)
    app[POOL] = pool
    standby = None
    if settings.read_database_url:
        standby = make_standby_pool(settings)
        await standby.open(wait=False)
    reads = ReadRouter(pool, standby, settings.read_max_lag, settings.secret_key.encode())
    app[READS] = reads
    reads.start()
    yield
    await reads.stop()
    if standby is not None:
        await standby.close()
    await pool.close()


@asynccontextmanager
async def request_transaction(
    pool: Pool,
    *,
    role: str = "pgw_anon",
    claims: Mapping[str, Any] | None = None,
    correlation_id: str = "",
    client_ip: str = "",
) -> AsyncIterator[AsyncConnection]:
    """One transaction as `role`, with the request's context set transaction-locally in one round
    trip. Everything inside runs under that role's grants and RLS, audited as this request."""
    context = RequestContext(
        role=role,
        claims_json=json.dumps(dict(claims or {}), separators=(",", ":")),
        correlation_id=correlation_id,
        client_ip=client_ip,
    )
    async with pool.connection() as conn, conn.transaction():
        await conn.execute(*context.begin())
        yield conn
