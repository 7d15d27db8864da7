"""The authz changes: their code re-applies over itself (keeping grants and history), revert
really removes them, and deploy restores them."""

from __future__ import annotations

import psycopg

from webui.ops.migrations import Migrator, read_plan, script_body

CHANGES = ("authz_helpers", "authz_grants")


def _objects(db: psycopg.Connection) -> int:
    return db.execute(
        "select (select count(*) from pg_proc p join pg_namespace n on n.oid = p.pronamespace "
        "where n.nspname = 'authz') + (select count(*) from pg_class c join pg_namespace n "
        "on n.oid = c.relnamespace where n.nspname = 'authz')"
    ).fetchone()[0]


def test_code_reapplies_over_itself(db: psycopg.Connection) -> None:
    db.execute("insert into auth.users (email, role) values ('g@t.example', 'user')")
    db.execute("insert into auth.permissions (codename) values ('loans.view')")
    db.execute(
        "select authz.grant_scoped((select id from auth.users where email = "
        "'g@t.example'), 'permission', 'loans.view', 'branch', '1')"
    )
    before = _objects(db)
    changes = {c.name: c for c in read_plan()}
    for name in CHANGES:
        db.execute(script_body(changes[name], "deploy").encode())
    assert _objects(db) == before
    assert db.execute("select count(*) from authz.scoped_grant_events").fetchone()[0] == 1
    assert db.execute("select count(*) from authz.scoped_grants").fetchone()[0] == 1


def test_revert_removes_everything_and_deploy_restores(db: psycopg.Connection, db_url: str) -> None:
    db.commit()
    migrator = Migrator(db_url, quiet=True)
    names = [c.name for c in migrator.changes]
    keep = names[names.index("authz_helpers") - 1]
    migrator.revert(to=keep)
    gone = db.execute("select to_regnamespace('authz') is null").fetchone()[0]
    db.rollback()
    assert gone
    migrator.deploy()
    assert _objects(db) > 0
