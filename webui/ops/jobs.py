"""Scheduled work from the app's side. The jobs, their periods, the record of their runs and the
election live in SQL (sql/pgwarden/31_jobs_code.sql); this module only passes things on:

- `setup(app)`: the runner. Every app process keeps one direct connection (never through a
  transaction pooler) and tries for the runner's advisory lock every `PGWARDEN_JOBS_TICK`
  seconds (default 1); the one process holding it runs the due jobs, unless pg_cron runs them.
  `PGWARDEN_JOBS=off` keeps a process out of the election.
- `status()`, `leader()`, `run()`: what `pgwarden doctor` and `pgwarden jobs` show and do.

Doctrine: docs/operations.md#scheduled-jobs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg
from aiohttp import web
from psycopg.rows import class_row

from webui.core.db import SETTINGS

log = logging.getLogger("pgwarden.jobs")

DEFAULT_TICK = 1.0


@dataclass(frozen=True)
class JobStatus:
    name: str
    period: timedelta
    effective_period: timedelta
    mode: str
    last_started_at: datetime | None
    last_finished_at: datetime | None
    last_ok: bool | None
    last_result: str | None
    last_runner: str | None
    runs: int
    failures: int
    overdue: bool


@dataclass(frozen=True)
class Leader:
    pid: int
    application_name: str | None
    backend_start: datetime | None


def status(conn: psycopg.Connection) -> list[JobStatus]:
    """pgwarden.job_status, one row per job."""
    with conn.cursor(row_factory=class_row(JobStatus)) as cur:
        return cur.execute("select * from pgwarden.job_status order by name").fetchall()


def leader(conn: psycopg.Connection) -> Leader | None:
    """The app session holding the runner's lock, if any."""
    with conn.cursor(row_factory=class_row(Leader)) as cur:
        return cur.execute("select * from pgwarden.job_leader()").fetchone()


def run(conn: psycopg.Connection, names: list[str], runner: str) -> list[tuple[str, str]]:
    """Run the named jobs now, each in its own transaction; (name, result) for each."""
    results = []
    for name in names:
        with conn.transaction():
            row = conn.execute("select pgwarden.run_job(%s, %s)", [name, runner]).fetchone()
        results.append((name, str(row[0]) if row else ""))
    return results


def all_jobs(conn: psycopg.Connection) -> list[str]:
    return [row[0] for row in conn.execute("select name from pgwarden.jobs order by name")]


# -- the app's runner ----------------------------------------------------------------------


def tick() -> float:
    raw = os.environ.get("PGWARDEN_JOBS_TICK", "")
    try:
        return max(0.05, float(raw)) if raw else DEFAULT_TICK
    except ValueError:
        log.warning("PGWARDEN_JOBS_TICK=%r is not a number; using %s", raw, DEFAULT_TICK)
        return DEFAULT_TICK


def runner_name() -> str:
    return f"pgwarden jobs {socket.gethostname()}:{os.getpid()}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


async def _run_due(conn: psycopg.AsyncConnection, name: str) -> None:
    mode = await (await conn.execute("select pgwarden.job_mode()")).fetchone()
    if mode is None or mode[0] != "app":
        return  # pg_cron runs them
    due = await (await conn.execute("select pgwarden.due_jobs()")).fetchall()
    for (job,) in due:
        await conn.execute("select pgwarden.run_job(%s, %s)", [job, name])


async def _try_lead(conn: psycopg.AsyncConnection) -> bool:
    row = await (await conn.execute("select pgwarden.try_lead_jobs()")).fetchone()
    return bool(row and row[0])


async def _wait_for_lead(conn: psycopg.AsyncConnection, interval: float) -> None:
    for _ in iter(int, 1):  # until elected; polling is the point (another process may die)
        if await _try_lead(conn):
            return
        await asyncio.sleep(interval)


async def _one_session(url: str, name: str, interval: float) -> None:
    """Compete for the lock on one direct connection; once it is ours, run due jobs until the
    connection fails (or the task is cancelled, which closes it and frees the lock)."""
    async with await psycopg.AsyncConnection.connect(
        url, autocommit=True, application_name=name, connect_timeout=5
    ) as conn:
        await _wait_for_lead(conn, interval)
        log.info("job runner: %s leads the scheduled jobs", name)
        while True:
            await _run_due(conn, name)
            await asyncio.sleep(interval)


async def run_forever(url: str, name: str, interval: float) -> None:
    while True:
        try:
            await _one_session(url, name, interval)
        except (psycopg.Error, OSError) as exc:
            log.warning("job runner: %s", _first_line(exc))
        await asyncio.sleep(interval)


async def runner_context(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: take part in the election while the app runs."""
    url = app[SETTINGS].direct_database_url
    enabled = os.environ.get("PGWARDEN_JOBS", "on").lower() not in ("off", "0", "false", "no")
    task = None
    if enabled and url:
        task = asyncio.create_task(run_forever(url, runner_name(), tick()))
    yield
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def setup(app: web.Application) -> None:
    app.cleanup_ctx.append(runner_context)
