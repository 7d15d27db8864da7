"""One transaction per request, pipelined: BEGIN, the request context (role, claims, method, path,
headers, cookies, correlation id), the pre-request call, the statement(s), and for reads the
COMMIT, all in one network round trip. Writes look at their result before COMMIT or ROLLBACK."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from webui.rest.build import Frag
from webui.rest.errors import ApiError, from_database

CONTEXT_SQL = (
    "select pg_catalog.set_config('role', %s, true),"
    " pg_catalog.set_config('request.jwt.claims', %s, true),"
    " pg_catalog.set_config('request.method', %s, true),"
    " pg_catalog.set_config('request.path', %s, true),"
    " pg_catalog.set_config('request.headers', %s, true),"
    " pg_catalog.set_config('request.cookies', %s, true),"
    " pg_catalog.set_config('request.correlation_id', %s, true),"
    " pg_catalog.set_config('request.client_ip', %s, true), true"
)
# A pgwarden session resolved in the same statement; an unknown token leaves the anon role.
SESSION_CONTEXT_SQL = (
    "with s as (select r.user_id, r.tier, r.session_id from auth.resolve_session(%s) r limit 1)"
    " select pg_catalog.set_config('role', coalesce((select 'pgw_' || s.tier from s), %s), true),"
    " pg_catalog.set_config('request.jwt.claims', coalesce((select pg_catalog.json_build_object("
    "'sub', s.user_id::text, 'role', 'pgw_' || s.tier, 'tier', s.tier,"
    " 'sid', s.session_id::text)::text from s), '{}'), true),"
    " pg_catalog.set_config('request.method', %s, true),"
    " pg_catalog.set_config('request.path', %s, true),"
    " pg_catalog.set_config('request.headers', %s, true),"
    " pg_catalog.set_config('request.cookies', %s, true),"
    " pg_catalog.set_config('request.correlation_id', %s, true),"
    " pg_catalog.set_config('request.client_ip', %s, true), exists (select 1 from s)"
)


@dataclass
class Context:
    role: str
    claims_json: str
    method: str
    path: str
    headers_json: str
    cookies_json: str
    correlation_id: str
    client_ip: str
    authenticated: bool
    session_token: str | None = None
    session_required: bool = False  # a bearer session token must resolve, else 401
    pre_request: str | None = None  # pre-quoted function name

    def statement(self) -> tuple[str, tuple[Any, ...]]:
        tail = (
            self.method,
            self.path,
            self.headers_json,
            self.cookies_json,
            self.correlation_id,
            self.client_ip,
        )
        if self.session_token is not None:
            return SESSION_CONTEXT_SQL, (self.session_token, self.role, *tail)
        return CONTEXT_SQL, (self.role, self.claims_json, *tail)


@dataclass
class Outcome:
    rows: list[list[tuple[Any, ...]]]
    rowcounts: list[int]
    session_resolved: bool


async def run(
    pool: AsyncConnectionPool,
    context: Context,
    statements: Sequence[Frag],
    *,
    read_only: bool,
    decide: Any = None,
    acquire_timeout: float = 10.0,
) -> Outcome:
    """Run the statements in one transaction. `decide(outcome) -> bool` (commit?) for writes;
    it may raise ApiError, which rolls back."""
    try:
        async with pool.connection(timeout=acquire_timeout) as conn:
            return await _transaction(conn, context, statements, read_only, decide)
    except PoolTimeout:
        raise ApiError(
            504, "PGRST003", "Timed out acquiring connection from connection pool."
        ) from None
    except psycopg.OperationalError as exc:
        if exc.sqlstate is None:
            raise ApiError(
                503, "PGRST001", "Database client error. Retrying the connection."
            ) from None
        raise from_database(exc, context.authenticated) from None


async def _transaction(
    conn: AsyncConnection[Any],
    context: Context,
    statements: Sequence[Frag],
    read_only: bool,
    decide: Any,
) -> Outcome:
    cursors: list[Any] = []
    context_cursor: Any = None
    try:
        async with conn.pipeline():
            await conn.execute(
                "begin isolation level read committed read only" if read_only else "begin"
            )
            sql_text, params = context.statement()
            context_cursor = await conn.execute(sql_text, params)
            if context.pre_request:
                await conn.execute(f"select {context.pre_request}()")
            for statement in statements:
                cursors.append(await conn.execute(statement.text, statement.params))
            if decide is None:
                await conn.execute("commit")
    except psycopg.Error as exc:
        resolved = await _session_resolved(context_cursor)
        await _rollback(conn)
        if isinstance(exc, psycopg.OperationalError) and exc.sqlstate is None:
            raise
        _require_session(context, resolved)
        raise from_database(exc, context.authenticated and resolved) from None
    outcome = await _collect(context_cursor, cursors)
    if decide is not None:
        await _finish(
            conn, outcome, lambda o: _require_session(context, o.session_resolved) or decide(o)
        )
    else:
        _require_session(context, outcome.session_resolved)
    return outcome


async def _session_resolved(context_cursor: Any) -> bool:
    """Whether the context statement resolved a session (True when no session was involved)."""
    try:
        row = await context_cursor.fetchone()
    except (psycopg.Error, AttributeError, TypeError):
        return False
    return bool(row and row[-1])


def _require_session(context: Context, resolved: bool) -> None:
    if context.session_required and not resolved:
        raise ApiError(
            401,
            "PGRST301",
            "Invalid or expired session token",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )


async def _collect(context_cursor: Any, cursors: list[Any]) -> Outcome:
    context_row = await context_cursor.fetchone()
    rows = [await c.fetchall() if c.description else [] for c in cursors]
    return Outcome(rows, [c.rowcount for c in cursors], bool(context_row and context_row[-1]))


async def _finish(conn: AsyncConnection[Any], outcome: Outcome, decide: Any) -> None:
    try:
        commit = decide(outcome)
    except ApiError:
        await _rollback(conn)
        raise
    try:
        await conn.execute("commit" if commit else "rollback")
    except psycopg.Error as exc:
        await _rollback(conn)
        raise from_database(exc, True) from None


async def _rollback(conn: AsyncConnection[Any]) -> None:
    with contextlib.suppress(psycopg.Error):
        await conn.execute("rollback")
