"""The compiler: golden SQL per example (deterministic), the CLI writes a sqitch change once and
nothing when re-run, and the compiled change deploys, verifies and reverts on a real database.

Set PGWARDEN_UPDATE_GOLDEN=1 to rewrite the golden files after an intended change."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import psycopg
import pytest

from webui.cli import main
from webui.ops.migrations import Migrator
from webui.policies import writer

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden"
EXAMPLES = ["todo_app", "fine_grained_policies", "family_app", "bridgeboard"]
KINDS = ("deploy", "revert", "verify")


def compiled(example: str) -> writer.compiler.Compiled:
    decls, issues = writer.load(ROOT / "examples" / example)
    assert not [i for i in issues if i.level == "error"], issues
    ((change, _),) = writer.compile_all(decls, ROOT)
    return change


@pytest.mark.parametrize("example", EXAMPLES)
def test_compile_matches_golden(example: str) -> None:
    change = compiled(example)
    for kind in KINDS:
        path = GOLDEN / example / f"{kind}.sql"
        if os.environ.get("PGWARDEN_UPDATE_GOLDEN"):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(getattr(change, kind))
        assert getattr(change, kind) == path.read_text(), f"{example}/{kind}.sql differs"


def test_library_change_is_up_to_date(capsys: pytest.CaptureFixture[str]) -> None:
    """The checked-in library change is exactly what policies/library.toml compiles to."""
    assert main(["policies", "check", "--strict"]) == 0, capsys.readouterr().out
    assert main(["policies", "compile", "--check"]) == 0, capsys.readouterr().out
    plan = (ROOT / "examples" / "library" / "migrations" / "sqitch.plan").read_text()
    assert "policies_library [pgwarden:authz_helpers pgwarden:audit_rows" in plan
    assert "policies_library" not in (ROOT / "migrations" / "sqitch.plan").read_text()


@pytest.mark.parametrize("example", EXAMPLES)
def test_compile_is_deterministic(example: str) -> None:
    first, second = compiled(example), compiled(example)
    assert (first.deploy, first.revert, first.verify) == (
        second.deploy,
        second.revert,
        second.verify,
    )


def _project(tmp_path: Path, example: str) -> tuple[Path, Path]:
    """A copy of our sqitch project and of one example's policy folder."""
    top = tmp_path / "migrations"
    shutil.copytree(ROOT / "migrations", top)
    policies = tmp_path / "policies"
    shutil.copytree(ROOT / "examples" / example, policies)
    return top, policies


def test_cli_compile_writes_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    top, policies = _project(tmp_path, "todo_app")
    args = ["policies", "compile", "--dir", str(policies), "--migrations", str(top)]
    assert main(args) == 0
    assert "created   policies_todo_app" in capsys.readouterr().out
    plan = (top / "sqitch.plan").read_text()
    assert plan.count("policies_todo_app [authz_helpers audit_rows]") == 1
    snapshot = {p: p.read_bytes() for p in top.rglob("*") if p.is_file()}
    assert main(args) == 0
    assert "nothing to write" in capsys.readouterr().out
    assert snapshot == {p: p.read_bytes() for p in top.rglob("*") if p.is_file()}
    assert main([*args, "--check"]) == 0


