"""One registry for both tools (docs/migrations.md): `pgwarden migrate` reads and writes sqitch's
own registry with sqitch's change ids, so a database deployed partly by stock `sqitch` and partly
by `pgwarden migrate`, in either order, shows the same state in both and reverts with either."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from test_migrations import _plan_with_failing_change, run_sqitch, sqitch_target

from webui.core.paths import migrations_dir, project_dir
from webui.ops.migrations import MigrationError, Migrator, load_plan
from webui.testing import ServerProcess, run_cli

LIBRARY = project_dir() / "examples" / "library" / "migrations"


def library_changes() -> list[str]:
    """The example's change names, in plan order (the example gains changes over time)."""
    return [c.name for c in load_plan(LIBRARY).changes]


PLANS = [migrations_dir(), LIBRARY]

# What must match row for row between the tools (everything but who and when).
REGISTRY_ROWS = {
    "projects": "select project, uri from sqitch.projects order by 1",
    "changes": "select change_id, script_hash, change, project, note, planned_at, planner_name, "
    "planner_email from sqitch.changes order by committed_at",
    "tags": "select tag_id, tag, project, change_id, note, planned_at, planner_name, "
    "planner_email from sqitch.tags order by tag_id",
    "dependencies": "select change_id, type, dependency, dependency_id from sqitch.dependencies "
    "order by 1, 3",
    "events": "select event, change_id, change, project, note, requires, conflicts, tags, "
    "planned_at, planner_name, planner_email from sqitch.events order by committed_at",
    "releases": "select version from sqitch.releases",
}


