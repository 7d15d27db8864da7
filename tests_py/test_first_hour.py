"""The first hour of a new user (issue 13): what `make run`, the CLI and the docs promise holds.
Each test reproduces one of the reported problems."""

from __future__ import annotations

import getpass
import os
import pty
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import psycopg
import psycopg.conninfo
import pytest
from argon2 import PasswordHasher

from webui.core.paths import declared_schemas
from webui.ops.cluster import Cluster
from webui.rest.config import load
from webui.testing import ServerProcess, run_cli, running_server, url_for_database


def test_the_policy_files_schemas_are_exposed_first_next_to_api(tmp_path: Path) -> None:
    assert declared_schemas() == ("library",)
    assert load(env={}, declared=declared_schemas()).db_schemas == ("library", "api")
    (tmp_path / "a.toml").write_text('[settings]\nschema = "shop"\n')
    (tmp_path / "b.toml").write_text("not = [toml")  # reported by `policies check`, skipped here
    assert declared_schemas(tmp_path) == ("shop",)


def test_pgrst_db_schemas_still_overrides_the_declared_ones() -> None:
    env = {"PGRST_DB_SCHEMAS": "api"}
    assert load(env=env, declared=("library",)).db_schemas == ("api",)


ROOT = Path(__file__).resolve().parents[1]
DEAD = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"


def _one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pgwarden: "), result.stderr
    return lines[0]


def test_migrate_status_on_an_unreachable_server_is_one_line() -> None:
    line = _one_line_error(run_cli("migrate", "status", database_url=DEAD))
    assert "cannot connect to the database (DATABASE_URL)" in line
    assert "Connection refused" in line and "check DATABASE_URL" in line


def test_migrate_deploy_with_a_malformed_url_is_one_line() -> None:
    line = _one_line_error(run_cli("migrate", "deploy", database_url="notaurl"))
    assert "DATABASE_URL is not a connection string" in line
    assert "postgresql://USER:PASSWORD@HOST:PORT/DBNAME" in line


