"""A lean libpq pipeline for the request path: the statements of one request are queued as
extended-protocol messages (each a named prepared statement, prepared once per connection) and
written with a single Sync, then their results are read as they come. The response body comes
back as the bytes PostgreSQL built; no row ever becomes a Python object.

Only the hot path uses this; everything else goes through psycopg's cursors."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from psycopg import AsyncConnection, OperationalError, pq

from webui.rest.build import Frag

MAX_PREPARED = 512  # per connection; past it, statements run unnamed
_PLACEHOLDER = re.compile(r"%%|%s")
_OK = (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK)
_FIELD = pq.DiagnosticField


class DatabaseError(Exception):
    """A statement failed: PostgreSQL's SQLSTATE, message, detail and hint."""

    def __init__(
        self,
        sqlstate: str,
        message: str,
        detail: str | None,
        hint: str | None,
        constraint: tuple[str, str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.sqlstate, self.message, self.detail, self.hint = sqlstate, message, detail, hint
        self.constraint = constraint  # (schema, table, constraint) of a constraint error
        self.completed: list[Result] = []  # the row results that came back before the failure


@dataclass
class Result:
    rows: list[list[bytes | None]] = field(default_factory=list)
    affected: int = 0


@lru_cache(maxsize=4096)
def to_dollar(text: str) -> bytes:
    """psycopg's `%s` placeholders (and `%%`) as PostgreSQL's `$1, $2, …`."""
    counter = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal counter
        if match.group() == "%%":
            return "%"
        counter += 1
        return f"${counter}"

    return _PLACEHOLDER.sub(replace, text).encode()


def encode(value: Any) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return b"true" if value else b"false"
    if isinstance(value, bytes):
        return value
    return str(value).encode()


class _Prepared(dict[bytes, bytes]):
    """SQL → statement name, per connection; names are never reused."""

    counter = 0
    limit = MAX_PREPARED

    def next_name(self) -> bytes:
        self.counter += 1
        return f"pgw_{self.counter}".encode()


def _prepared(conn: AsyncConnection[Any]) -> _Prepared:
    cache: _Prepared | None = getattr(conn, "_pgw_prepared", None)
    if cache is None:
        cache = _Prepared()
        # psycopg's switch for prepared statements, off behind a transaction pooler (PgBouncer):
        # then every statement runs unnamed
        cache.limit = 0 if conn.prepare_threshold is None else MAX_PREPARED
        conn._pgw_prepared = cache  # type: ignore[attr-defined]
    return cache


def _error(result: pq.PGresult) -> DatabaseError:
    def text(code: pq.DiagnosticField) -> str | None:
        value = result.error_field(code)
        return value.decode(errors="replace") if value is not None else None

    return DatabaseError(
        text(_FIELD.SQLSTATE) or "XX000",
        text(_FIELD.MESSAGE_PRIMARY) or "database error",
        text(_FIELD.MESSAGE_DETAIL),
        text(_FIELD.MESSAGE_HINT),
        _constraint(
            text(_FIELD.SCHEMA_NAME), text(_FIELD.TABLE_NAME), text(_FIELD.CONSTRAINT_NAME)
        ),
    )


def _constraint(
    schema: str | None, table: str | None, name: str | None
) -> tuple[str, str, str] | None:
    return (schema, table, name) if schema and table and name else None


async def execute(conn: AsyncConnection[Any], statements: Sequence[Frag]) -> list[Result]:
    """Run the statements in one pipeline and one Sync; raise DatabaseError on the first failure.
    Without an explicit `begin` among them they form one implicit transaction.

    psycopg sends `DEALLOCATE ALL` when it rolls back a transaction in which it had prepared
    statements of its own (another room's transaction on this pooled connection), which drops
    ours too: a 26000 "prepared statement does not exist" then clears our names, and when the
    connection is idle again (the implicit transaction aborted, nothing ran) the pipeline is
    sent once more, prepared afresh."""
    try:
        return await _execute(conn, statements)
    except DatabaseError as exc:
        if exc.sqlstate != "26000" or conn.pgconn.transaction_status != pq.TransactionStatus.IDLE:
            raise
    return await _execute(conn, statements)


async def _execute(conn: AsyncConnection[Any], statements: Sequence[Frag]) -> list[Result]:
    pgconn = conn.pgconn
    cache = _prepared(conn)
    pgconn.enter_pipeline_mode()
    try:
        fresh = [_queue(pgconn, cache, statement) for statement in statements]
        pgconn.pipeline_sync()
        await _flush(pgconn)
        return await _read(pgconn, cache, fresh, len(statements))
    finally:
        if pgconn.pipeline_status != pq.PipelineStatus.OFF:
            pgconn.exit_pipeline_mode()


def _queue(pgconn: pq.PGconn, cache: _Prepared, statement: Frag) -> bytes | None:
    """Queue one statement; returns the name it was prepared under now, if it was."""
    sql = to_dollar(statement.text)
    params = [encode(p) for p in statement.params]
    name = cache.get(sql)
    fresh = None
    if name is None and len(cache) < cache.limit:
        name = fresh = cache.next_name()
        cache[sql] = name
        pgconn.send_prepare(name, sql)
    if name is None:
        pgconn.send_query_params(sql, params)
    else:
        pgconn.send_query_prepared(name, params)
    return fresh


async def _flush(pgconn: pq.PGconn) -> None:
    while pgconn.flush():
        await _wait(pgconn.socket, writable=True)


async def _wait(fd: int, writable: bool = False) -> None:
    loop = asyncio.get_running_loop()
    future: asyncio.Future[None] = loop.create_future()

    def ready() -> None:
        if not future.done():
            future.set_result(None)

    (loop.add_writer if writable else loop.add_reader)(fd, ready)
    try:
        await future
    finally:
        (loop.remove_writer if writable else loop.remove_reader)(fd)


async def _results(pgconn: pq.PGconn) -> list[pq.PGresult]:
    """Every result up to and including the pipeline's Sync."""
    results: list[pq.PGresult] = []
    while True:
        while pgconn.is_busy():
            await _wait(pgconn.socket)
            pgconn.consume_input()
        result = pgconn.get_result()
        if result is None:
            continue
        results.append(result)
        if result.status == pq.ExecStatus.PIPELINE_SYNC:
            return results


async def _read(
    pgconn: pq.PGconn, cache: _Prepared, fresh: list[bytes | None], count: int
) -> list[Result]:
    try:
        results = await _results(pgconn)
    except OperationalError:
        cache.clear()
        raise
    failure = next((r for r in results if r.status == pq.ExecStatus.FATAL_ERROR), None)
    executed = _pair(results, fresh)
    if failure is not None or any(r.status not in _OK for r in executed):
        _forget_failed(cache, results, fresh)
        error = _error(failure) if failure is not None else _aborted()
        if error.sqlstate == "26000":  # our names were deallocated behind our back
            cache.clear()
        error.completed = [_convert(r) for r in results if r.status == pq.ExecStatus.TUPLES_OK]
        raise error
    return [_convert(r) for r in executed[:count]]


def _pair(results: list[pq.PGresult], fresh: list[bytes | None]) -> list[pq.PGresult]:
    """Drop the Prepare results, keep one result per executed statement."""
    out, index = [], 0
    for prepared in fresh:
        if prepared is not None:
            index += 1
        out.append(results[index])
        index += 1
    return out


def _forget_failed(cache: _Prepared, results: list[pq.PGresult], fresh: list[bytes | None]) -> None:
    index = 0
    failed: set[bytes] = set()
    for prepared in fresh:
        if prepared is not None:
            if results[index].status != pq.ExecStatus.COMMAND_OK:
                failed.add(prepared)
            index += 1
        index += 1
    for sql in [sql for sql, name in cache.items() if name in failed]:
        del cache[sql]


def _aborted() -> DatabaseError:
    return DatabaseError("25P02", "the transaction was aborted", None, None)


def _convert(result: pq.PGresult) -> Result:
    if result.status == pq.ExecStatus.COMMAND_OK:
        status = result.command_tuples
        return Result([], status or 0)
    width = result.nfields
    rows = [[result.get_value(r, c) for c in range(width)] for r in range(result.ntuples)]
    return Result(rows, result.ntuples)
