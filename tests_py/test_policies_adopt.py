"""Adopting a DBA's existing table: the compiled change adds grants, RLS, policies, triggers and
audit, never touches the table's columns or constraints, and its revert gives the table back as
it was (data included). Also: the library change reverts cleanly, and simulate honours --claim."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import psycopg
import pytest

from webui.cli import main
from webui.ops.migrations import Migrator, read_plan

ROOT = Path(__file__).resolve().parents[1]

ADOPTED = """
[settings]
schema = "legacy"

[resources.tickets]
adopt = true
comment = "The support team's ticket table, adopted."
roles = { read = "user", update = "staff" }

[resources.tickets.fields]
id = { type = "integer", primary_key = true }
owner_id = { type = "bigint" }
subject = { type = "text" }

[resources.tickets.policies]
read = { any_of = ["owner_id = user.id", { tier_at_least = "staff" }] }
"""


def _project(tmp_path: Path, text: str) -> tuple[Path, Path]:
    top = tmp_path / "migrations"
    shutil.copytree(ROOT / "migrations", top)
    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "legacy.toml").write_text(text)
    return top, policies


def _as(db: psycopg.Connection, role: str, sub: str, query: str) -> list[tuple[object, ...]]:
    with db.transaction(force_rollback=True):
        db.execute(
            "select set_config('role', %s, true), set_config('request.jwt.claims', %s, true)",
            (role, json.dumps({"sub": sub, "role": role})),
        )
        return db.execute(query).fetchall()


def test_adopt_then_revert(tmp_path: Path, db: psycopg.Connection, db_url: str) -> None:
    db.execute("create schema legacy")
    db.execute(
        "create table legacy.tickets (id integer primary key, owner_id bigint not null, "
        "subject text not null, constraint subject_short check (length(subject) < 200))"
    )
    db.execute("insert into legacy.tickets values (1, 7, 'mine'), (2, 8, 'theirs')")
    db.commit()
    top, policies = _project(tmp_path, ADOPTED)
    assert main(["policies", "compile", "--dir", str(policies), "--migrations", str(top)]) == 0
    deploy = (top / "deploy" / "policies_legacy.sql").read_text()
    assert "create table" not in deploy and "create schema" not in deploy
    migrator = Migrator(db_url, top=top, quiet=True)
    assert migrator.deploy() == 1
    assert migrator.verify()[-1] == ("policies_legacy", None)
    assert _as(db, "pgw_user", "7", "select id from legacy.tickets") == [(1,)]
    assert len(_as(db, "pgw_staff", "9", "select id from legacy.tickets")) == 2
    assert migrator.revert(to=migrator.changes[-2].name) == 1
    state = db.execute(
        "select c.relrowsecurity, c.relforcerowsecurity, c.relacl is null or not exists "
        "(select from aclexplode(c.relacl) g where g.grantee::regrole::text like 'pgw_%'), "
        "(select count(*) from pg_policies where tablename = 'tickets'), "
        "(select count(*) from legacy.tickets), "
        "(select count(*) from pg_constraint where conrelid = c.oid) "
        "from pg_class c where c.oid = 'legacy.tickets'::regclass"
    ).fetchone()
    assert state == (False, False, True, 0, 2, 2)


def test_library_change_reverts_cleanly(db: psycopg.Connection, db_url: str) -> None:
    top = ROOT / "examples" / "library" / "migrations"
    migrator = Migrator(db_url, top=top, quiet=True)
    changes = [c.name for c in read_plan(top)]  # the example's plan grows; never a fixed count
    assert migrator.deploy() == len(changes)
    assert migrator.verify() == [(name, None) for name in changes]
    assert migrator.revert() == len(changes)
    db.rollback()
    gone = db.execute(
        "select to_regnamespace('library') is null, "
        "(select count(*) from authz.resources), "
        "(select count(*) from auth.permissions where codename like 'items.%')"
    ).fetchone()
    assert gone == (True, 0, 0)
    assert migrator.deploy() == len(changes)


def test_simulate_with_a_claim(
    db: psycopg.Connection,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    golden = ROOT / "tests_py" / "golden" / "fine_grained_policies" / "deploy.sql"
    from webui.ops.migrations import unwrap

    db.execute(unwrap(golden.read_text(), golden).encode())
    db.execute("insert into auth.users (email, role) values ('t@x.example', 'user')")
    db.execute(
        "insert into ops.incidents (tenant_id, title, severity) values "
        "(1, 'one', 1), (1, 'two', 2), (2, 'other', 3)"
    )
    db.commit()
    args = [
        "authz",
        "simulate",
        "--as",
        "t@x.example",
        "--dir",
        str(ROOT / "examples" / "fine_grained_policies"),
        "--resource",
        "incidents",
        "--action",
        "read",
        "--json",
    ]
    assert main([*args, "--claim", "tenant_id=1"]) == 0
    assert json.loads(capsys.readouterr().out)["count"] == 2
    assert main([*args, "--claim", "tenant_id=2"]) == 0
    assert json.loads(capsys.readouterr().out)["count"] == 1
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["count"] == 0
    assert main([*args, "--claim", "tenant_id"]) == 1
    assert "expected KEY=VALUE" in capsys.readouterr().err
