"""The audit changes as a DBA meets them: revert really reverts (and un-audits tables), the code
files re-apply cleanly over themselves without touching data, and stock sqitch deploys the same
audit schema as `pgwarden migrate` (yoyo)."""

from __future__ import annotations

import os
import shutil
import subprocess

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from webui.core.paths import migrations_dir
from webui.ops.migrations import Migrator, script_body
from webui.testing import url_for_database

AUDIT_CHANGES = [
    "audit_core",
    "audit_rows",
    "audit_chain",
    "audit_views",
    "audit_fast_path",
    "audit_write_path",
]


def _quiet(db_url: str) -> Migrator:
    return Migrator(db_url, quiet=True)


def test_revert_removes_everything_and_deploy_restores_it(
    db: psycopg.Connection, db_url: str
) -> None:
    db.autocommit = True
    db.execute("create table public.notes (id int primary key, body text)")
    db.execute("select audit.enable('public.notes')")
    _quiet(db_url).revert(to="context")
    assert db.execute("select to_regnamespace('audit')").fetchone() == (None,)
    triggers = db.execute(
        "select count(*) from pg_trigger where tgrelid = 'public.notes'::regclass"
    ).fetchone()
    assert triggers == (0,), "reverting audit_rows detaches the row triggers"
    db.execute("insert into public.notes values (1, 'unaudited, and no error')")
    names = [change.name for change in _quiet(db_url).changes]
    after_context = names[names.index("context") + 1 :]  # audit and everything built on it
    assert set(AUDIT_CHANGES) <= set(after_context)
    assert _quiet(db_url).deploy() == len(after_context)
    assert [error for _, error in _quiet(db_url).verify() if error] == []


def test_code_reapplies_over_itself_and_keeps_data(db: psycopg.Connection, db_url: str) -> None:
    db.autocommit = True
    db.execute("create table public.notes (id int primary key, body text)")
    db.execute("select audit.enable('public.notes', '{body}')")
    db.execute("insert into public.notes values (1, 'kept')")
    db.execute("select audit.seal()")
    before = db.execute("select count(*), max(id) from audit.events").fetchone()
    migrator = _quiet(db_url)
    changes = {change.name: change for change in migrator.changes}
    with db.transaction():
        for name in AUDIT_CHANGES:
            db.execute(script_body(changes[name], "deploy"))
    assert db.execute("select count(*), max(id) from audit.events").fetchone() == before
    assert db.execute("select redact from audit.audited_tables").fetchone() == (["body"],)
    assert db.execute("select ok from audit.verify()").fetchone() == (True,)
    assert [error for _, error in migrator.verify() if error] == []


def _schema(url: str) -> str:
    params = conninfo_to_dict(url)
    env = {
        **os.environ,
        "PGHOST": str(params.get("host", "")),
        "PGPORT": str(params.get("port", "")),
        "PGUSER": str(params.get("user", "postgres")),
    }
    dump = subprocess.run(
        ["pg_dump", "--schema-only", "--schema=audit", "--no-comments", str(params["dbname"])],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    skipped = ("--", "\\restrict", "\\unrestrict")
    return "\n".join(line for line in dump.stdout.splitlines() if not line.startswith(skipped))


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("sqitch") is None, reason="stock sqitch is not installed")
def test_stock_sqitch_deploys_the_same_audit_schema(db: psycopg.Connection, db_url: str) -> None:
    db.autocommit = True
    name = f"{db.info.dbname}_sqitch"
    db.execute(f'create database "{name}"')
    try:
        url = url_for_database(db_url, name)
        params = conninfo_to_dict(url)
        env = {
            **os.environ,
            "PGHOST": str(params.get("host", "")),
            "PGPORT": str(params.get("port", "")),
            "PGUSER": str(params.get("user", "")),
        }
        deployed = subprocess.run(
            ["sqitch", "deploy", "--target", f"db:pg:{name}"],
            cwd=migrations_dir(),
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        assert _schema(url) == _schema(db_url)
    finally:
        db.execute(f'drop database if exists "{name}" with (force)')
