"""The identity changes as a DBA meets them: reverting auth_login, auth_sessions and auth_users
removes every identity object and leaves the audit changes working; deploying again restores them
and every verify script passes; the guard survives a redeploy over existing data."""

from __future__ import annotations

import psycopg

from webui.ops.migrations import Migrator

AUTH_CHANGES = ["auth_users", "auth_sessions", "auth_login"]


def test_revert_leaves_audit_intact_and_deploy_restores(
    db: psycopg.Connection, db_url: str
) -> None:
    db.autocommit = True
    db.execute("insert into auth.users (email, role) values ('kept@example.com', 'developer')")
    names = [change.name for change in Migrator(db_url, quiet=True).changes]
    after_audit = names[names.index("audit_views") + 1 :]  # identity and what builds on it
    assert set(AUTH_CHANGES) <= set(after_audit)
    assert Migrator(db_url, quiet=True).revert(to="audit_views") == len(after_audit)
    left = db.execute(
        "select count(*) from pg_class where relnamespace = 'auth'::regnamespace"
    ).fetchone()
    assert left == (0,), "no identity table, view or sequence is left"
    functions = db.execute(
        "select array_agg(proname order by proname) from pg_proc"
        " where pronamespace = 'auth'::regnamespace"
    ).fetchone()
    assert functions == (["claim", "jwt", "role", "session_id", "uid"],)
    assert db.execute(
        "select has_function_privilege('pgw_session_writer',"
        " 'audit.record(text, text, text, text, jsonb, bigint)', 'execute')"
        " and has_schema_privilege('pgw_session_writer', 'audit', 'usage')"
    ).fetchone() == (True,), "audit_core's grants to pgw_session_writer survive"
    assert db.execute(
        "select count(*) from audit.events where event = 'user_created'"
    ).fetchone() == (1,), "the audit trail of the reverted users stays"
    migrator = Migrator(db_url, quiet=True)
    assert migrator.deploy() == len(after_audit)
    assert [error for _, error in migrator.verify() if error] == []
    assert db.execute("select count(*) from auth.groups").fetchone() == (2,)
