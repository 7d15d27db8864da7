"""Stage 3 of a request (parse → build → **run** → respond): statements → named results.

One transaction per request, pipelined: the request context (role, claims, method, path,
headers, cookies, correlation id), the pre-request call and the statement(s) go out together
with one Sync, so a read is one network round trip in the pipeline's implicit transaction.
Writes run inside BEGIN and look at their result before COMMIT or ROLLBACK (a second trip).

Every statement says what its columns are (`Statement.layout`); the runner hands back one
`Result` (webui/rest/statements.py) per statement, by name, so no caller counts columns."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import psycopg
from psycopg import AsyncConnection
from psycopg_pool import PoolTimeout

from webui.core.db import RequestContext
from webui.core.pool import Pool
from webui.core.replica import StandbyPool
from webui.rest import wire
from webui.rest.build import Frag
from webui.rest.errors import ApiError, from_database
from webui.rest.statements import Result, Statement

TIMEZONE_SQL = "select pg_catalog.set_config('timezone', %s, true)"


@dataclass(frozen=True)
class Context(RequestContext):
    """The request context (`webui.core.db.RequestContext`) and what the dialect adds to it."""

    authenticated: bool = False
    session_required: bool = False  # a bearer session token must resolve, else 401
    pre_request: str | None = None  # pre-quoted function name
    timezone: str | None = None  # Prefer: timezone=…


@dataclass
class Outcome:
    results: list[Result]  # one per statement, in the order given
    session_resolved: bool

    @property
    def result(self) -> Result:
        """The last statement's: the one that answers the request."""
        return self.results[-1]


@dataclass(frozen=True)
class DbCall:
    """Where and as whom a request's statements run: the pool, the request context and how long
    to wait for a connection (`db-pool-acquisition-timeout`, then 504 `PGRST003`)."""

    pool: Pool
    context: Context
    acquire_timeout: float


BEGIN, COMMIT, ROLLBACK = Frag("begin"), Frag("commit"), Frag("rollback")


async def run(
    call: DbCall,
    statements: Sequence[Statement],
    *,
    read_only: bool,
    decide: Callable[[Outcome], bool] | None = None,
) -> Outcome:
    """Run the statements in one transaction as the request's role: every statement kind of the
    dialect (read, write, RPC, EXPLAIN, OPTIONS, OpenAPI) comes through here. Without `decide`
    the transaction is the pipeline's implicit one (one round trip); with it, `decide(outcome)`
    says commit (True) or roll back (False) and may raise ApiError, which rolls back."""
    try:
        async with call.pool.connection(timeout=call.acquire_timeout) as conn:
            if decide is None:
                return await _implicit(conn, call.context, statements, read_only)
            return await _explicit(conn, call.context, statements, decide)
    except (PoolTimeout, psycopg.OperationalError) as exc:
        fallback = _fallback_of(call.pool)
        if fallback is not None:  # a standby that failed: the read runs on the primary
            return await run(replace(call, pool=fallback), statements, read_only=read_only,
                             decide=decide)  # fmt: skip
        if isinstance(exc, PoolTimeout):
            message = "Timed out acquiring connection from connection pool."
            raise ApiError(504, "PGRST003", message) from None
        raise ApiError(503, "PGRST001", "Database client error. Retrying the connection.") from None


def _fallback_of(pool: Pool) -> Pool | None:
    if isinstance(pool, StandbyPool) and pool.fallback is not None:
        pool.failed()
        return pool.fallback
    return None


def _prologue(context: Context, read_only: bool) -> list[Frag]:
    text, params = context.begin(read_only)
    queued = [Frag(text, params)]
    if context.timezone:
        queued.append(Frag(TIMEZONE_SQL, (context.timezone,)))
    if context.pre_request:
        queued.append(Frag(f"select {context.pre_request}()"))
    return queued


async def _implicit(
    conn: AsyncConnection[Any], context: Context, statements: Sequence[Statement], read_only: bool
) -> Outcome:
    prologue = _prologue(context, read_only)
    try:
        results = await wire.execute(conn, [*prologue, *(s.frag for s in statements)])
    except wire.DatabaseError as exc:
        raise _mapped(context, exc) from None
    return _outcome(context, statements, results, len(prologue), begin_at=0)


async def _explicit(
    conn: AsyncConnection[Any],
    context: Context,
    statements: Sequence[Statement],
    decide: Callable[[Outcome], bool],
) -> Outcome:
    prologue = [BEGIN, *_prologue(context, False)]
    try:
        results = await wire.execute(conn, [*prologue, *(s.frag for s in statements)])
    except wire.DatabaseError as exc:
        await _rollback(conn)
        raise _mapped(context, exc) from None
    try:
        outcome = _outcome(context, statements, results, len(prologue), 1, check=False)
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
    by a session that resolved in the begin-request statement (bearer or cookie alike): their
    `42501` is 403, as PostgREST answers a JWT's, and its DETAIL (`role_ceiling`, …) passes on.
    Only a bearer session that did not resolve is 401 `PGRST301`."""
    # the first row result of the pipeline is the begin-request statement's
    resolved = (
        context.session_token is not None
        and bool(exc.completed)
        and _session_used(exc.completed[0])
    )
    if context.session_required and exc.completed:
        _require_session(context, resolved)
    return from_database(exc, context.authenticated or resolved)


def _outcome(
    context: Context,
    statements: Sequence[Statement],
    results: list[wire.Result],
    skip: int,
    begin_at: int,
    check: bool = True,
) -> Outcome:
    """`skip` prologue results, of which the one at `begin_at` started the request."""
    resolved = _session_used(results[begin_at])
    named = [Result.of(s.layout, r) for s, r in zip(statements, results[skip:], strict=True)]
    outcome = Outcome(named, resolved)
    if check:
        _require_session(context, resolved)
    return outcome


def _session_used(result: wire.Result) -> bool:
    """The begin-request statement's one column, `session_used` (true without a session)."""
    return bool(result.rows) and result.rows[0][0] == b"t"


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
