"""Behind Debian's PgBouncer in transaction pooling mode (docs/operations.md#pgbouncer): the app's
pool goes through it with no session state (no prepared statements, no startup options, `SET
LOCAL` only); what needs a session (the schema-reload LISTEN, the job runner's advisory lock)
uses the direct connection. The REST and /auth/* test modules pass with every server behind its
own PgBouncer."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest

from webui.testing import running_server
from webui.testing.pgbouncer import pgbouncer_binary, running_pgbouncer

pytestmark = pytest.mark.skipif(pgbouncer_binary() is None, reason="pgbouncer not installed")
ROOT = Path(__file__).resolve().parent.parent
SUBSET = [
    "tests_py/test_rest_reads.py",
    "tests_py/test_rest_writes.py",
    "tests_py/test_rest_rpc.py",
    "tests_py/test_auth_endpoints.py",
    # this one proves the direct mode's named statements, which the pooler mode turns off
    "--deselect",
    "tests_py/test_rest_reads.py::test_statements_are_prepared_once_per_connection",
]


def _get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=10) as reply:
        return int(reply.status)


def test_the_app_runs_behind_pgbouncer_with_no_session_state(
    db: psycopg.Connection, db_url: str, tmp_path: Path
) -> None:
    db.autocommit = True
    db.execute("create view api.pgb_probe as select 1 as one")
    db.execute("grant select on api.pgb_probe to pgw_anon")
    with running_pgbouncer(db_url) as bouncer:
        env = {
            "PGWARDEN_APP_DATABASE_URL": bouncer.url(db.info.dbname),
            "PGWARDEN_TRANSACTION_POOLER": "on",
            "PGWARDEN_JOBS_TICK": "0.2",
            "PGRST_DB_SCHEMAS": "api",  # the probe table's schema (not the declared library)
        }
        with running_server(db_url, tmp_path, env=env) as server:
            # the same statement many times: a prepared one would fail on another server session
            with ThreadPoolExecutor(max_workers=8) as pool:
                codes = list(pool.map(_status, [server.base_url + "/rest/v1/pgb_probe"] * 60))
            assert codes == [200] * 60
            stats = {row["database"]: row for row in bouncer.show("stats")}
            assert int(stats[db.info.dbname]["total_xact_count"]) >= 60
            # LISTEN is on the direct connection: a reload reaches the server
            db.execute("create view api.pgb_late as select 2 as two")
            db.execute("grant select on api.pgb_late to pgw_anon")
            db.execute("notify pgrst, 'reload schema'")
            _eventually(lambda: _status(server.base_url + "/rest/v1/pgb_late") == 200)
            # the job runner leads on a direct connection too, not through the pooler
            _eventually(lambda: bool(db.execute("select * from pgwarden.job_leader()").fetchall()))
            # idle, no server session stays linked to a client (no session pinned by the app)
            pools = [row for row in bouncer.show("pools") if row["database"] == db.info.dbname]
            assert pools and all(row["sv_active"] == "0" for row in pools), pools
        assert "unsupported startup parameter" not in bouncer.log()
        assert "prepared statement" not in server.log()


def _status(url: str) -> int:
    try:
        return _get(url)
    except urllib.error.HTTPError as exc:
        return exc.code


def _eventually(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not within the time limit"
        time.sleep(0.1)


@pytest.mark.slow
def test_the_rest_and_auth_tests_pass_through_pgbouncer() -> None:
    env = {
        **os.environ,
        "PGWARDEN_TEST_VIA_PGBOUNCER": "1",
        "PGWARDEN_TEST_DB": "pgw_bouncer",  # its own template, apart from this run's
    }
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", *SUBSET],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    tail = "\n".join((result.stdout + result.stderr).splitlines()[-30:])
    assert result.returncode == 0, tail
    assert " passed" in tail and "failed" not in tail