def test_cli_compile_check_reports_stale(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    top, policies = _project(tmp_path, "todo_app")
    args = ["policies", "compile", "--dir", str(policies), "--migrations", str(top)]
    assert main(args) == 0
    toml = policies / "todo_app.toml"
    toml.write_text(toml.read_text().replace("max_length = 120", "max_length = 200"))
    capsys.readouterr()
    assert main([*args, "--check"]) == 1
    assert "created   policies_todo_app_2" in capsys.readouterr().out
    assert "between 1 and 120" in (top / "deploy" / "policies_todo_app.sql").read_text()


def test_cli_compile_refuses_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    top, policies = _project(tmp_path, "todo_app")
    toml = policies / "todo_app.toml"
    toml.write_text(
        toml.read_text().replace('read = "user_id = user.id"', 'read = "owner = user.id"')
    )
    assert main(["policies", "compile", "--dir", str(policies), "--migrations", str(top)]) == 1
    out = capsys.readouterr().out
    assert "unknown column 'owner'" in out and "not compiled" in out
    assert not (top / "deploy" / "policies_todo_app.sql").exists()


@pytest.mark.parametrize("example", EXAMPLES)
def test_compiled_change_deploys_verifies_reverts(
    example: str, tmp_path: Path, db: psycopg.Connection, db_url: str
) -> None:
    """Deploy through the same migrator as the core; verify; revert leaves no trace; redeploy."""
    top, policies = _project(tmp_path, example)
    assert main(["policies", "compile", "--dir", str(policies), "--migrations", str(top)]) == 0
    migrator = Migrator(db_url, top=top, quiet=True)
    assert migrator.deploy() == 1
    assert migrator.verify()[-1] == (f"policies_{example}", None)
    schema = {
        "todo_app": "todo",
        "fine_grained_policies": "ops",
        "family_app": "family",
        "bridgeboard": "bridgeboard",
    }[example]
    previous = migrator.changes[-2].name
    assert migrator.revert(to=previous) == 1
    gone = db.execute("select to_regnamespace(%s) is null", (schema,)).fetchone()
    assert gone == (True,)
    # the exists helpers, templates and scopes of the change go with it
    left = db.execute(
        "select (select count(*) from pg_proc p join pg_namespace n on n.oid = p.pronamespace"
        "         where n.nspname = 'authz' and p.proname like %s),"
        " (select count(*) from authz.templates), (select count(*) from authz.scopes)",
        (f"{example}_%",),
    ).fetchone()
    assert left == (0, 0, 0)
    assert migrator.deploy() == 1


def test_changed_declarations_make_a_follow_up_change(
    tmp_path: Path, db: psycopg.Connection, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A deployed change is never rewritten: a changed file compiles into policies_<stem>_2
    (ALTERs plus the code re-applied), whose revert restores version 1."""
    top, policies = _project(tmp_path, "todo_app")
    args = ["policies", "compile", "--dir", str(policies), "--migrations", str(top)]
    assert main(args) == 0
    migrator = Migrator(db_url, top=top, quiet=True)
    migrator.deploy()
    db.execute("insert into todo.todos (title, user_id) values ('kept', 1)")
    db.commit()
    toml = policies / "todo_app.toml"
    text = toml.read_text().replace("max_length = 120", "max_length = 200")
    text = text.replace("admin_bypass = true", "admin_bypass = false")
    text = text.replace(
        'completed = { type = "boolean", default = false }',
        'completed = { type = "boolean", default = false }\n'
        'priority = { type = "integer", default = 3, minimum = 1, maximum = 5 }',
    )
    toml.write_text(text)
    capsys.readouterr()
    assert main(args) == 0
    assert "created   policies_todo_app_2" in capsys.readouterr().out
    deploy = (top / "deploy" / "policies_todo_app_2.sql").read_text()
    assert "alter table todo.todos add column priority integer default 3 not null;" in deploy
    assert "-- requires: policies_todo_app, authz_helpers, audit_rows" in deploy
    assert main(args) == 0 and "nothing to write" in capsys.readouterr().out
    v1 = migrator.changes[-1].name
    migrator = Migrator(db_url, top=top, quiet=True)
    assert migrator.deploy() == 1
    assert migrator.verify()[-1] == ("policies_todo_app_2", None)

    def state() -> tuple[object, ...]:
        db.rollback()
        row = db.execute(
            "select (select count(*) from information_schema.columns where table_schema = "
            "'todo' and column_name = 'priority'), (select pg_get_constraintdef(oid) from "
            "pg_constraint where conname = 'todos_title_length'), (select count(*) from "
            "pg_policies where policyname = 'todos_admin_bypass'), "
            "(select count(*) from todo.todos)"
        ).fetchone()
        db.rollback()  # hold no lock while the migrator alters the table
        return row

    assert state() == (
        1,
        "CHECK (((char_length(title) >= 1) AND (char_length(title) <= 200)))",
        0,
        1,
    )
    assert migrator.revert(to=v1) == 1
    assert state() == (
        0,
        "CHECK (((char_length(title) >= 1) AND (char_length(title) <= 120)))",
        1,
        1,
    )
    assert migrator.deploy() == 1


def test_a_removal_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    top, policies = _project(tmp_path, "todo_app")
    args = ["policies", "compile", "--dir", str(policies), "--migrations", str(top)]
    assert main(args) == 0
    toml = policies / "todo_app.toml"
    toml.write_text(
        toml.read_text().replace(
            'updated_at = { type = "timestamptz", generated = "updated_at" }\n', ""
        )
    )
    capsys.readouterr()
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "field todos.updated_at was removed" in out and "sqitch add" in out
    assert not (top / "deploy" / "policies_todo_app_2.sql").exists()


def test_follow_up_adds_and_retires_exists_helpers(
    tmp_path: Path, db: psycopg.Connection, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A follow-up change creates the helpers of new exists shapes; its revert drops them."""
    top, policies = _project(tmp_path, "family_app")
    args = ["policies", "compile", "--dir", str(policies), "--migrations", str(top)]
    assert main(args) == 0
    migrator = Migrator(db_url, top=top, quiet=True)
    migrator.deploy()
    toml = policies / "family_app.toml"
    by_household = (
        '  { exists = { resource = "household", '
        'where = ["id = row.household_id", "created_by_user_id = user.id"] } },\n'
    )
    text = toml.read_text().replace(
        "[resources.shopping_item.policies]\nread = { any_of = [\n",
        "[resources.shopping_item.policies]\nread = { any_of = [\n" + by_household,
    )
    toml.write_text(text)
    capsys.readouterr()
    assert main(args) == 0
    assert "created   policies_family_app_2" in capsys.readouterr().out
    helpers = (
        "select count(*) from pg_proc p join pg_namespace n on n.oid = p.pronamespace "
        "where n.nspname = 'authz' and p.proname like 'family_app_household_%'"
    )
    before = db.execute(helpers).fetchone()
    migrator = Migrator(db_url, top=top, quiet=True)
    assert migrator.deploy() == 1
    assert migrator.verify()[-1] == ("policies_family_app_2", None)
    assert db.execute(helpers).fetchone()[0] == before[0] + 1
    assert migrator.revert(to="policies_family_app") == 1
    assert db.execute(helpers).fetchone() == before
