"""Migrations: the sqitch plan applied through yoyo deploys, verifies, reverts and redeploys; stock
sqitch gives the same schema; a failing change leaves nothing behind; code re-applies."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from webui.core.paths import migrations_dir, sql_dir
from webui.ops.migrations import (
    MigrationError,
    Migrator,
    inline_includes,
    read_plan,
    script_body,
    unwrap,
)
from webui.testing import run_cli, sql_layout


def project_schemas(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select nspname from pg_namespace where nspname not in "
            "('public', 'sqitch', 'information_schema') and nspname not like 'pg\\_%' "
            "order by 1"
        ).fetchall()
    return [row[0] for row in rows]


def schema_dump(url: str, schemas: list[str]) -> str:
    params = conninfo_to_dict(url)
    args = [
        "pg_dump",
        "--schema-only",
        "--no-owner",
        f"--host={params['host']}",
        f"--port={params['port']}",
        f"--username={params['user']}",
        str(params["dbname"]),
    ]
    args += [f"--schema={schema}" for schema in schemas]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return "\n".join(
        line
        for line in out.splitlines()
        if line.strip()
        and not line.startswith("--")
        and not line.startswith("\\restrict")
        and not line.startswith("\\unrestrict")
    )


def sqitch_target(url: str) -> str:
    params = conninfo_to_dict(url)
    return (
        f"db:pg://{params['user']}@/{params['dbname']}?host={params['host']}&port={params['port']}"
    )


def run_sqitch(url: str, *args: str, top: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sqitch", *args, sqitch_target(url)],
        cwd=top or migrations_dir(),
        capture_output=True,
        text=True,
        check=False,
    )


def test_deploy_verify_revert_redeploy_on_a_fresh_database(empty_db_url: str) -> None:
    migrator = Migrator(empty_db_url, quiet=True)
    names = [change.name for change in migrator.changes]

    assert migrator.deploy() == len(names)
    assert migrator.deployed() == names
    assert [error for _, error in migrator.verify() if error] == []

    assert migrator.revert() == len(names)
    assert migrator.deployed() == []
    assert not {"auth", "pgwarden", "api"} & set(project_schemas(empty_db_url))

    assert migrator.deploy() == len(names)
    assert [error for _, error in migrator.verify() if error] == []


def test_revert_to_a_change_keeps_it_and_those_before(empty_db_url: str) -> None:
    migrator = Migrator(empty_db_url, quiet=True)
    migrator.deploy()
    first = migrator.changes[0].name
    migrator.revert(to=first)
    assert migrator.deployed() == [first]
    with pytest.raises(MigrationError, match="unknown change"):
        migrator.revert(to="no_such_change")


def test_stock_sqitch_and_pgwarden_migrate_give_the_same_schema(
    empty_db_url: str,
) -> None:
    yoyo_url = empty_db_url
    with psycopg.connect(yoyo_url, autocommit=True) as conn:
        sqitch_db = f"{conninfo_to_dict(yoyo_url)['dbname']}_sqitch"
        conn.execute(f'create database "{sqitch_db}"')
    sqitch_url = yoyo_url.replace(
        f"dbname={conninfo_to_dict(yoyo_url)['dbname']}", f"dbname={sqitch_db}"
    )
    try:
        result = run_sqitch(sqitch_url, "deploy")
        assert result.returncode == 0, result.stdout + result.stderr
        cli = run_cli("migrate", "deploy", database_url=yoyo_url)
        assert cli.returncode == 0, cli.stdout + cli.stderr
        for change in read_plan():
            # each change is printed as it goes, with its tags as sqitch prints them
            assert re.search(rf"\+ {change.name}( @\S+)* \.\. ok", cli.stdout), cli.stdout

        schemas = project_schemas(yoyo_url)
        assert schemas == project_schemas(sqitch_url)
        dump = schema_dump(yoyo_url, schemas)
        assert "CREATE FUNCTION auth.uid()" in dump  # the comparison is not of two empty dumps
        assert dump == schema_dump(sqitch_url, schemas)
    finally:
        with psycopg.connect(yoyo_url, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{sqitch_db}" with (force)')


def _plan_with_failing_change(tmp_path: Path) -> Path:
    top = tmp_path / "migrations"
    shutil.copytree(migrations_dir(), top)
    for kind, body in {
        "deploy": "BEGIN;\ncreate table public.half_done (id int);\nselect 1 / 0;\nCOMMIT;\n",
        "revert": "BEGIN;\ndrop table public.half_done;\nCOMMIT;\n",
        "verify": "BEGIN;\nselect 1;\nROLLBACK;\n",
    }.items():
        (top / kind / "broken.sql").write_text(body)
    # sqitch resolves \ir includes relative to the script: keep sql/ beside the copy.
    shutil.copytree(sql_dir(), tmp_path / "sql")
    with (top / "sqitch.plan").open("a") as plan:
        plan.write("broken 2026-11-22T00:00:00Z test <test@example.invalid> # fails on purpose\n")
    return top


def _table_exists(url: str) -> bool:
    with psycopg.connect(url) as conn:
        return conn.execute("select to_regclass('public.half_done') is not null").fetchone()[0]


def test_a_failing_change_leaves_nothing_half_applied(empty_db_url: str, tmp_path: Path) -> None:
    top = _plan_with_failing_change(tmp_path)
    migrator = Migrator(empty_db_url, top=top, quiet=True)
    with pytest.raises(MigrationError, match="deploy broken failed"):
        migrator.deploy()
    assert "broken" not in migrator.deployed()
    assert not _table_exists(empty_db_url)


def test_a_failing_change_under_stock_sqitch_leaves_nothing(
    empty_db_url: str, tmp_path: Path
) -> None:
    top = _plan_with_failing_change(tmp_path)
    result = run_sqitch(empty_db_url, "deploy", top=top)
    assert result.returncode != 0
    assert not _table_exists(empty_db_url)


def test_the_adapter_strips_the_wrapper_and_inlines_includes(tmp_path: Path) -> None:
    (tmp_path / "inc.sql").write_text("select 2;\n")
    script = tmp_path / "deploy.sql"
    script.write_text("-- a comment\nBEGIN;\nselect 1;\n\\ir inc.sql\nCOMMIT;\n")
    body = unwrap(inline_includes(script), script)
    assert body.split() == ["select", "1;", "select", "2;"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("select 1;\n", "must be wrapped"),
        ("BEGIN;\nselect 1;\nCOMMIT;\nselect 2;\n", "must be wrapped"),
        ("BEGIN;\nselect 1;\ncommit;\nselect 2;\nCOMMIT;\n", "may commit"),
        ("BEGIN;\n\\set x 1\nCOMMIT;\n", "meta-command"),
    ],
)
def test_malformed_scripts_are_refused_with_a_clear_error(
    tmp_path: Path, text: str, message: str
) -> None:
    script = tmp_path / "bad.sql"
    script.write_text(text)
    with pytest.raises(MigrationError, match=message):
        unwrap(inline_includes(script), script)


def test_every_change_has_deploy_revert_and_verify_scripts() -> None:
    for change in read_plan():
        for kind in ("deploy", "revert", "verify"):
            assert script_body(change, kind) is not None


CODE_FILES = sorted(path for path in sql_dir().rglob("*.sql") if sql_layout.kind(path) == "code")


@pytest.mark.parametrize(
    "path", CODE_FILES, ids=[str(p.relative_to(sql_dir())) for p in CODE_FILES]
)
def test_code_files_can_be_applied_twice(path: Path, db: psycopg.Connection) -> None:
    """Functions, views, grants and comments are re-runnable: applying them again succeeds."""
    body = path.read_text().encode()
    with db.transaction(force_rollback=True):
        db.execute(body)
        db.execute(body)
