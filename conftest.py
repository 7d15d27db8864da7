"""Shared fixtures: a real PostgreSQL (the project's own test cluster, or the server named by
PGWARDEN_TEST_DATABASE_URL / DATABASE_URL), a migrated template database prepared once per session
through pytest-postgresql, and a fresh database cloned from it for every test."""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict
from pytest_postgresql import factories

from webui.ops.cluster import Cluster
from webui.testing import ServerProcess, deploy_all, running_server, url_for_database

ROOT = Path(__file__).resolve().parent
# A session's databases carry its process id: `pgw_test_<pid>` (each test's, cloned from
# `pgw_test_<pid>_tmpl`) and `pgw_test_<pid>_rest_<module>` (tests_py/rest_support.py), so that
# two sessions on one cluster never share a name, and a session drops only a dead one's.
# A nested run (test_pgbouncer) names its own.
BASE_DB = os.environ.get("PGWARDEN_TEST_DB", "pgw_test")
TEST_DB = f"{BASE_DB}_{os.getpid()}"
_SESSION_DB = re.compile(rf"^{re.escape(BASE_DB)}_(\d+)(?:_.*)?$")

TEST_CLUSTER = Cluster(Path(os.environ.get("PGWARDEN_TEST_HOME") or ROOT / ".pgwarden" / "test"))
_STARTED_HERE = False


def _server_params() -> dict[str, str]:
    global _STARTED_HERE
    url = os.environ.get("PGWARDEN_TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not url:
        _STARTED_HERE = not TEST_CLUSTER.is_running()
        TEST_CLUSTER.start(fast_unsafe=True)
        url = TEST_CLUSTER.url("postgres")
    params = {key: str(value) for key, value in conninfo_to_dict(url).items()}
    params.setdefault("user", "postgres")
    params["dbname"] = "postgres"
    return params


SERVER = _server_params()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _session_databases(conn: psycopg.Connection) -> list[tuple[str, int | None]]:
    """(name, owning session's pid) of every database a test session made; None: an older
    run's, named without a pid."""
    found: list[tuple[str, int | None]] = []
    for (name,) in conn.execute("select datname from pg_database").fetchall():
        match = _SESSION_DB.match(name)
        if match:
            found.append((name, int(match.group(1))))
        elif name in (BASE_DB, BASE_DB + "_tmpl"):
            found.append((name, None))
    return found


def _drop_stale_databases() -> None:
    """A run that was killed leaves its template behind; pytest-postgresql would refuse it. Only
    the databases of sessions that no longer run go: a concurrent session's stay."""
    with psycopg.connect(**SERVER, autocommit=True) as conn:  # type: ignore[arg-type]
        for name, pid in _session_databases(conn):
            if pid is not None and pid != os.getpid() and _alive(pid):
                continue
            conn.execute(f'alter database "{name}" is_template false')
            conn.execute(f'drop database if exists "{name}" with (force)')


def _other_sessions_live() -> bool:
    with psycopg.connect(**SERVER, autocommit=True) as conn:  # type: ignore[arg-type]
        pids = {pid for _, pid in _session_databases(conn) if pid is not None}
    return any(_alive(pid) for pid in pids - {os.getpid()})


_drop_stale_databases()


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop the throw-away cluster this run started, unless a session started after it still
    runs on it (a cluster that already ran is left alone too). `pgwarden db stop` stops a
    leftover one."""
    if _STARTED_HERE and not _other_sessions_live():
        TEST_CLUSTER.stop()


def server_url(dbname: str) -> str:
    return url_for_database(" ".join(f"{k}='{v}'" for k, v in SERVER.items()), dbname)


def _load_template(*, dbname: str, **_connection: object) -> None:
    """The template every test database is cloned from: all migrations, plus pgTAP."""
    url = server_url(dbname)
    deploy_all(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("create extension if not exists pgtap")


migrated = factories.postgresql_noproc(
    host=SERVER.get("host"),
    port=SERVER.get("port", "5432"),
    user=SERVER["user"],
    password=SERVER.get("password"),
    dbname=TEST_DB,
    load=[_load_template],
)
db = factories.postgresql("migrated")


@pytest.fixture
def db_url(db: psycopg.Connection) -> str:
    """The owner's URL of this test's fresh, migrated database."""
    return server_url(db.info.dbname)


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    """A real `pgwarden serve` process on this test's fresh database."""
    with running_server(db_url, tmp_path) as process:
        yield process


@pytest.fixture
def empty_db_url() -> Iterator[str]:
    """A new, empty database (no migrations), dropped afterwards."""
    name = f"pgw_empty_{os.getpid()}_{next(_COUNTER)}"
    with psycopg.connect(server_url("postgres"), autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    try:
        yield server_url(name)
    finally:
        with psycopg.connect(server_url("postgres"), autocommit=True) as conn:
            conn.execute(f'alter database "{name}" is_template false')
            conn.execute(f'drop database if exists "{name}" with (force)')


_COUNTER = itertools.count()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, object]) -> dict[str, object]:
    """Playwright drives Debian's Chromium (no browser download is possible here)."""
    path = os.environ.get("CHROMIUM_PATH", "/usr/lib/chromium/chromium")
    return {**browser_type_launch_args, "executable_path": path}


@pytest.fixture(scope="session")
def base_url() -> str | None:
    """Tests pass absolute URLs; defining this keeps pytest-playwright's own fallback unused."""
    return None
