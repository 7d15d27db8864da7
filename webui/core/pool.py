"""The app's connection pool: a small asyncio pool of autocommit psycopg connections.

It does what the app needs and no more, because every request takes and returns a connection
and psycopg_pool's general machinery (a lock per checkout, a task per wait, statistics, health
checks) cost a tenth of a request's CPU. A connection is opened when none is idle and the pool
is below `max_size`; a request waits (at most `timeout` seconds, then PoolTimeout) only when all
`max_size` are busy; a returned connection that is broken or not idle is closed, not reused; a
connection is replaced after `max_lifetime` seconds. The database keeps all state, so nothing
here needs to survive a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from psycopg import AsyncConnection, pq
from psycopg_pool import PoolTimeout

log = logging.getLogger("pgwarden.pool")
Configure = Callable[[AsyncConnection[Any]], Awaitable[None]]


def describe_failure(exc: BaseException) -> str:
    """A connection failure in one line: its type and PostgreSQL's (or libpq's) first line."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


class Pool:
    def __init__(
        self,
        conninfo: str,
        *,
        min_size: int = 1,
        max_size: int = 10,
        configure: Configure | None = None,
        kwargs: dict[str, Any] | None = None,
        timeout: float = 30.0,
        max_lifetime: float = 3600.0,
    ) -> None:
        self.conninfo = conninfo
        self.min_size = min(min_size, max_size)
        self.max_size = max_size
        self.timeout = timeout
        self.max_lifetime = max_lifetime
        self._configure = configure
        self._kwargs = kwargs or {}
        self._idle: deque[AsyncConnection[Any]] = deque()
        self._waiters: deque[asyncio.Future[AsyncConnection[Any]]] = deque()
        self._born: dict[int, float] = {}
        self._size = 0  # open connections, idle or lent, plus those being opened
        self._closed = False
        self._warming: asyncio.Future[Any] | None = None

    # --- life cycle -----------------------------------------------------------------------
    async def open(self, wait: bool = False) -> None:
        """Open `min_size` connections (in the background unless `wait`); failures are logged
        and retried by the next request that needs a connection."""
        self._warming = asyncio.gather(*(self._warm_one() for _ in range(self.min_size)))
        if wait:
            await self._warming

    async def _warm_one(self) -> None:
        if self._size >= self.max_size:
            return
        try:
            conn = await self._connect()
        except Exception as exc:
            log.warning("pool: could not open a connection: %s", describe_failure(exc))
            return
        self._give(conn)

    async def close(self) -> None:
        self._closed = True
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_exception(PoolTimeout("the pool is closed"))
        self._waiters.clear()
        while self._idle:
            await self._discard(self._idle.popleft())

    # --- lending --------------------------------------------------------------------------
    async def getconn(
        self,
        timeout: float | None = None,  # noqa: ASYNC109 (psycopg_pool's signature)
    ) -> AsyncConnection[Any]:
        if self._closed:
            raise PoolTimeout("the pool is closed")
        while self._idle:
            conn = self._idle.pop()  # the most recently used: its backend is warm
            if not conn.closed:
                return conn
            self._forget(conn)
        if self._size < self.max_size:
            return await self._connect()
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[AsyncConnection[Any]] = loop.create_future()
        self._waiters.append(waiter)
        limit = self.timeout if timeout is None else timeout
        timer = loop.call_later(limit, _expire, waiter, limit)
        try:
            return await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self._give(waiter.result())  # handed over just as the wait ended
            with contextlib.suppress(ValueError):
                self._waiters.remove(waiter)
            raise
        finally:
            timer.cancel()

    async def putconn(self, conn: AsyncConnection[Any]) -> None:
        if await self._reusable(conn):
            self._give(conn)
        else:
            await self._discard(conn)

    @contextlib.asynccontextmanager
    async def connection(
        self,
        timeout: float | None = None,  # noqa: ASYNC109 (psycopg_pool's signature)
    ) -> AsyncIterator[AsyncConnection[Any]]:
        conn = await self.getconn(timeout)
        try:
            yield conn
        finally:
            await self.putconn(conn)

    # --- inside ---------------------------------------------------------------------------
    async def _reusable(self, conn: AsyncConnection[Any]) -> bool:
        """Healthy, idle (an open transaction is rolled back first) and not past its lifetime."""
        if self._closed or conn.closed or conn.pgconn.status != pq.ConnStatus.OK:
            return False
        if time.monotonic() - self._born.get(id(conn), 0.0) > self.max_lifetime:
            return False
        status = conn.info.transaction_status
        if status in (pq.TransactionStatus.INTRANS, pq.TransactionStatus.INERROR):
            try:
                await conn.rollback()
            except Exception:
                return False
            return True
        return status == pq.TransactionStatus.IDLE

    def _give(self, conn: AsyncConnection[Any]) -> None:
        """Hand a healthy idle connection to the first waiter still waiting, else keep it."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return
        self._idle.append(conn)

    async def _connect(self) -> AsyncConnection[Any]:
        self._size += 1
        try:
            conn = await AsyncConnection.connect(self.conninfo, **self._kwargs)
            if self._configure is not None:
                await self._configure(conn)
        except BaseException:
            self._size -= 1
            raise
        self._born[id(conn)] = time.monotonic()
        return conn

    async def _discard(self, conn: AsyncConnection[Any]) -> None:
        self._forget(conn)
        with contextlib.suppress(Exception):
            await conn.close()
        if self._waiters and not self._closed:
            # someone waits for the slot this connection held
            self._warming = asyncio.ensure_future(self._warm_one())

    def _forget(self, conn: AsyncConnection[Any]) -> None:
        if self._born.pop(id(conn), None) is not None:
            self._size -= 1


def _expire(waiter: asyncio.Future[Any], limit: float) -> None:
    if not waiter.done():
        waiter.set_exception(PoolTimeout(f"no connection free after {limit:.2f} s"))