@contextmanager
def extra_database(empty_db_url: str) -> Iterator[str]:
    """A second empty database on the same server, dropped afterwards."""
    params = conninfo_to_dict(empty_db_url)
    name = f"{params['dbname']}_b"
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    try:
        yield make_conninfo(empty_db_url, dbname=name)
    finally:
        with psycopg.connect(empty_db_url, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture
def other_db_url(empty_db_url: str) -> Iterator[str]:
    with extra_database(empty_db_url) as url:
        yield url


def registry_rows(url: str) -> dict[str, list[tuple[object, ...]]]:
    with psycopg.connect(url) as conn:
        return {name: conn.execute(query).fetchall() for name, query in REGISTRY_ROWS.items()}


def sqitch(url: str, *args: str, top: Path | None = None) -> str:
    result = run_sqitch(url, *args, top=top)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def pgwarden(url: str, *args: str) -> str:
    result = run_cli("migrate", *args, database_url=url)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def middle() -> str:
    changes = load_plan().changes
    return changes[len(changes) // 2].name


@pytest.mark.parametrize("top", PLANS, ids=["pgwarden", "library"])
def test_change_and_tag_ids_equal_sqitchs(top: Path) -> None:
    listed = subprocess.run(
        ["sqitch", "plan", "--no-headers", "--format", "format:%H %n"],
        cwd=top,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    ours = [f"{change.id} {change.name}" for change in load_plan(top).changes]
    assert [line for line in listed if line.strip()] == ours


def _schema(url: str) -> str:
    params = conninfo_to_dict(url)
    out = subprocess.run(
        ["pg_dump", "--schema-only", "--no-owner", "--schema=sqitch", f"--host={params['host']}",
         f"--port={params['port']}", f"--username={params['user']}", str(params["dbname"])],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    keep = [ln for ln in out.splitlines() if ln.strip() and not ln.startswith(("--", "\\"))]
    return re.sub(r"COMMENT ON [^;]*;\n?", "", "\n".join(keep) + "\n")


def test_pgwarden_creates_the_registry_sqitch_creates(empty_db_url: str, other_db_url: str) -> None:
    """Same tables, columns, types, defaults, keys and checks (comments aside)."""
    sqitch(empty_db_url, "deploy", "--to", "roles")
    pgwarden(other_db_url, "deploy", "--to", "roles")
    dump = _schema(empty_db_url)
    assert "CREATE TABLE sqitch.events" in dump
    assert _schema(other_db_url) == dump


def test_both_tools_write_the_same_registry_rows(empty_db_url: str, other_db_url: str) -> None:
    """Ids, script hashes, tags, resolved dependencies (across projects too) and events."""
    sqitch(empty_db_url, "deploy")
    sqitch(empty_db_url, "deploy", top=LIBRARY)
    sqitch(empty_db_url, "revert", "-y", top=LIBRARY)
    pgwarden(other_db_url, "deploy")
    pgwarden(other_db_url, "deploy", "--project", "library")
    pgwarden(other_db_url, "revert", "--yes", "--project", "library")
    by_sqitch, by_pgwarden = registry_rows(empty_db_url), registry_rows(other_db_url)
    assert by_sqitch["tags"], "the release tag is recorded"
    assert any(e[0] == "revert" for e in by_sqitch["events"])
    for table in REGISTRY_ROWS:
        assert by_pgwarden[table] == by_sqitch[table], table


def _states(url: str) -> tuple[str, str]:
    """`sqitch status` (exits 1 when nothing is deployed) and `pgwarden migrate status`."""
    return run_sqitch(url, "status").stdout, pgwarden(url, "status")


@pytest.mark.parametrize("first", ["sqitch", "pgwarden"])
def test_half_by_one_tool_half_by_the_other(empty_db_url: str, first: str) -> None:
    url, half = empty_db_url, middle()
    plan = load_plan().changes
    deploy_half = {"sqitch": lambda: sqitch(url, "deploy", "--to", half),
                   "pgwarden": lambda: pgwarden(url, "deploy", "--to", half)}  # fmt: skip
    deploy_rest = {"sqitch": lambda: sqitch(url, "deploy"),
                   "pgwarden": lambda: pgwarden(url, "deploy")}  # fmt: skip
    second = "pgwarden" if first == "sqitch" else "sqitch"

    deploy_half[first]()
    by_sqitch, by_pgwarden = _states(url)
    assert f"# Name:     {half}\n" in by_sqitch
    done = next(i for i, c in enumerate(plan) if c.name == half) + 1
    assert by_pgwarden.strip().endswith(f"{done} deployed, {len(plan) - done} pending")
    assert f"deployed  {half} " in by_pgwarden

    deploy_rest[second]()
    by_sqitch, by_pgwarden = _states(url)
    assert "Nothing to deploy (up-to-date)" in by_sqitch
    assert by_pgwarden.strip().endswith(f"{len(plan)} deployed, 0 pending")
    assert "Nothing to deploy" in pgwarden(url, "deploy")  # nothing applied twice

    revert_half = {"sqitch": lambda: sqitch(url, "revert", "-y", "--to", half),
                   "pgwarden": lambda: pgwarden(url, "revert", "--to", half)}  # fmt: skip
    revert_half[first]()
    assert f"{done} deployed, {len(plan) - done} pending" in pgwarden(url, "status")
    {"sqitch": lambda: sqitch(url, "revert", "-y"),
     "pgwarden": lambda: pgwarden(url, "revert", "--yes")}[second]()  # fmt: skip
    by_sqitch, by_pgwarden = _states(url)
    assert "No changes deployed" in by_sqitch
    assert by_pgwarden.strip().endswith(f"0 deployed, {len(plan)} pending")
    with psycopg.connect(url) as conn:
        assert conn.execute("select to_regnamespace('auth') is null").fetchone() == (True,)


def test_no_yoyo_bookkeeping_is_left(empty_db_url: str) -> None:
    pgwarden(empty_db_url, "deploy")
    with psycopg.connect(empty_db_url) as conn:
        tables = conn.execute("select relname from pg_class where relname like '%yoyo%'").fetchall()
    assert tables == []


def test_a_failed_change_is_logged_as_sqitch_logs_it(empty_db_url: str, tmp_path: Path) -> None:
    top = _plan_with_failing_change(tmp_path)
    with pytest.raises(MigrationError, match="deploy broken failed"):
        Migrator(empty_db_url, top=top, quiet=True).deploy()
    with psycopg.connect(empty_db_url) as conn:
        events = conn.execute(
            "select event, change from sqitch.events order by committed_at desc limit 1"
        ).fetchall()
        changes = conn.execute("select change from sqitch.changes").fetchall()
    assert events == [("fail", "broken")]
    assert ("broken",) not in changes
    assert "broken" in sqitch(empty_db_url, "status", top=top)  # still pending for sqitch too


def test_a_change_another_project_requires_is_not_reverted(db_url: str) -> None:
    Migrator(db_url, top=LIBRARY, quiet=True).deploy()
    result = run_cli("migrate", "revert", "--yes", database_url=db_url)
    assert result.returncode == 1
    assert "required by deployed change(s) library:policies_library" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert "0 pending" in pgwarden(db_url, "status")  # nothing was reverted


def test_deploy_refuses_a_missing_required_project(empty_db_url: str) -> None:
    result = run_cli("migrate", "deploy", "--project", "library", database_url=empty_db_url)
    assert result.returncode == 1
    assert "missing required change(s): pgwarden:" in result.stderr
    with psycopg.connect(empty_db_url) as conn:
        assert conn.execute("select count(*) from sqitch.changes").fetchone() == (0,)


def test_status_all_lists_every_project_and_revert_project_reverts_one(db_url: str) -> None:
    sqitch(db_url, "deploy", top=LIBRARY)  # the example's project, deployed by stock sqitch
    out = pgwarden(db_url, "status", "--all")
    assert "# library\n  deployed  policies_library" in out
    assert "# pgwarden\n" in out
    with psycopg.connect(db_url) as conn:
        projects = conn.execute(
            "select project, count(*) from pgwarden.deployed_changes() group by 1 order by 1"
        ).fetchall()
    assert [p for p, _ in projects] == ["library", "pgwarden"]

    reverted = pgwarden(db_url, "revert", "--yes", "--project", "library")
    assert f"{len(library_changes())} change(s) reverted." in reverted
    assert "No changes deployed" in run_sqitch(db_url, "status", top=LIBRARY).stdout
    assert "# library\n1 deployed" not in pgwarden(db_url, "status", "--all")


def test_unknown_project_is_one_line(db_url: str) -> None:
    result = run_cli("migrate", "status", "--project", "nope", database_url=db_url)
    assert result.returncode == 1
    assert result.stderr.startswith("pgwarden: no plan found for project 'nope'")
    assert result.stderr.count("\n") == 1


def test_doctor_does_not_claim_verified_when_nothing_is_deployed(empty_db_url: str) -> None:
    result = run_cli("doctor", database_url=empty_db_url, env={"PGWARDEN_SECRET_KEY": "x" * 40})
    assert result.returncode == 1
    assert "verify scripts pass" not in result.stdout
    assert "✗ migrations verified: nothing deployed, nothing verified" in result.stdout


def test_doctor_counts_every_project(db_url: str) -> None:
    Migrator(db_url, top=LIBRARY, quiet=True).deploy()
    result = run_cli("doctor", database_url=db_url, env={"PGWARDEN_SECRET_KEY": "x" * 40})
    names = library_changes()
    line = f"✓ migrations deployed (library): {len(names)} changes, last {names[-1]}"
    assert line in result.stdout
    total = len(load_plan().changes) + len(names)
    assert f"all {total} verify scripts pass" in result.stdout


def test_revert_without_to_needs_yes_when_there_is_no_tty(db_url: str) -> None:
    result = run_cli("migrate", "revert", database_url=db_url)  # stdin is not a TTY here
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "add --yes" in result.stderr
    assert "0 pending" in pgwarden(db_url, "status")  # nothing reverted


def test_revert_asks_on_a_tty_and_no_keeps_everything(db_url: str) -> None:
    leader, follower = os.openpty()
    env = {**os.environ, "DATABASE_URL": db_url}
    process = subprocess.Popen(
        [sys.executable, "-m", "webui.cli", "migrate", "revert"],
        stdin=follower,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    os.close(follower)
    os.write(leader, b"n\n")
    out, _err = process.communicate(timeout=60)
    os.close(leader)
    assert process.returncode == 2
    assert re.search(r"Revert all \d+ deployed change\(s\) of pgwarden\? \[y/N\]", out)
    assert "Nothing reverted." in out
    assert "0 pending" in pgwarden(db_url, "status")


def test_healthz_counts_every_project(db_url: str, server: ServerProcess) -> None:
    with urllib.request.urlopen(f"{server.base_url}/healthz", timeout=10) as response:
        before = json.loads(response.read())["migration"]
    assert set(before["projects"]) == {"pgwarden"}
    sqitch(db_url, "deploy", top=LIBRARY)  # deployed by stock sqitch, seen through the registry
    with urllib.request.urlopen(f"{server.base_url}/healthz", timeout=10) as response:
        after = json.loads(response.read())["migration"]
    names = library_changes()
    assert after["projects"]["library"] == {"deployed": len(names), "last": names[-1]}
    assert after["projects"]["pgwarden"]["deployed"] == len(load_plan().changes)
    assert after["pending"] == []


def test_a_change_and_its_record_commit_together(empty_db_url: str, tmp_path: Path) -> None:
    """When the registry refuses a change's record (two changes with byte-identical deploy
    scripts break sqitch's unique script hash), what the change's script did is rolled back."""
    top = tmp_path / "p"
    for kind in ("deploy", "revert", "verify"):
        (top / kind).mkdir(parents=True)
    body = "BEGIN;\ncreate table if not exists public.twin (id int);\n"
    body += "insert into public.twin values (1);\nCOMMIT;\n"
    for name in ("first", "second"):
        (top / "deploy" / f"{name}.sql").write_text(body)
        (top / "revert" / f"{name}.sql").write_text(f"BEGIN;\n-- {name}\nCOMMIT;\n")
        (top / "verify" / f"{name}.sql").write_text("BEGIN;\nselect 1;\nROLLBACK;\n")
    planner = "2026-12-03T00:00:00Z test <test@example.invalid>"
    (top / "sqitch.plan").write_text(
        f"%syntax-version=1.0.0\n%project=twins\n\nfirst {planner}\nsecond {planner}\n"
    )
    migrator = Migrator(empty_db_url, top=top, quiet=True)
    with pytest.raises(MigrationError, match="deploy second failed"):
        migrator.deploy()
    assert migrator.deployed() == ["first"]
    with psycopg.connect(empty_db_url) as conn:
        assert conn.execute("select count(*) from public.twin").fetchone() == (1,)


def test_a_deploy_waits_for_sqitchs_lock(empty_db_url: str) -> None:
    """sqitch holds `pg_advisory_lock(75474063)` while it works; pgwarden waits for the same lock,
    so the two tools never deploy or revert side by side."""
    outcome: list[int] = []
    with psycopg.connect(empty_db_url, autocommit=True) as holder:
        holder.execute("select pg_advisory_lock(75474063)")
        worker = threading.Thread(
            target=lambda: outcome.append(Migrator(empty_db_url, quiet=True).deploy(to="roles"))
        )
        worker.start()
        worker.join(timeout=3)
        assert worker.is_alive() and outcome == []  # still waiting for the lock
        with psycopg.connect(empty_db_url) as conn:
            assert conn.execute("select to_regclass('sqitch.changes')").fetchone() == (None,)
        holder.execute("select pg_advisory_unlock(75474063)")
        worker.join(timeout=60)
    assert outcome == [1]


@pytest.mark.parametrize(
    "url", ["notaurl", "postgresql://nobody@127.0.0.1:1/nothing"], ids=["malformed", "unreachable"]
)
@pytest.mark.parametrize("args", [("status",), ("status", "--all"), ("deploy",)])
def test_a_bad_database_url_is_one_line(url: str, args: tuple[str, ...]) -> None:
    result = run_cli("migrate", *args, database_url=url)
    assert result.returncode == 1
    # the words are test_first_hour.py's: what failed (unreachable or not a connection string)
    # and what to do about DATABASE_URL
    assert result.stderr.startswith("pgwarden: ") and "DATABASE_URL" in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_the_committer_is_found_as_sqitch_finds_it(
    empty_db_url: str, other_db_url: str, tmp_path: Path
) -> None:
    """`user.name` / `user.email` from sqitch's user config file, for both tools alike."""
    config = tmp_path / "sqitch.conf"
    config.write_text('[user]\n\tname = Ada Lovelace\n\temail = "ada@example.invalid"\n')
    env = {k: v for k, v in os.environ.items() if k not in ("SQITCH_FULLNAME", "SQITCH_EMAIL")}
    env["SQITCH_USER_CONFIG"] = str(config)
    subprocess.run(
        ["sqitch", "deploy", "--to", "roles", sqitch_target(empty_db_url)],
        cwd=migrations_dir(), env=env, check=True, capture_output=True,
    )  # fmt: skip
    result = run_cli("migrate", "deploy", "--to", "roles", database_url=other_db_url, env=env)
    assert result.returncode == 0, result.stderr
    query = "select committer_name, committer_email from sqitch.changes"
    with psycopg.connect(empty_db_url) as a, psycopg.connect(other_db_url) as b:
        assert a.execute(query).fetchall() == [("Ada Lovelace", "ada@example.invalid")]
        assert b.execute(query).fetchall() == a.execute(query).fetchall()
