"""One transaction per request, pipelined: the request context (role, claims, method, path,
headers, cookies, correlation id), the pre-request call and the statement(s) go out together
with one Sync, so a read is one network round trip in the pipeline's implicit transaction.
Writes run inside BEGIN and look at their result before COMMIT or ROLLBACK (a second trip)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import AsyncConnection
from psycopg_pool import PoolTimeout

from webui.core.pool import Pool
from webui.rest import wire
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
    " pg_catalog.set_config('request.client_ip', %s, true){read_only}, true"
)
# A pgwarden session resolved in the same statement; an unknown token leaves the anon role. A
# session whose user must change their password gives no data access until they have (RustIO's
# forced rotation: only /auth/password, /auth/logout and /auth/sessions serve it).
SESSION_CONTEXT_SQL = (
    "with s as (select r.user_id, r.tier, r.session_id from auth.resolve_session(%s) r"
    " where not r.must_change_password limit 1)"
    " select pg_catalog.set_config('role', coalesce((select 'pgw_' || s.tier from s), %s), true),"
    " pg_catalog.set_config('request.jwt.claims', coalesce((select pg_catalog.json_build_object("
    "'sub', s.user_id::text, 'role', 'pgw_' || s.tier, 'tier', s.tier,"
    " 'sid', s.session_id::text)::text from s),"
    " pg_catalog.json_build_object('role', %s::text)::text), true),"
    " pg_catalog.set_config('request.method', %s, true),"
    " pg_catalog.set_config('request.path', %s, true),"
    " pg_catalog.set_config('request.headers', %s, true),"
    " pg_catalog.set_config('request.cookies', %s, true),"
    " pg_catalog.set_config('request.correlation_id', %s, true),"
    " pg_catalog.set_config('request.client_ip', %s, true){read_only}, exists (select 1 from s)"
)
TIMEZONE_SQL = "select pg_catalog.set_config('timezone', %s, true)"
# Reads also turn the transaction read-only, in the same statement (never turned off: a hot
# standby refuses that).
_READ_ONLY_COLUMN = ", pg_catalog.set_config('transaction_read_only', 'on', true)"
_VARIANTS = {
    (sql, read_only): sql.replace("{read_only}", _READ_ONLY_COLUMN if read_only else "")
    for sql in (CONTEXT_SQL, SESSION_CONTEXT_SQL)
    for read_only in (False, True)
}


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
    timezone: str | None = None  # Prefer: timezone=…

    def statement(self, read_only: bool = False) -> tuple[str, tuple[Any, ...]]:
        tail = (
            self.method,
            self.path,
            self.headers_json,
            self.cookies_json,
            self.correlation_id,
            self.client_ip,
        )
        if self.session_token is not None:
            params = (self.session_token, self.role, self.role, *tail)
            return _VARIANTS[SESSION_CONTEXT_SQL, read_only], params
        return _VARIANTS[CONTEXT_SQL, read_only], (self.role, self.claims_json, *tail)


@dataclass
class Outcome:
    rows: list[list[list[bytes | None]]]  # per statement: rows of raw text values
    rowcounts: list[int]
    session_resolved: bool

    def value(self, statement: int = -1, column: int = 0) -> bytes | None:
        rows = self.rows[statement]
        return rows[0][column] if rows else None

    def integer(self, statement: int = -1, column: int = 0) -> int | None:
        value = self.value(statement, column)
        return None if value is None else int(value)


BEGIN, COMMIT, ROLLBACK = Frag("begin"), Frag("commit"), Frag("rollback")


async def run(
    pool: Pool,
    context: Context,
    statements: Sequence[Frag],
    *,
    read_only: bool,
    decide: Callable[[Outcome], bool] | None = None,
    acquire_timeout: float = 10.0,
) -> Outcome:
    """Run the statements in one transaction as the request's role. Without `decide` the
    transaction is the pipeline's implicit one (one round trip); with it, `decide(outcome)` says
    commit (True) or roll back (False) and may raise ApiError, which rolls back."""
    try:
        async with pool.connection(timeout=acquire_timeout) as conn:
            if decide is None:
                return await _implicit(conn, context, statements, read_only)
            return await _explicit(conn, context, statements, decide)
    except PoolTimeout:
        message = "Timed out acquiring connection from connection pool."
        raise ApiError(504, "PGRST003", message) from None
    except psycopg.OperationalError:
        raise ApiError(503, "PGRST001", "Database client error. Retrying the connection.") from None


def _prologue(context: Context, read_only: bool) -> list[Frag]:
    text, params = context.statement(read_only)
    queued = [Frag(text, params)]
    if context.timezone:
        queued.append(Frag(TIMEZONE_SQL, (context.timezone,)))
    if context.pre_request:
        queued.append(Frag(f"select {context.pre_request}()"))
    return queued


async def _implicit(
    conn: AsyncConnection[Any], context: Context, statements: Sequence[Frag], read_only: bool
) -> Outcome:
    prologue = _prologue(context, read_only)
    try:
        results = await wire.execute(conn, [*prologue, *statements])
    except wire.DatabaseError as exc:
        raise _mapped(context, exc) from None
    return _outcome(context, results, len(prologue))


async def _explicit(
    conn: AsyncConnection[Any],
    context: Context,
    statements: Sequence[Frag],
    decide: Callable[[Outcome], bool],
) -> Outcome:
    prologue = [BEGIN, *_prologue(context, False)]
    try:
        results = await wire.execute(conn, [*prologue, *statements])
    except wire.DatabaseError as exc:
        await _rollback(conn)
        raise _mapped(context, exc) from None
    try:
        outcome = _outcome(context, results, len(prologue), check=False)
        _require_session(context, outcome.session_resolved)
        commit = decide(outcome)
    except ApiError:
        await _rollback(conn)
        raise
    try:
        await wire.execute(conn, [COMMIT if commit else ROLLBACK])
    except wire.DatabaseError as exc:  # a deferred constraint fails at commit
        await _rollback(conn)
        raise from_database(exc, True) from None
    return outcome


def _mapped(context: Context, exc: wire.DatabaseError) -> ApiError:
    """A failed statement as the client's error. A caller is authenticated by a verified JWT or
    by a session that resolved in the context statement (bearer or cookie alike): their `42501`
    is 403, as PostgREST answers a JWT's, and its DETAIL (`role_ceiling`, …) passes on. Only a
    bearer session that did not resolve is 401 `PGRST301`."""
    resolved = context.session_token is not None and _resolved(exc.completed, len(exc.completed))
    if context.session_required and exc.completed:
        _require_session(context, resolved)
    return from_database(exc, context.authenticated or resolved)


def _outcome(
    context: Context, results: list[wire.Result], skip: int, check: bool = True
) -> Outcome:
    resolved = _resolved(results, skip)
    rest = results[skip:]
    outcome = Outcome([r.rows for r in rest], [r.affected for r in rest], resolved)
    if check:
        _require_session(context, resolved)
    return outcome


def _resolved(results: list[wire.Result], skip: int) -> bool:
    """The context statement's last column: whether a session resolved (true without one)."""
    for result in results[:skip]:
        if result.rows and len(result.rows[0]) >= 8:
            return result.rows[0][-1] == b"t"
    return False


def _require_session(context: Context, resolved: bool) -> None:
    if context.session_required and not resolved:
        raise ApiError(
            401,
            "PGRST301",
            "Invalid or expired session token",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )


async def _rollback(conn: AsyncConnection[Any]) -> None:
    with contextlib.suppress(wire.DatabaseError, psycopg.Error):
        await wire.execute(conn, [ROLLBACK])
