"""A real streaming hot standby of a PostgreSQL server, for tests and benchmarks:
`running_standby(server_url)`.

`pg_basebackup -R -X stream` copies the server (reached as its URL says: the embedded cluster's
Unix socket, where local connections, replication included, are trusted) into a private folder
and writes `primary_conninfo` and `standby.signal`; the standby then starts on its own port and
socket. As root both run as the `postgres` OS user, like the embedded cluster. Every step is
bounded in time, and the folder is removed at the end."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from webui.ops.cluster import postgres_bindir
from webui.testing import free_port

RUN_AS = "postgres"


@dataclass
class Standby:
    home: Path
    port: int

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def socket_dir(self) -> Path:
        return self.home / "sock"

    def url(self, dbname: str, user: str = "postgres") -> str:
        return make_conninfo(
            host=str(self.socket_dir), port=str(self.port), dbname=dbname, user=user
        )

    def log(self) -> str:
        path = self.home / "standby.log"
        return path.read_text(errors="replace") if path.is_file() else ""

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.socket_dir} -c listen_addresses='' "
            "-c shared_buffers=64MB -c hot_standby=on -c hot_standby_feedback=on"
        )
        _run(
            "pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data_dir),
            "-l", str(self.home / "standby.log"), "-o", options,
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        if (self.data_dir / "postmaster.pid").is_file():
            _run("pg_ctl", "stop", "-w", "-t", "30", "-m", mode, "-D", str(self.data_dir))

    def wait_replayed(self, primary_url: str, timeout: float = 30.0) -> None:
        """Until the standby has replayed everything the primary has written so far."""
        with psycopg.connect(primary_url, autocommit=True) as conn:
            # the insert position, as the app signs it (the write position lags it with
            # synchronous_commit = off, as on the test cluster)
            row = conn.execute("select pg_current_wal_insert_lsn()::text").fetchone()
        target = str(row[0]) if row else "0/0"
        deadline = time.monotonic() + timeout
        # `postgres`: the primary's database may be newer than what the standby has replayed
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            while True:
                done = conn.execute(
                    "select pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]
                ).fetchone()
                if done and done[0]:
                    return
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the standby did not replay {target} in {timeout}s")
                time.sleep(0.05)


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", RUN_AS, "--", *command]
    return command


def _run(tool: str, *args: str, timeout: float = 120.0) -> None:
    command = _as_server_user([str(postgres_bindir() / tool), *args])
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{tool} failed:\n{result.stdout}{result.stderr}")


def _private_home() -> Path:
    home = Path(tempfile.mkdtemp(prefix="pgw-sb-"))  # short: a socket path has ~107 bytes
    (home / "sock").mkdir(mode=0o700)
    if os.geteuid() == 0:
        entry = pwd.getpwnam(RUN_AS)
        for path in (home, home / "sock"):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    return home


@contextmanager
def running_standby(server_url: str) -> Iterator[Standby]:
    """A hot standby of the server at `server_url` (its superuser), stopped and removed after."""
    params = conninfo_to_dict(server_url)
    home = _private_home()
    standby = Standby(home, free_port())
    try:
        _run(
            "pg_basebackup", "-D", str(standby.data_dir), "-R", "-X", "stream", "-c", "fast",
            "-h", str(params.get("host") or "127.0.0.1"), "-p", str(params.get("port") or 5432),
            "-U", str(params.get("user") or "postgres"), "-w",
        )  # fmt: skip
        # the copy's own settings file: pg_cron stays on the primary, where the jobs run
        (standby.data_dir / "pgwarden.conf").write_text("# a test standby\n")
        standby.start()
        yield standby
    finally:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            standby.stop("immediate")  # a test may have stopped it already
        shutil.rmtree(home, ignore_errors=True)
