"""`pgwarden jobs status|run [--job NAME]`: the scheduled jobs (docs/operations.md#scheduled-jobs).

`status` prints the mode (pg_cron or one elected app process) and each job's last run, as
`pgwarden doctor` does; `run` runs jobs now, e.g. from the host's cron when neither pg_cron nor an
app process runs them."""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta

import psycopg

from webui.cli.console import check, fail
from webui.ops import jobs
from webui.ops.database import database_url


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("jobs", help="scheduled jobs: who runs them, their last runs")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("status", help="mode and each job's last run").set_defaults(
        handler=show_status
    )
    run = actions.add_parser("run", help="run jobs now (all, or --job NAME)")
    run.add_argument("--job", action="append", help="a job name (repeatable); default: all")
    run.set_defaults(handler=run_jobs)


def show_status(args: argparse.Namespace) -> int:
    with psycopg.connect(database_url(), connect_timeout=5) as conn:
        results = report(conn)
    return 0 if all(results) else 1


def run_jobs(args: argparse.Namespace) -> int:
    with psycopg.connect(database_url(), connect_timeout=5, autocommit=True) as conn:
        known = jobs.all_jobs(conn)
        unknown = sorted(set(args.job or []) - set(known))
        if unknown:
            return fail(f"unknown job {', '.join(unknown)}: the jobs are {', '.join(known)}")
        for name, result in jobs.run(conn, args.job or known, "cli"):
            print(f"  {name}: {result}")
    return 0


def report(conn: psycopg.Connection) -> list[bool]:
    """One ✓/✗ line for the mode and one per job (✗: overdue, or its last run failed)."""
    rows = jobs.status(conn)
    mode = rows[0].mode if rows else "app"
    results = [check(True, "scheduled jobs", _mode_detail(mode, jobs.leader(conn)))]
    now = datetime.now().astimezone()
    for row in rows:
        results.append(
            check(
                not row.overdue and row.last_ok is not False,
                f"job {row.name}",
                _job_detail(row, now),
            )
        )
    return results


def _mode_detail(mode: str, leader: jobs.Leader | None) -> str:
    if mode == "pg_cron":
        return "mode pg_cron (run in the database)"
    if leader is None:
        return "mode app, no process leads now (start `pgwarden serve`, or install pg_cron)"
    return f"mode app, led by {leader.application_name} (backend pid {leader.pid})"


def _job_detail(row: jobs.JobStatus, now: datetime) -> str:
    every = f"every {_span(row.effective_period)}"
    if row.last_finished_at is None:
        return f"{every}, never ran" + (" (overdue: nothing runs the jobs)" if row.overdue else "")
    ago = _span(now - row.last_finished_at)
    outcome = row.last_result if row.last_ok else f"FAILED: {row.last_result}"
    late = f", overdue (more than {_span(3 * row.effective_period)})" if row.overdue else ""
    return f"{every}, last ran {ago} ago by {row.last_runner}{late}: {outcome}"


def _span(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}min"
    return f"{seconds // 3600}h"
