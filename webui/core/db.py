"""The connection pool and the per-request transaction that tells PostgreSQL who is asking."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web
from psycopg import AsyncConnection

from webui.core.pool import Pool
from webui.core.settings import Settings, connection_kwargs

POOL = web.AppKey("pool", Pool)
SETTINGS = web.AppKey("settings", Settings)

_CONTEXT_SQL = """
select pg_catalog.set_config('role', %(role)s, true),
       pg_catalog.set_config('request.jwt.claims', %(claims)s, true),
       pg_catalog.set_config('request.correlation_id', %(correlation_id)s, true),
       pg_catalog.set_config('request.client_ip', %(client_ip)s, true)
"""


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


async def pool_context(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: open the pool at start-up, close it at shutdown."""
    pool = make_pool(app[SETTINGS])
    await pool.open(wait=False)
    app[POOL] = pool
    yield
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
    async with pool.connection() as conn, conn.transaction():
        await conn.execute(
            _CONTEXT_SQL,
            {
                "role": role,
                "claims": json.dumps(dict(claims or {}), separators=(",", ":")),
                "correlation_id": correlation_id,
                "client_ip": client_ip,
            },
        )
        yield conn
