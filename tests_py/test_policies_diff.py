"""`pgwarden policies diff`: drift between policies/*.toml and the live database (missing or
extra policies, grants, constraints, columns, RLS switched off); the compiled change's verify
script catches RLS switched off too."""

from __future__ import annotations

import psycopg
import pytest

from webui.cli import main
from webui.migrations import Migrator


def test_no_drift_after_deploy(db: psycopg.Connection, db_url: str,
                               monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert main(["policies", "diff"]) == 0
    assert "no drift" in capsys.readouterr().out


def test_drift_is_reported(db: psycopg.Connection, db_url: str,
                           monkeypatch: pytest.MonkeyPatch,
                           capsys: pytest.CaptureFixture[str]) -> None:
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
    failures = dict(Migrator(db_url, echo=lambda _: None).verify())
    assert "row-level security must be enabled and forced" in (failures["policies_library"] or "")
