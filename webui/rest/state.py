"""What a running dialect holds: its configuration, the JWT verifier, the schema cache."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field

from aiohttp import web
from psycopg import AsyncConnection

from webui.core.mfa_policy import MfaPolicy
from webui.core.pool import Pool, describe_failure
from webui.rest import limits as list_limits
from webui.rest import schema
from webui.rest.auth import JwtVerifier
from webui.rest.config import RestConfig
from webui.rest.errors import ApiError, set_known_constraints
from webui.rest.schema import SchemaCache, quote

log = logging.getLogger("pgwarden.rest")


@dataclass
class RestState:
    config: RestConfig
    verifier: JwtVerifier
    prefix: str
    pool: Pool | None = None
    cache: SchemaCache | None = None
    listener: asyncio.Task[None] | None = None
    reloads: int = 0
    limits: list_limits.Limits = field(default_factory=dict)  # declared list limits
    # PGWARDEN_MFA's tiers: their sessions without a second factor read as anonymous
    mfa_required_tiers: tuple[str, ...] = field(
        default_factory=lambda: MfaPolicy.from_environment().required_tiers
    )

    @property
    def pre_request(self) -> str | None:
        name = self.config.db_pre_request
        if not name:
            return None
        return ".".join(quote(part) for part in name.split(".", 1))

    def schema_cache(self) -> SchemaCache:
        if self.cache is None:
            raise ApiError(
                503, "PGRST002", "Could not query the database for the schema cache. Retrying."
            )
        return self.cache

    async def reload(self) -> None:
        assert self.pool is not None
        async with self.pool.connection() as conn:
            self.cache = await schema.load(conn, self.config.db_schemas)
            self.cache.loaded_at = time.time()
            set_known_constraints(await _constraint_messages(conn, self.config.db_schemas))
            self.limits = await list_limits.load(conn, self.config.db_schemas)
        self.reloads += 1
        log.info(
            "schema cache loaded: %d relations, %d functions",
            len(self.cache.tables),
            len(self.cache.functions),
        )


_MESSAGES_SQL = """
select m.schema_name, m.table_name, m.constraint_name, m.message, m.hint
  from pgwarden.constraint_messages m where m.schema_name = any(%s)
"""


async def _constraint_messages(
    conn: AsyncConnection, schemas: tuple[str, ...]
) -> list[tuple[str, str, str, str, str | None]]:
    """The known constraints of the exposed schemas (none before that change is deployed)."""
    probe = await conn.execute("select to_regclass('pgwarden.constraint_messages') is not null")
    found = await probe.fetchone()
    if not found or not found[0]:
        return []
    cursor = await conn.execute(_MESSAGES_SQL, [list(schemas)])
    return list(await cursor.fetchall())


REST = web.AppKey("rest", RestState)


async def listen(state: RestState, conninfo: str) -> None:
    """LISTEN on the channel; 'reload schema' (or an empty payload) reloads the cache."""
    reconnect = state.cache is None
    while True:
        try:
            async with await AsyncConnection.connect(conninfo, autocommit=True) as conn:
                await conn.execute(f"listen {quote(state.config.db_channel)}")
                if reconnect:
                    await state.reload()  # anything missed while not listening
                reconnect = True
                async for notice in conn.notifies():
                    if notice.payload in ("", "reload schema"):
                        await state.reload()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning(
                "schema listener: %s; retrying in 1s (check DATABASE_URL and that the server runs)",
                describe_failure(exc),
            )
            await asyncio.sleep(1)
