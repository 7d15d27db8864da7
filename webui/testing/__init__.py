"""Helpers for tests against real parts: a real PostgreSQL, a real `pgwarden serve` process.

Kept free of pytest so that benchmarks and scripts can use them too."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from webui.ops.migrations import Migrator


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def url_for_database(server_url: str, dbname: str) -> str:
    params = conninfo_to_dict(server_url)
    params["dbname"] = dbname
    return make_conninfo(**params)


def deploy_all(database_url: str) -> None:
    Migrator(database_url, quiet=True).deploy()


@dataclass
class ServerProcess:
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _wait_answering(
    base_url: str, process: subprocess.Popen[bytes], timeout: float, require_healthy: bool
) -> None:
    """Wait until /healthz answers (with 200 when `require_healthy`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pgwarden serve exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2):  # noqa: S310
                return
        except urllib.error.HTTPError:
            if not require_healthy:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"pgwarden serve did not answer /healthz within {timeout}s")


@contextmanager
def running_server(
    database_url: str,
    log_dir: Path,
    env: Mapping[str, str] | None = None,
    args: tuple[str, ...] = (),
    timeout: float = 30.0,
    require_healthy: bool = True,
) -> Iterator[ServerProcess]:
    """A real `pgwarden serve` subprocess on a free loopback port, stopped on exit. With
    `PGWARDEN_TEST_VIA_PGBOUNCER` set, its app connections go through a PgBouncer of its own in
    transaction mode (tests_py/test_pgbouncer.py runs the REST and auth tests that way)."""
    full_env = {**os.environ, "DATABASE_URL": database_url, **(env or {})}
    full_env.setdefault("PGWARDEN_SECRET_KEY", "test-secret-key-" + "x" * 32)
    with contextlib.ExitStack() as stack:
        if os.environ.get("PGWARDEN_TEST_VIA_PGBOUNCER"):
            full_env.update(_through_pgbouncer(stack, database_url, full_env))
        yield stack.enter_context(_serve(full_env, log_dir, args, timeout, require_healthy))


def _through_pgbouncer(
    stack: contextlib.ExitStack, database_url: str, env: Mapping[str, str]
) -> dict[str, str]:
    """Start a PgBouncer before the server and point the app's pool at it. The statement timeout
    becomes a setting of `authenticator` in this database, as docs/operations.md tells a DBA."""
    from webui.testing.pgbouncer import running_pgbouncer

    bouncer = stack.enter_context(running_pgbouncer(database_url))
    dbname = str(conninfo_to_dict(database_url)["dbname"])
    timeout_ms = int(env.get("PGWARDEN_STATEMENT_TIMEOUT_MS", "10000"))
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("alter role authenticator in database {} set statement_timeout = {}").format(
                sql.Identifier(dbname), sql.Literal(timeout_ms)
            )
        )
    return {"PGWARDEN_APP_DATABASE_URL": bouncer.url(dbname), "PGWARDEN_TRANSACTION_POOLER": "on"}


@contextmanager
def _serve(
    full_env: dict[str, str],
    log_dir: Path,
    args: tuple[str, ...],
    timeout: float,
    require_healthy: bool,
) -> Iterator[ServerProcess]:
    port = free_port()
    log_path = log_dir / f"serve-{port}.log"
    command = [sys.executable, "-m", "webui.cli", "serve", "--port", str(port), *args]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    server = ServerProcess(f"http://127.0.0.1:{port}", process, log_path)
    try:
        _wait_answering(server.base_url, process, timeout, require_healthy)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def running_rest(
    database_url: str,
    log_dir: Path,
    probe: str,
    env: Mapping[str, str] | None = None,
    args: tuple[str, ...] = (),
    port: int | None = None,
    timeout: float = 20.0,
) -> Iterator[str]:
    """A real `pgwarden rest` (the dialect alone, a stand-in for a PostgREST server) on a loopback
    port, stopped on exit; yields its base URL once `GET <probe>` answers 2xx. `args` may name a
    PostgREST configuration file; `PGRST_SERVER_PORT` is set to `port` (a free one by default)."""
    port = port or free_port()
    full_env = {**os.environ, "DATABASE_URL": database_url, **(env or {})}
    full_env["PGRST_SERVER_PORT"] = str(port)
    command = [sys.executable, "-m", "webui.cli", "rest", *args]
    with (log_dir / f"rest-{port}.log").open("wb") as log:
        process = subprocess.Popen(command, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_probe(url + probe, process, timeout)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_probe(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pgwarden rest exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"pgwarden rest did not answer {url} within {timeout}s")


def run_cli(
    *args: str,
    database_url: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 120.0,
) -> subprocess.CompletedProcess[str]:
    """Run `pgwarden ARGS` as a real subprocess (the installed CLI, this interpreter)."""
    full_env = {**os.environ, **(env or {})}
    if database_url:
        full_env["DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "webui.cli", *args],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
