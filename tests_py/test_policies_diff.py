"""`pgwarden policies diff`: drift between policies/*.toml and the live database (missing or
extra policies, grants, constraints, columns, RLS switched off); the compiled change's verify
script catches RLS switched off too."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from webui.cli import main
from webui.ops.migrations import Migrator

LIBRARY = Path(__file__).resolve().parents[1] / "examples" / "library" / "migrations"


@pytest.fixture
def library(db_url: str) -> Migrator:
    migrator = Migrator(db_url, top=LIBRARY, quiet=True)
    migrator.deploy()
    return migrator


def test_missing_tables_are_drift(
    db: psycopg.Connection,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert main(["policies", "diff"]) == 1
    assert "loans: table library.loans is missing" in capsys.readouterr().out


def test_no_drift_after_deploy(
    library: Migrator,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert main(["policies", "diff"]) == 0
    assert "no drift" in capsys.readouterr().out


def test_drift_is_reported(
    library: Migrator,
    db: psycopg.Connection,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    db.execute("drop policy loans_update on library.loans")
    db.execute("grant delete on library.patrons to pgw_user")
    db.execute("alter table library.items drop constraint items_kind_choices")
    db.execute("alter table library.branches add column phone text")
    db.execute("alter table library.staff_branches no force row level security")
    db.commit()
    assert main(["policies", "diff"]) == 1
    out = capsys.readouterr().out
    for line in [
        "loans: missing policy loans_update",
        "patrons: extra grant pgw_user DELETE",
        "items: missing constraint items_kind_choices",
        "branches: extra column phone",
        "staff_branches: row-level security is not enabled and forced",
        "5 difference(s)",
    ]:
        assert line in out, out
    failures = dict(library.verify())
    assert "row-level security must be enabled and forced" in (failures["policies_library"] or "")


def test_plan_objects_drift(
    library: Migrator,
    db: psycopg.Connection,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Indexes and exists helpers of the plan are compared with the catalog too (and triggers)."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    helper = db.execute(
        "select p.oid::regprocedure::text from pg_proc p join pg_namespace n "
        "on n.oid = p.pronamespace where n.nspname = 'authz' and p.proname like 'library_%' "
        "order by 1 limit 1"
    ).fetchone()[0]
    db.execute(f"drop function {helper} cascade")
    db.execute("drop index library.loans_patron_id_idx")
    db.commit()
    assert main(["policies", "diff"]) == 1
    out = capsys.readouterr().out
    for line in [
        "missing exists helper",
        "loans: missing index loans_patron_id_idx",
    ]:
        assert line in out, out
    assert dict(library.verify())["policies_library"] is not None
