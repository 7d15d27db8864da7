"""Scheduled work with one runner (docs/operations.md#scheduled-jobs): of two real `pgwarden serve`
processes exactly one runs the jobs, and when it is killed the other takes over within one period;
`PGWARDEN_JOBS=off` keeps a process out; `pgwarden doctor` and `pgwarden jobs` show the mode and
each job's last run, with ✗ for a job not run for 3 periods. With pg_cron loaded (a cluster of
its own), the jobs run in the database with no app process at all."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from webui.ops.cluster import Cluster, cron_settings
from webui.testing import ServerProcess, deploy_all, run_cli, running_server

FAST = {"PGWARDEN_JOBS_TICK": "0.2"}
PERIOD = 2.0


def _runners(db: psycopg.Connection) -> set[str]:
    return {row[0] for row in db.execute("select last_runner from pgwarden.jobs").fetchall()}


def _wait_for(condition: Callable[[], bool], timeout: float) -> float:
    """Seconds until `condition()` held; fails after `timeout`."""
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < timeout, f"not within {timeout}s"
        time.sleep(0.05)
    return time.monotonic() - start


def _leader(db: psycopg.Connection) -> list[tuple[str]]:
    return db.execute("select application_name from pgwarden.job_leader()").fetchall()


def _ran_by(db: psycopg.Connection, server: ServerProcess) -> bool:
    return any(f":{server.process.pid}" in (runner or "") for runner in _runners(db))


@pytest.fixture
def fast_jobs(db: psycopg.Connection) -> psycopg.Connection:
    db.autocommit = True
    db.execute("update pgwarden.jobs set period = make_interval(secs => %s)", [PERIOD])
    return db


@pytest.mark.slow
def test_two_servers_one_runner_and_a_takeover_within_one_period(
    fast_jobs: psycopg.Connection, db_url: str, tmp_path: Path
) -> None:
    db = fast_jobs
    with running_server(db_url, tmp_path, env=FAST) as first:
        _wait_for(lambda: _ran_by(db, first), timeout=10)
        with running_server(db_url, tmp_path, env=FAST) as second:
            before = db.execute("select sum(runs) from pgwarden.jobs").fetchone()
            time.sleep(3 * PERIOD)
            after = db.execute("select sum(runs) from pgwarden.jobs").fetchone()
            assert before and after and after[0] > before[0], "the jobs keep running"
            assert not _ran_by(db, second), "the second process never runs a job"
            assert "leads the scheduled jobs" in first.log()
            assert "leads the scheduled jobs" not in second.log()
            first_name = f"pgwarden jobs {socket.gethostname()}:{first.process.pid}"
            assert _leader(db) == [(first_name,)]

            first.process.kill()  # no goodbye: its session ends, and the lock with it
            first.process.wait(timeout=10)
            second_name = f"pgwarden jobs {socket.gethostname()}:{second.process.pid}"
            took = _wait_for(lambda: _leader(db) == [(second_name,)], timeout=3 * PERIOD)
            assert took <= PERIOD, f"took the lead in {took:.2f}s, period {PERIOD}s"
            _wait_for(lambda: _ran_by(db, second), timeout=2 * PERIOD)
            assert "leads the scheduled jobs" in second.log()


def test_the_server_seals_new_events(
    fast_jobs: psycopg.Connection, db_url: str, tmp_path: Path
) -> None:
    db = fast_jobs
    with running_server(db_url, tmp_path, env=FAST):
        for n in range(5):
            db.execute("select audit.record('session_logout', 'auth.users', %s)", [str(n)])
        _wait_for(lambda: _unsealed(db) == 0, timeout=3 * PERIOD)
    assert db.execute("select ok, checked from audit.verify()").fetchone() == (True, 5)


def test_jobs_off_keeps_a_process_out_of_the_election(
    fast_jobs: psycopg.Connection, db_url: str, tmp_path: Path
) -> None:
    db = fast_jobs
    with running_server(db_url, tmp_path, env={**FAST, "PGWARDEN_JOBS": "off"}) as server:
        db.execute("select audit.record('session_logout', 'auth.users', '1')")
        time.sleep(1.5)
        assert _unsealed(db) == 1
        assert _runners(db) == {None}
        assert db.execute("select * from pgwarden.job_leader()").fetchall() == []
        assert "job runner" not in server.log()


def _unsealed(db: psycopg.Connection) -> int:
    row = db.execute("select unsealed from audit.chain_status").fetchone()
    assert row is not None
    return int(row[0])


def test_doctor_shows_the_mode_and_marks_an_overdue_job(
    db: psycopg.Connection, db_url: str
) -> None:
    db.autocommit = True
    assert run_cli("jobs", "run", database_url=db_url).returncode == 0
    result = run_cli("jobs", "status", database_url=db_url)
    assert result.returncode == 0, result.stdout
    assert "✓ scheduled jobs: mode app, no process leads now" in result.stdout
    assert re.search(
        r"✓ job audit_seal: every 5s, last ran \d+s ago by cli: 0 event\(s\) sealed", result.stdout
    )

    db.execute(
        "update pgwarden.jobs set last_started_at = now() - interval '20 seconds',"
        " last_finished_at = now() - interval '16 seconds' where name = 'audit_seal'"
    )
    result = run_cli("doctor", database_url=db_url, env={"PGWARDEN_SECRET_KEY": "s" * 40})
    assert result.returncode == 1
    overdue = r"✗ job audit_seal: every 5s, last ran 1\ds ago by cli, overdue \(more than 15s\)"
    assert re.search(overdue, result.stdout), result.stdout
    assert "✓ job auth_purge" in result.stdout


def test_jobs_run_refuses_an_unknown_job(db_url: str) -> None:
    result = run_cli("jobs", "run", "--job", "nope", database_url=db_url)
    assert result.returncode == 1
    jobs = "audit_batches, audit_partitions, audit_seal, auth_purge"
    assert f"unknown job nope: the jobs are {jobs}" in result.stderr


@pytest.mark.slow
@pytest.mark.skipif(not cron_settings(), reason="pg_cron not installed (postgresql-15-cron)")
def test_with_pg_cron_the_jobs_run_with_no_app_process(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path / "cron")
    cluster.start(fast_unsafe=True)
    try:
        url = cluster.url()
        deploy_all(url)
        with psycopg.connect(url, autocommit=True) as db:
            assert db.execute("select pgwarden.job_mode()").fetchone() == ("pg_cron",)
            jobs = db.execute(
                "select jobname, schedule from cron.job where jobname like 'pgwarden%' order by 1"
            ).fetchall()
            assert jobs == [
                ("pgwarden_audit_batches", "* * * * *"),
                ("pgwarden_audit_partitions", "0 0 * * *"),
                ("pgwarden_audit_seal", "* * * * *"),
                ("pgwarden_auth_purge", "0 * * * *"),
            ]
            db.execute("select audit.record('session_logout', 'auth.users', '1')")
            # pg_cron 1.4 runs at the top of each minute
            _wait_for(lambda: _unsealed(db) == 0, timeout=75)
            row = db.execute(
                "select last_runner, last_ok from pgwarden.jobs where name = 'audit_seal'"
            ).fetchone()
            assert row == ("pg_cron", True)
        status = run_cli("jobs", "status", database_url=url)
        assert "✓ scheduled jobs: mode pg_cron (run in the database)" in status.stdout
        assert "✓ job audit_seal: every 60s, last ran" in status.stdout
    finally:
        cluster.stop()
