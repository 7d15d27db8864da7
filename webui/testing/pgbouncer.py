"""A real PgBouncer (Debian's `pgbouncer`) in transaction pooling mode in front of a PostgreSQL
server, for tests: `running_pgbouncer(server_url)`.

It reaches the server the way the server's URL does (the embedded cluster's Unix socket, where
local connections are trusted), and lets clients in on a private loopback port with
`auth_type = trust` for the users of its auth_file. PgBouncer refuses to run as root, so as root
it runs as the `postgres` OS user, like the embedded cluster."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict, make_conninfo

RUN_AS = "postgres"


def pgbouncer_binary() -> str | None:
    found = shutil.which("pgbouncer")
    if found:
        return found
    return "/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").is_file() else None


@dataclass(frozen=True)
class Bouncer:
    port: int
    home: Path

    def url(self, dbname: str, user: str = "authenticator") -> str:
        return make_conninfo(host="127.0.0.1", port=str(self.port), dbname=dbname, user=user)

    def show(self, what: str) -> list[dict[str, str]]:
        """`SHOW <what>` on the admin console (simple query protocol, hence psql)."""
        where = ["-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", "pgbouncer"]
        out = subprocess.run(
            ["psql", "-X", "-A", "-F", "\t", *where, "-c", f"show {what}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
        header = out[0].split("\t")
        return [dict(zip(header, line.split("\t"), strict=False)) for line in out[1:-1]]

    def log(self) -> str:
        return (self.home / "pgbouncer.log").read_text(errors="replace")


def _config(server_url: str, port: int, home: Path) -> str:
    server = conninfo_to_dict(server_url)
    target = f"host={server.get('host', '127.0.0.1')} port={server.get('port', '5432')}"
    return f"""[databases]
* = {target}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {home}/userlist.txt
admin_users = postgres
pool_mode = transaction
default_pool_size = 8
min_pool_size = 4
max_client_conn = 200
server_reset_query =
# hand each transaction to the next server session in turn: state left in one shows at once
server_round_robin = 1
logfile = {home}/pgbouncer.log
pidfile = {home}/pgbouncer.pid
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_listening(port: int, process: subprocess.Popen[bytes], home: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = (home / "pgbouncer.log").read_text(errors="replace")
            raise RuntimeError(f"pgbouncer exited with {process.returncode}:\n{log}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("pgbouncer did not listen within 15s")


@contextmanager
def running_pgbouncer(server_url: str) -> Iterator[Bouncer]:
    binary = pgbouncer_binary()
    if binary is None:
        raise RuntimeError("pgbouncer not found: `apt-get install pgbouncer`")
    home = Path(tempfile.mkdtemp(prefix="pgw-bouncer-"))
    port = _free_port()
    (home / "pgbouncer.ini").write_text(_config(server_url, port, home))
    (home / "userlist.txt").write_text('"authenticator" ""\n"postgres" ""\n')
    command = [binary, str(home / "pgbouncer.ini")]
    if os.geteuid() == 0:
        entry = pwd.getpwnam(RUN_AS)
        for path in (home, *home.iterdir()):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        command = ["runuser", "-u", RUN_AS, "--", *command]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_listening(port, process, home)
        yield Bouncer(port, home)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(home, ignore_errors=True)
