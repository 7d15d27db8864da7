"""The app's connection pool (webui/core/pool.py) against a real PostgreSQL: it reuses connections,
never lends more than max_size, times out a wait with PoolTimeout, hands a returned connection
to a waiter, rolls back or drops what comes back dirty or broken, and loses nothing when a
waiting request is cancelled. Each test runs its coroutine on a fresh loop in a thread, as the
async REST tests do, whatever loop the browser tests left running."""

from __future__ import annotations

import asyncio
import time

import pytest
from psycopg import AsyncConnection, pq
from psycopg_pool import PoolTimeout
from rest_support import run_async

from webui.core.pool import Pool


async def _autocommit(conn: AsyncConnection) -> None:
    await conn.set_autocommit(True)


def _pool(db_url: str, size: int = 2, **options: float) -> Pool:
    return Pool(db_url, min_size=0, max_size=size, configure=_autocommit, **options)


async def _backend(conn: AsyncConnection) -> int:
    row = await (await conn.execute("select pg_backend_pid()")).fetchone()
    assert row is not None
    return int(row[0])


async def _a_returned_connection_is_lent_again(db_url: str) -> None:
    pool = _pool(db_url)
    first = await pool.getconn()
    pid = await _backend(first)
    await pool.putconn(first)
    again = await pool.getconn()
    assert await _backend(again) == pid
    assert again.autocommit, "configure ran"
    await pool.putconn(again)
    await pool.close()


async def _never_more_than_max_size_and_the_wait_times_out(db_url: str) -> None:
    pool = _pool(db_url, size=2)
    held = [await pool.getconn(), await pool.getconn()]
    started = time.monotonic()
    with pytest.raises(PoolTimeout):
        await pool.getconn(timeout=0.2)
    assert 0.15 < time.monotonic() - started < 2
    for conn in held:
        await pool.putconn(conn)
    await pool.close()


async def _a_waiter_gets_the_next_returned_connection(db_url: str) -> None:
    pool = _pool(db_url, size=1)
    held = await pool.getconn()
    pid = await _backend(held)
    waiting = asyncio.ensure_future(pool.getconn(timeout=5))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    await pool.putconn(held)
    handed = await asyncio.wait_for(waiting, 1)
    assert await _backend(handed) == pid
    await pool.putconn(handed)
    await pool.close()


async def _a_cancelled_waiter_loses_no_connection(db_url: str) -> None:
    pool = _pool(db_url, size=1)
    held = await pool.getconn()
    waiting = asyncio.ensure_future(pool.getconn(timeout=5))
    await asyncio.sleep(0.05)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await pool.putconn(held)
    again = await pool.getconn(timeout=0.5)  # the only connection came back to the pool
    await pool.putconn(again)
    await pool.close()


async def _a_connection_returned_in_a_transaction_is_rolled_back(db_url: str) -> None:
    pool = _pool(db_url, size=1)
    conn = await pool.getconn()
    await conn.execute("begin")
    await conn.execute("create temporary table pool_probe (x int)")
    assert conn.info.transaction_status == pq.TransactionStatus.INTRANS
    await pool.putconn(conn)
    again = await pool.getconn()
    assert again.info.transaction_status == pq.TransactionStatus.IDLE
    row = await (await again.execute("select to_regclass('pg_temp.pool_probe')")).fetchone()
    assert row == (None,), "the transaction was rolled back"
    await pool.putconn(again)
    await pool.close()


async def _a_broken_connection_is_dropped_and_replaced(db_url: str) -> None:
    pool = _pool(db_url, size=1)
    conn = await pool.getconn()
    pid = await _backend(conn)
    await conn.close()
    await pool.putconn(conn)
    fresh = await pool.getconn(timeout=2)  # the slot was freed, a new connection opened
    assert not fresh.closed and await _backend(fresh) != pid
    await pool.putconn(fresh)
    await pool.close()


async def _a_connection_past_its_lifetime_is_replaced(db_url: str) -> None:
    pool = _pool(db_url, size=1, max_lifetime=0.0)
    conn = await pool.getconn()
    pid = await _backend(conn)
    await pool.putconn(conn)
    assert conn.closed
    fresh = await pool.getconn()
    assert await _backend(fresh) != pid
    await pool.putconn(fresh)
    await pool.close()


async def _close_ends_waits_and_refuses_new_ones(db_url: str) -> None:
    pool = _pool(db_url, size=1)
    held = await pool.getconn()
    waiting = asyncio.ensure_future(pool.getconn(timeout=5))
    await asyncio.sleep(0.05)
    await pool.close()
    with pytest.raises(PoolTimeout):
        await waiting
    with pytest.raises(PoolTimeout):
        await pool.getconn()
    await pool.putconn(held)
    assert held.closed, "a connection returned to a closed pool is closed"


def test_a_returned_connection_is_lent_again(db_url: str) -> None:
    run_async(_a_returned_connection_is_lent_again(db_url))


def test_never_more_than_max_size_and_the_wait_times_out(db_url: str) -> None:
    run_async(_never_more_than_max_size_and_the_wait_times_out(db_url))


def test_a_waiter_gets_the_next_returned_connection(db_url: str) -> None:
    run_async(_a_waiter_gets_the_next_returned_connection(db_url))


def test_a_cancelled_waiter_loses_no_connection(db_url: str) -> None:
    run_async(_a_cancelled_waiter_loses_no_connection(db_url))


def test_a_connection_returned_in_a_transaction_is_rolled_back(db_url: str) -> None:
    run_async(_a_connection_returned_in_a_transaction_is_rolled_back(db_url))


def test_a_broken_connection_is_dropped_and_replaced(db_url: str) -> None:
    run_async(_a_broken_connection_is_dropped_and_replaced(db_url))


def test_a_connection_past_its_lifetime_is_replaced(db_url: str) -> None:
    run_async(_a_connection_past_its_lifetime_is_replaced(db_url))


def test_close_ends_waits_and_refuses_new_ones(db_url: str) -> None:
    run_async(_close_ends_waits_and_refuses_new_ones(db_url))