def test_db_url_from_a_subfolder_finds_the_project_state(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "migrations").mkdir(parents=True)
    (project / ".pgwarden").mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PGWARDEN_HOME")}
    result = subprocess.run(
        [sys.executable, "-m", "webui.cli", "db", "url"],
        cwd=project / "migrations",
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "no embedded cluster exists yet" in _one_line_error(result)
    Cluster(project / ".pgwarden").config_file.write_text('{"port": 5999, "socket_dir": "/s"}')
    (project / ".pgwarden" / "data").mkdir()
    (project / ".pgwarden" / "data" / "PG_VERSION").write_text("15")
    found = subprocess.run(
        [sys.executable, "-m", "webui.cli", "db", "url"],
        cwd=project / "migrations",
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == "postgresql://postgres@/pgwarden?host=/s&port=5999"


def test_serve_on_a_dead_server_says_why_and_exits() -> None:
    result = run_cli(
        "serve", "--port", "1", database_url=DEAD, env={"PGWARDEN_SECRET_KEY": "k" * 40}
    )
    assert "Connection refused" in _one_line_error(result)


def test_serve_logs_why_it_lost_the_database(empty_db_url: str, tmp_path: Path) -> None:
    name = psycopg.conninfo.conninfo_to_dict(empty_db_url)["dbname"]
    owner = url_for_database(empty_db_url, "postgres")
    with running_server(empty_db_url, tmp_path, require_healthy=False) as server:
        with psycopg.connect(owner, autocommit=True) as conn:
            conn.execute(f'alter database "{name}" allow_connections false')
            conn.execute(
                "select pg_terminate_backend(pid) from pg_stat_activity"
                " where datname = %s and pid <> pg_backend_pid()",
                [name],
            )
        deadline = time.monotonic() + 15
        while "accepting connections" not in server.log() and time.monotonic() < deadline:
            time.sleep(0.2)
        log = server.log()
    with psycopg.connect(owner, autocommit=True) as conn:
        conn.execute(f'alter database "{name}" allow_connections true')
    assert "schema listener: OperationalError: " in log, log
    assert "is not currently accepting connections" in log, log


@pytest.fixture
def cluster_dir() -> Iterator[Path]:
    """A folder for clusters outside /tmp/pytest-of-root: a starting pytest session resets that
    one to 0700, and the server runs as the `postgres` OS user, who must traverse it."""
    folder = Path(tempfile.mkdtemp(prefix="pgw-first-hour-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _clean_env(**extra: str) -> dict[str, str]:
    drop = ("DATABASE_URL", "PGWARDEN_HOME", "PGWARDEN_TEST_HOME", "PGWARDEN_TEST_DATABASE_URL")
    return {**{k: v for k, v in os.environ.items() if k not in drop}, **extra}


@pytest.mark.slow
def test_db_stop_and_make_clean_stop_every_cluster_under_the_state_folder(
    cluster_dir: Path,
) -> None:
    tmp_path = cluster_dir
    main, test = Cluster(tmp_path / ".pgwarden"), Cluster(tmp_path / ".pgwarden" / "test")
    try:
        main.start(fast_unsafe=True)
        test.start(fast_unsafe=True)
        stopped = subprocess.run(  # from the project folder: its .pgwarden/ is found
            [sys.executable, "-m", "webui.cli", "db", "stop"],
            cwd=tmp_path,
            env=_clean_env(),
            capture_output=True,
            text=True,
            check=False,
        )
        assert stopped.returncode == 0, stopped.stderr
        assert not main.is_running() and not test.is_running()
        assert f"PostgreSQL stopped: {test.home}" in stopped.stdout
        test.start(fast_unsafe=True)  # what `make test` used to leave behind
        cleaned = subprocess.run(
            ["make", "-s", "-f", str(ROOT / "Makefile"), "clean", f"BIN={ROOT / '.venv' / 'bin'}"],
            cwd=tmp_path,
            env=_clean_env(),
            capture_output=True,
            text=True,
            check=False,
        )
        assert cleaned.returncode == 0, cleaned.stdout + cleaned.stderr
        assert not (tmp_path / ".pgwarden").exists()
        alive = subprocess.run(
            ["pgrep", "-f", str(test.data_dir)], capture_output=True, check=False
        )
        assert alive.returncode == 1, "a postgres outlived `make clean`"
    finally:
        for cluster in (test, main):
            if cluster.is_initialised():
                cluster.stop()


@pytest.mark.slow
def test_a_test_session_stops_the_cluster_it_started(cluster_dir: Path) -> None:
    home = cluster_dir / "test-cluster"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            f"{Path(__file__)}::test_pgrst_db_schemas_still_overrides_the_declared_ones",
        ],
        cwd=ROOT,
        env=_clean_env(PGWARDEN_TEST_HOME=str(home)),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert Cluster(home).is_initialised() and not Cluster(home).is_running()


def test_every_declared_resource_has_four_permissions_every_command_accepts(db_url: str) -> None:
    assert run_cli("example", "load", "library", database_url=db_url).returncode == 0
    listed = run_cli("perm", "list", database_url=db_url)
    for resource in ("branches", "patrons", "items", "staff_branches", "loans"):
        for action in ("view", "add", "change", "delete"):
            assert f"{resource}.{action}" in listed.stdout, (resource, action)
    granted = run_cli("perm", "grant", "--group", "editor", "loans.view", database_url=db_url)
    assert granted.returncode == 0, granted.stderr
    assert "granted loans.view to group editor" in granted.stdout
    direct = run_cli(
        "perm", "grant", "--email", "staff@library.example", "loans.delete", database_url=db_url
    )
    assert direct.returncode == 0, direct.stderr
    scoped = run_cli(
        "authz",
        "grant",
        "--user",
        "staff@library.example",
        "--permission",
        "patrons.change",
        "--scope",
        "branch=1",
        "--expires",
        "1h",
        database_url=db_url,
    )
    assert scoped.returncode == 0, scoped.stderr
    unknown = run_cli("perm", "grant", "--group", "editor", "loans.fly", database_url=db_url)
    assert "unknown permission 'loans.fly'" in _one_line_error(unknown)


def test_cli_changes_name_their_os_actor_and_operation(
    db: psycopg.Connection, db_url: str, server: ServerProcess
) -> None:
    created = subprocess.run(
        [
            sys.executable,
            "-m",
            "webui.cli",
            "user",
            "create",
            "--email",
            "cli@example.com",
            "--role",
            "staff",
            "--password-stdin",
        ],
        input="a long enough password 42\n",
        env={**os.environ, "DATABASE_URL": db_url},
        capture_output=True,
        text=True,
        check=False,
    )
    assert created.returncode == 0, created.stderr
    joined = run_cli(
        "group", "add-user", "editor", "--email", "cli@example.com", database_url=db_url
    )
    assert joined.returncode == 0, joined.stderr
    login = httpx.post(
        f"{server.base_url}/auth/login",
        json={"email": "cli@example.com", "password": "a long enough password 42"},
    )
    assert login.status_code == 200, login.text
    db.autocommit = True
    rows = db.execute(
        "select event, metadata ->> 'os_actor', metadata ->> 'cli_operation' from audit.events"
        " where event in ('user_created', 'group_membership_changed', 'login_succeeded')"
        " order by id"
    ).fetchall()
    actor = f"{getpass.getuser()}@{socket.gethostname()}"
    assert ("user_created", actor, "user create") in rows
    assert ("group_membership_changed", actor, "group add-user") in rows
    assert ("login_succeeded", None, None) in rows  # a web request claims no OS identity
    shown = db.execute("select event, os_actor, cli_operation from audit.cli_changes").fetchall()
    assert ("user_created", actor, "user create") in shown
    assert all(event != "login_succeeded" for event, _, _ in shown)


def test_audit_tail_names_the_cli_actor(db_url: str) -> None:
    created = run_cli(
        "user", "create", "--email", "tail@example.com", "--no-password", database_url=db_url
    )
    assert created.returncode == 0, created.stderr
    tail = run_cli("audit", "tail", "--event", "user_created", database_url=db_url)
    assert f"cli {getpass.getuser()}@{socket.gethostname()}" in tail.stdout, tail.stdout


def test_known_constraints_read_as_words_on_the_cli(db_url: str) -> None:
    bad = run_cli("user", "create", "--email", "not-an-email", "--no-password", database_url=db_url)
    line = _one_line_error(bad)
    assert line == "pgwarden: not a valid email address (an email looks like name@example.com)"
    first = run_cli(
        "user", "create", "--email", "Dup@Example.com", "--no-password", database_url=db_url
    )
    assert first.returncode == 0, first.stderr
    again = run_cli(
        "user", "create", "--email", "dup@example.com", "--no-password", database_url=db_url
    )
    assert "an account with this email already exists" in _one_line_error(again)
    group = run_cli("group", "create", "Not A Name", database_url=db_url)
    assert "not a valid group name" in _one_line_error(group)


def test_known_constraints_read_as_the_same_words_in_the_api(
    db: psycopg.Connection, db_url: str, tmp_path: Path
) -> None:
    assert run_cli("example", "load", "library", database_url=db_url).returncode == 0
    db.autocommit = True
    db.execute(
        "insert into pgwarden.constraint_messages values"
        " ('library', 'branches', 'branches_name_key', 'a branch with this name already exists',"
        "  'choose another name')"
    )
    admin = db.execute("select id from auth.users where role = 'administrator'").fetchone()
    assert admin is not None
    secret = "first-hour-secret-" + "s" * 32
    claims = {"sub": str(admin[0]), "role": "pgw_administrator", "tier": "administrator"}
    headers = {"Authorization": f"Bearer {jwt.encode(claims, secret, algorithm='HS256')}"}
    with running_server(db_url, tmp_path, env={"PGRST_JWT_SECRET": secret}) as server:
        answer = httpx.post(
            f"{server.base_url}/rest/v1/branches", json={"name": "Central"}, headers=headers
        )
    assert answer.status_code == 409, answer.text
    body = answer.json()
    assert body["code"] == "23505"
    assert body["message"] == "a branch with this name already exists"
    assert body["hint"] == "choose another name"
    assert "branches_name_key" in body["details"]


def test_user_show_tells_tier_groups_permissions_sessions_and_lock(
    db: psycopg.Connection, db_url: str, server: ServerProcess
) -> None:
    password = "a long enough password 42"
    created = subprocess.run(
        [
            sys.executable,
            "-m",
            "webui.cli",
            "user",
            "create",
            "--email",
            "show@example.com",
            "--role",
            "staff",
            "--group",
            "viewer",
            "--password-stdin",
        ],
        input=password + "\n",
        env={**os.environ, "DATABASE_URL": db_url},
        capture_output=True,
        text=True,
        check=False,
    )
    assert created.returncode == 0, created.stderr
    db.autocommit = True
    db.execute(
        "insert into auth.permissions (codename) values ('gizmos.view') on conflict do nothing"
    )
    assert (
        run_cli(
            "perm", "grant", "--email", "show@example.com", "gizmos.view", database_url=db_url
        ).returncode
        == 0
    )
    login = httpx.post(
        f"{server.base_url}/auth/login", json={"email": "show@example.com", "password": password}
    )
    assert login.status_code == 200, login.text
    shown = run_cli("user", "show", "--email", "SHOW@example.com", database_url=db_url)
    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    assert "<show@example.com>" in out and "tier:        staff" in out
    assert "groups:      viewer" in out
    assert "gizmos.view" in out.split("permissions:")[1].splitlines()[0]
    assert "sessions:    1 live" in out and "from 127.0.0.1" in out
    assert "state:       not locked; 0 failed login(s)" in out
    db.execute(
        "update auth.users set locked_until = now() + interval '1 hour'"
        " where email = 'show@example.com'"
    )
    assert (
        "locked until"
        in run_cli("user", "show", "--email", "show@example.com", database_url=db_url).stdout
    )
    missing = run_cli("user", "show", "--email", "nobody@example.com", database_url=db_url)
    assert "no user with email" in _one_line_error(missing)


def test_dbshell_opens_psql_on_the_configured_database(db: psycopg.Connection, db_url: str) -> None:
    result = run_cli("dbshell", "--", "-tAc", "select current_database()", database_url=db_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == db.info.dbname
    no_psql = run_cli("dbshell", database_url=db_url, env={"PATH": "/nonexistent"})
    assert "psql is not installed" in _one_line_error(no_psql)


def _in_a_terminal(args: list[str], env: dict[str, str], answers: list[str]) -> tuple[int, str]:
    """Run `pgwarden ARGS` with a pseudo-terminal as its controlling TTY, answering prompts."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the pty is its terminal
        os.execve(sys.executable, [sys.executable, "-m", "webui.cli", *args], env)  # noqa: S606
    seen = b""
    for answer in answers:
        while not seen.rstrip().endswith(b":"):
            seen += os.read(fd, 1024)
        os.write(fd, answer.encode() + b"\n")
        seen += b"|"
    while True:
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), seen.decode(errors="replace")


def test_create_and_set_password_prompt_hidden_on_a_tty(
    db: psycopg.Connection, db_url: str
) -> None:
    env = {**os.environ, "DATABASE_URL": db_url}
    first, second = "typed in a terminal 1", "typed in a terminal 2"
    code, out = _in_a_terminal(
        ["user", "create", "--email", "tty@example.com"], env, [first, first]
    )
    assert code == 0, out
    assert "Password:" in out and "Again:" in out and first not in out  # never echoed
    code, out = _in_a_terminal(
        ["user", "set-password", "--email", "tty@example.com"], env, [second, second]
    )
    assert code == 0, out
    assert second not in out
    code, out = _in_a_terminal(
        ["user", "create", "--email", "tty2@example.com"],
        env,
        ["one password here", "another password"],
    )
    assert code == 1 and "the passwords differ" in out
    db.autocommit = True
    row = db.execute("select password_hash from auth.users where email = 'tty@example.com'")
    stored = row.fetchone()
    assert stored is not None and PasswordHasher().verify(stored[0], second)
