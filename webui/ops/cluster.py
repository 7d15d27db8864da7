"""The embedded PostgreSQL cluster: a project-local data folder, a private port and socket.

`initdb` and `postgres` refuse to run as root, so when pgwarden runs as root the server runs as
the `postgres` OS user, on a data folder that user owns.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import pwd
import random
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from webui.core.paths import state_dir

DATABASE_NAME = "pgwarden"
SERVER_USER = "postgres"
# Settings for a throw-away test cluster: durability off, which is never right for real data.
FAST_UNSAFE_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
# Settings pgwarden owns, rewritten at every start (so an older cluster picks them up on its next
# restart) into a file that postgresql.conf includes.
EXTRA_CONF = "pgwarden.conf"


class ClusterError(RuntimeError):
    """The cluster could not be managed; the message says what to do next."""


def postgres_bindir() -> Path:
    """The folder of `initdb`/`pg_ctl`: `PG_BINDIR`, else the newest Debian install, else PATH."""
    if os.environ.get("PG_BINDIR"):
        return Path(os.environ["PG_BINDIR"])
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key)
    if candidates:
        return Path(candidates[-1])
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    raise ClusterError(
        "PostgreSQL server binaries not found: install them with "
        "`apt-get install postgresql-15` or set PG_BINDIR."
    )


def cron_settings() -> dict[str, str]:
    """The server settings that load pg_cron for the embedded database; none without it."""
    if not (postgres_bindir().parent / "lib" / "pg_cron.so").is_file():
        return {}
    return {
        "shared_preload_libraries": "'pg_cron'",
        "cron.database_name": f"'{DATABASE_NAME}'",
        "cron.use_background_workers": "on",
        "max_worker_processes": "16",
    }


def _version_key(path: str) -> int:
    part = Path(path).parent.name
    return int(part) if part.isdigit() else 0


def _free_port() -> int:
    for _ in range(200):
        port = random.randint(54100, 54999)  # noqa: S311 (a port, not a secret)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise ClusterError("no free TCP port found in 54100-54999")


@dataclass
class Cluster:
    home: Path

    @classmethod
    def default(cls) -> Cluster:
        return cls(state_dir())

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def log_file(self) -> Path:
        return self.home / "log" / "postgres.log"

    @property
    def config_file(self) -> Path:
        return self.home / "cluster.json"

    @property
    def as_root(self) -> bool:
        return os.geteuid() == 0

    def is_initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").is_file() and self.config_file.is_file()

    def config(self) -> dict[str, object]:
        return json.loads(self.config_file.read_text())

    @property
    def port(self) -> int:
        return int(self.config()["port"])

    @property
    def socket_dir(self) -> Path:
        return Path(str(self.config()["socket_dir"]))

    def url(self, dbname: str = DATABASE_NAME, user: str = SERVER_USER) -> str:
        return f"postgresql://{user}@/{dbname}?host={self.socket_dir}&port={self.port}"

    # -- running commands as the server's OS user -------------------------------------------
    def _server_cmd(self, tool: str, *args: str) -> list[str]:
        binary = str(postgres_bindir() / tool)
        if self.as_root:
            return ["runuser", "-u", SERVER_USER, "--", binary, *args]
        return [binary, *args]

    def _run(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self._server_cmd(tool, *args), capture_output=True, text=True, check=False
        )

    def _give_to_server_user(self, path: Path) -> None:
        if self.as_root:
            entry = pwd.getpwnam(SERVER_USER)
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def _private_dir(self, folder: Path) -> None:
        """Create `folder` 0700 for the server user; refuse one someone else planted."""
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._give_to_server_user(folder)
        owner = folder.lstat().st_uid
        expected = pwd.getpwnam(SERVER_USER).pw_uid if self.as_root else os.geteuid()
        if folder.is_symlink() or owner != expected:
            raise ClusterError(f"{folder} exists but is not owned by the server user: remove it")
        folder.chmod(0o700)

    def _ensure_reachable(self) -> None:
        """Let the server's OS user traverse every folder above the cluster (search bit only)."""
        if not self.as_root:
            return
        for parent in reversed(self.home.parents):
            mode = parent.stat().st_mode
            if not mode & 0o001:
                os.chmod(parent, mode | 0o001)
                print(f"  made {parent} traversable (o+x) for the {SERVER_USER} OS user")

    # -- lifecycle -------------------------------------------------------------------------
    def init(self, fast_unsafe: bool = False) -> None:
        if self.is_initialised():
            return
        if self.as_root:
            try:
                pwd.getpwnam(SERVER_USER)
            except KeyError as exc:
                raise ClusterError(
                    "running as root needs the `postgres` OS user: "
                    "`apt-get install postgresql-15` creates it"
                ) from exc
        self.home.mkdir(parents=True, exist_ok=True)
        self._ensure_reachable()
        # Unix socket paths are limited to ~107 bytes, so the socket lives in a short private
        # folder under /tmp (mode 0700, owned by the server user), not in the project folder.
        digest = hashlib.sha256(str(self.home).encode()).hexdigest()[:10]
        socket_dir = Path(f"/tmp/.pgwarden-{digest}")  # noqa: S108 (checked by _private_dir)
        for folder in (self.data_dir, self.log_file.parent, socket_dir):
            self._private_dir(folder)
        print(f"  initialising a PostgreSQL cluster in {self.data_dir}")
        result = self._run(
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            SERVER_USER,
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
        )
        if result.returncode != 0:
            raise ClusterError(f"initdb failed:\n{result.stdout}{result.stderr}")
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "max_connections": "200",
            "shared_buffers": "'256MB'",
        }
        if fast_unsafe:
            settings.update(FAST_UNSAFE_SETTINGS)
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write("\n# pgwarden embedded cluster\n")
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
        config = {"port": _free_port(), "socket_dir": str(socket_dir), "fast_unsafe": fast_unsafe}
        self.config_file.write_text(json.dumps(config, indent=2) + "\n")

    def _write_extra_conf(self) -> None:
        """pg_cron, when Debian's postgresql-NN-cron is installed: the scheduled jobs then run in
        the database (docs/operations.md#scheduled-jobs), as background workers, so they need no
        password for a loopback connection."""
        settings = cron_settings()
        lines = ["# written by pgwarden at every `db start`; edits are lost\n"]
        lines += [f"{key} = {value}\n" for key, value in settings.items()]
        (self.data_dir / EXTRA_CONF).write_text("".join(lines))
        conf = self.data_dir / "postgresql.conf"
        include = f"include_if_exists = '{EXTRA_CONF}'"
        if include not in conf.read_text():
            with conf.open("a") as handle:
                handle.write(f"{include}\n")

    def _ensure_cron(self) -> None:
        """Create pg_cron in the database it serves, when the server loaded it."""
        with psycopg.connect(self.url(DATABASE_NAME), autocommit=True) as conn:
            row = conn.execute("select current_setting('cron.database_name', true)").fetchone()
            if row and row[0] == DATABASE_NAME:
                conn.execute("create extension if not exists pg_cron")

    def is_running(self) -> bool:
        if not self.is_initialised():
            return False
        return self._run("pg_ctl", "status", "-D", str(self.data_dir)).returncode == 0

    def start(self, fast_unsafe: bool = False) -> None:
        self.init(fast_unsafe=fast_unsafe)
        if not self.is_running():
            self._private_dir(self.socket_dir)
            self._write_extra_conf()
            options = f"-p {self.port} -k {self.socket_dir}"
            result = self._run(
                "pg_ctl",
                "start",
                "-w",
                "-t",
                "60",
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
                "-o",
                options,
            )
            if result.returncode != 0:
                raise ClusterError(
                    f"pg_ctl start failed; see {self.log_file}:\n{result.stdout}{result.stderr}"
                )
        self._wait_ready()
        self.ensure_database(DATABASE_NAME)
        self._ensure_cron()

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(self.url("postgres"), connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def ensure_database(self, name: str) -> None:
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            exists = conn.execute("select 1 from pg_database where datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))

    def stop(self) -> None:
        if self.is_running():
            result = self._run("pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.data_dir))
            if result.returncode != 0:
                raise ClusterError(f"pg_ctl stop failed:\n{result.stdout}{result.stderr}")

    def status(self) -> str:
        if not self.is_initialised():
            return f"no cluster in {self.home} (run `pgwarden db start`)"
        state = "running" if self.is_running() else "stopped"
        return f"{state}: data {self.data_dir}, port {self.port}, socket {self.socket_dir}"


def clusters_under(root: Path) -> list[Cluster]:
    """Every cluster in `root` or in a folder below it (e.g. `.pgwarden/test`), deepest first."""
    if not root.is_dir():
        return []
    found = [Cluster(config.parent) for config in root.rglob("cluster.json")]
    return sorted(found, key=lambda c: len(c.home.parts), reverse=True)
