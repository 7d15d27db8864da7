"""Reworked changes (`sqitch rework`, docs/migrations.md "Releasing"): the plan names a change
twice with a tag between, the older instance's scripts live on as `<name>@<tag>.sql`. Stock sqitch
and `pgwarden migrate` deploy, verify and revert such a plan alike, in one registry."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest
from test_migrations import run_sqitch

from webui.core.paths import migrations_dir, sql_dir
from webui.ops.migrations import Migrator, load_plan, read_plan
from webui.testing import run_cli

REWORKED = "authz_helpers"
PROBE = "select to_regprocedure('public.rework_probe()') is not null"


@pytest.fixture
def reworked(tmp_path: Path) -> Path:
    """A copy of the project with `authz_helpers` reworked by stock `sqitch rework`."""
    top = tmp_path / "migrations"
    shutil.copytree(migrations_dir(), top)
    shutil.copytree(sql_dir(), tmp_path / "sql")
    env = {**os.environ, "SQITCH_FULLNAME": "Test", "SQITCH_EMAIL": "test@example.invalid"}
    subprocess.run(
        ["sqitch", "rework", REWORKED, "-n", "adds a probe"], cwd=top, env=env, check=True,
        capture_output=True,
    )  # fmt: skip
    tag = next(t.name for c in load_plan(top).changes for t in c.tags)
    assert (top / "deploy" / f"{REWORKED}{tag}.sql").is_file()
    scripts = {
        "deploy": "create or replace function public.rework_probe() returns int "
        "language sql as 'select 1';",
        "revert": "drop function if exists public.rework_probe();",
        "verify": "select public.rework_probe();",
    }
    for kind, body in scripts.items():
        end = "ROLLBACK" if kind == "verify" else "COMMIT"
        (top / kind / f"{REWORKED}.sql").write_text(f"BEGIN;\n{body}\n{end};\n")
    return top


def _probe(url: str) -> bool:
    with psycopg.connect(url) as conn:
        row = conn.execute(PROBE).fetchone()
    return bool(row and row[0])


def _cli(url: str, top: Path, *args: str) -> str:
    result = run_cli("migrate", *args, "--dir", str(top), database_url=url)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_a_reworked_plan_reads_as_sqitch_reads_it(reworked: Path) -> None:
    listed = subprocess.run(
        ["sqitch", "plan", "--no-headers", "--format", "format:%H %n"],
        cwd=reworked, capture_output=True, text=True, check=True,
    ).stdout.split("\n")  # fmt: skip
    plan = load_plan(reworked).changes
    assert [ln for ln in listed if ln.strip()] == [f"{c.id} {c.name}" for c in plan]
    older, newer = [c for c in plan if c.name == REWORKED]
    assert older.file_name().startswith(f"{REWORKED}@")
    assert newer.file_name() == f"{REWORKED}.sql"
    assert [c.name for c in read_plan(reworked)].count(REWORKED) == 2


def test_pgwarden_deploys_a_reworked_plan_and_sqitch_reverts_it(
    empty_db_url: str, reworked: Path
) -> None:
    url = empty_db_url
    tag = next(t.name for c in load_plan(reworked).changes for t in c.tags)
    out = _cli(url, reworked, "deploy")
    assert out.count(f"+ {REWORKED}") == 2
    assert _probe(url)
    assert "Nothing to deploy (up-to-date)" in run_sqitch(url, "status", top=reworked).stdout
    assert "Verify successful" in run_sqitch(url, "verify", top=reworked).stdout
    assert "Verify successful." in _cli(url, reworked, "verify")

    result = run_sqitch(url, "revert", "-y", "--to", tag, top=reworked)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not _probe(url)
    status = _cli(url, reworked, "status")
    assert f"deployed  {REWORKED} " in status
    assert f"pending   {REWORKED} " in status  # the older instance stays, the newer is gone


def test_sqitch_deploys_a_reworked_plan_and_pgwarden_reverts_it(
    empty_db_url: str, reworked: Path
) -> None:
    url = empty_db_url
    result = run_sqitch(url, "deploy", top=reworked)
    assert result.returncode == 0, result.stdout + result.stderr
    migrator = Migrator(url, top=reworked, quiet=True)
    assert migrator.deploy() == 0
    assert [error for _, error in migrator.verify() if error] == []
    tag = next(t.name for c in migrator.changes for t in c.tags)
    migrator.revert(to=f"{REWORKED}{tag}")
    assert not _probe(url)
    assert "Undeployed changes" in run_sqitch(url, "status", top=reworked).stdout
    migrator.revert()  # the older instance reverts with its own `@tag` script
    with psycopg.connect(url) as conn:
        assert conn.execute("select to_regnamespace('auth') is null").fetchone() == (True,)
    assert "No changes deployed" in run_sqitch(url, "status", top=reworked).stdout
