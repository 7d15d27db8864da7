"""`pgwarden example load library` on a real database: deterministic demo data, one account
per tier, re-runnable, and what each demo account sees is decided by the compiled RLS."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest
from argon2 import PasswordHasher
from psycopg.conninfo import conninfo_to_dict

from webui.cli import main

TIERS = ["user", "staff", "supervisor", "administrator", "developer"]


def _visible(db: psycopg.Connection, email: str, query: str) -> int:
    """Run `query` as that demo account (SET LOCAL ROLE + claims), rolled back."""
    user_id, tier = db.execute(
        "select id, role from auth.users where email = %s", (email,)
    ).fetchone()
    claims = json.dumps({"sub": str(user_id), "role": f"pgw_{tier}", "tier": tier})
    with db.transaction(force_rollback=True):
        db.execute(
            "select set_config('role', %s, true), set_config('request.jwt.claims', %s, true)",
            (f"pgw_{tier}", claims),
        )
        return int(db.execute(query).fetchone()[0])


@pytest.fixture
def loaded(
    db: psycopg.Connection,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> str:
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert main(["example", "load", "library"]) == 0
    return capsys.readouterr().out


def test_load_creates_data_and_accounts(loaded: str, db: psycopg.Connection) -> None:
    assert "5 branches, 40 patrons, 200 items, 150 loans" in loaded
    for tier in TIERS:
        line = next(x for x in loaded.splitlines() if f"{tier}@library.example" in x)
        password = line.split()[-1]
        stored = db.execute(
            "select password_hash, role from auth.users where email = %s",
            (f"{tier}@library.example",),
        ).fetchone()
        assert stored[1] == tier
        assert PasswordHasher().verify(stored[0], password)


def test_load_is_deterministic_and_rerunnable(
    loaded: str, db: psycopg.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    digest = db.execute(
        "select md5(string_agg(l::text, ',' order by l.id)) "
        "from (select id, patron_id, item_id, branch_id, status, due_at "
        "from library.loans) l"
    ).fetchone()[0]
    assert main(["example", "load", "library"]) == 0
    again = capsys.readouterr().out
    assert "5 branches, 40 patrons, 200 items, 150 loans" in again
    assert "exists; unchanged" in again
    assert (
        db.execute(
            "select count(*) from auth.users where email like '%@library.example'"
        ).fetchone()[0]
        == 5
    )
    assert (
        digest
        == db.execute(
            "select md5(string_agg(l::text, ',' order by l.id)) "
            "from (select id, patron_id, item_id, branch_id, status, due_at "
            "from library.loans) l"
        ).fetchone()[0]
    )


def test_demo_accounts_see_what_the_policies_say(loaded: str, db: psycopg.Connection) -> None:
    loans = "select count(*) from library.loans"
    own = db.execute(
        "select count(*) from library.loans l join library.patrons p "
        "on p.id = l.patron_id join auth.users u on u.id = p.user_id "
        "where u.email = 'user@library.example'"
    ).fetchone()[0]
    branch = db.execute(
        "select count(*) from library.loans l join library.branches b "
        "on b.id = l.branch_id where b.name in ('Central', 'Northside')"
    ).fetchone()[0]
    assert own > 0 and 0 < branch < 150
    assert _visible(db, "user@library.example", loans) == own
    assert _visible(db, "staff@library.example", loans) == branch
    assert _visible(db, "supervisor@library.example", loans) == 150
    assert _visible(db, "administrator@library.example", loans) == 150


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("sqitch") is None, reason="stock sqitch is not installed")
def test_stock_sqitch_deploys_verifies_and_reverts_the_library(db_url: str) -> None:
    """The library is a sqitch project of its own whose changes require `pgwarden:` changes:
    stock sqitch deploys the framework and then it into an empty database, verifies it and
    reverts it."""
    params = conninfo_to_dict(db_url)
    empty = f"{params['dbname']}_sqitch"
    with psycopg.connect(db_url, autocommit=True) as admin:
        admin.execute(f'drop database if exists "{empty}"')
        admin.execute(f'create database "{empty}"')
    params["dbname"] = empty
    env = {
        **os.environ,
        "PGHOST": str(params.get("host", "")),
        "PGPORT": str(params["port"]),
        "PGUSER": str(params["user"]),
    }
    target = f"db:pg:{params['dbname']}"
    root = Path(__file__).resolve().parents[1]
    try:
        _sqitch_steps(root, target, env)
    finally:
        with psycopg.connect(db_url, autocommit=True) as admin:
            admin.execute(f'drop database if exists "{empty}" with (force)')


def _sqitch_steps(root: Path, target: str, env: dict[str, str]) -> None:
    for folder, verb in [
        ("migrations", "deploy"),
        ("examples/library/migrations", "deploy"),
        ("examples/library/migrations", "verify"),
        ("examples/library/migrations", "revert"),
    ]:
        command = ["sqitch", verb, *(["-y"] if verb == "revert" else []), target]
        done = subprocess.run(
            command,
            cwd=root / folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
