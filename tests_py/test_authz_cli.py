"""`pgwarden authz explain|simulate|grant|revoke|renew|delete|list|history` against a real
database holding the library example: simulate runs the real statement as the user and agrees
with what that user's own transaction sees; grant changes go through the logged SQL functions."""

from __future__ import annotations

import json

import psycopg
import pytest

from webui.cli import main


@pytest.fixture
def library(
    db: psycopg.Connection,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> psycopg.Connection:
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert main(["example", "load", "library"]) == 0
    capsys.readouterr()
    return db


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def as_user(db: psycopg.Connection, email: str, query: str) -> int:
    db.rollback()  # a fresh transaction: now() must be later than the CLI's changes
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


def test_explain_shows_decisions_per_tier(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "authz", "explain", "loans")
    assert code == 0
    assert "supervisor     every row" in out
    assert "staff          rows where EXISTS a staff_branches row" in out
    assert "supervisor     denied: no privilege" in out  # delete
    assert "create policy loans_read on library.loans" in out
    code, _, err = run(capsys, "authz", "explain", "nope")
    assert code == 1 and "unknown resource 'nope'" in err


@pytest.mark.parametrize(
    "email", ["user@library.example", "staff@library.example", "supervisor@library.example"]
)
def test_simulate_read_agrees_with_the_users_own_query(
    library: psycopg.Connection, capsys: pytest.CaptureFixture[str], email: str
) -> None:
    code, out, _ = run(
        capsys,
        "authz",
        "simulate",
        "--as",
        email,
        "--resource",
        "loans",
        "--action",
        "read",
        "--json",
    )
    assert code == 0
    outcome = json.loads(out)
    assert outcome["count"] == as_user(library, email, "select count(*) from library.loans")
    assert outcome["claims"]["role"].startswith("pgw_")


def test_simulate_denials_and_hidden_rows(
    library: psycopg.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys,
        "authz",
        "simulate",
        "--as",
        "staff@library.example",
        "--resource",
        "loans",
        "--action",
        "delete",
        "--row",
        '{"id": 1}',
    )
    assert code == 1 and "denied: permission denied for table loans (SQLSTATE 42501)" in out
    hidden = library.execute(
        "select l.id from library.loans l join library.branches b on b.id = l.branch_id "
        "where b.name = 'Riverside' order by l.id limit 1"
    ).fetchone()[0]
    code, out, _ = run(
        capsys,
        "authz",
        "simulate",
        "--as",
        "staff@library.example",
        "--resource",
        "loans",
        "--action",
        "update",
        "--row",
        json.dumps({"id": hidden, "status": "returned"}),
    )
    assert code == 0 and "0 row(s) affected (the row policy hides it" in out
    before = library.execute("select count(*) from library.loans").fetchone()[0]
    code, out, _ = run(
        capsys,
        "authz",
        "simulate",
        "--as",
        "administrator@library.example",
        "--resource",
        "loans",
        "--action",
        "delete",
        "--row",
        '{"id": 1}',
    )
    assert code == 0 and "1 row(s) affected" in out and "rolled back" in out
    assert library.execute("select count(*) from library.loans").fetchone()[0] == before


def test_simulate_bad_input_is_a_clear_error(
    library: psycopg.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = [
        (["--as", "nobody@x.example"], "no user with email"),
        (["--as", "user@library.example", "--row", "{bad"], "--row is not valid JSON"),
        (["--as", "user@library.example", "--row", '{"colour": 1}'], "has no column 'colour'"),
    ]
    for extra, message in cases:
        code, out, err = run(
            capsys, "authz", "simulate", "--resource", "loans", "--action", "read", *extra
        )
        assert code == 1 and message in err and "Traceback" not in out + err


def test_grant_lifecycle_through_the_cli(
    library: psycopg.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    patron = "user@library.example"
    riverside = library.execute(
        "select id from library.branches where name = 'Riverside'"
    ).fetchone()[0]
    query = f"select count(*) from library.loans where branch_id = {riverside}"
    assert as_user(library, patron, query) == 0
    code, out, _ = run(
        capsys,
        "authz",
        "grant",
        "--user",
        patron,
        "--permission",
        "loans.view",
        "--scope",
        f"branch={riverside}",
        "--expires",
        "8h",
        "--reason",
        "inventory help",
    )
    assert code == 0, out
    grant_id = out.split("grant ")[1].split(":")[0]
    visible = as_user(library, patron, query)
    assert visible > 0
    code, out, _ = run(capsys, "authz", "list", "--user", patron)
    assert "loans.view on branch" in out and "1 grant(s)" in out
    assert run(capsys, "authz", "revoke", grant_id, "--reason", "done")[0] == 0
    assert as_user(library, patron, query) == 0
    assert "0 grant(s)" in run(capsys, "authz", "list", "--user", patron)[1]
    assert run(capsys, "authz", "renew", grant_id, "--expires", "1d")[0] == 0
    assert as_user(library, patron, query) == visible
    assert run(capsys, "authz", "delete", grant_id)[0] == 0
    code, out, _ = run(capsys, "authz", "history", "--user", patron)
    events = [line.split()[2] for line in out.splitlines() if "grant " in line]
    assert events == ["created", "revoked", "renewed", "deleted"]
    assert "inventory help" in out and "by database owner" in out


def test_grant_bad_input(library: psycopg.Connection, capsys: pytest.CaptureFixture[str]) -> None:
    cases = [
        (
            ["--user", "ghost@x.example", "--permission", "loans.view", "--scope", "branch=1"],
            "no user with email",
        ),
        (
            ["--user", "user@library.example", "--permission", "loans.view", "--scope", "branch"],
            "expected NAME=VALUE",
        ),
        (
            ["--user", "user@library.example", "--template", "nope", "--scope", "branch=1"],
            "unknown template nope",
        ),
        (
            ["--user", "user@library.example", "--permission", "loans.fly", "--scope", "branch=1"],
            "unknown permission loans.fly: declare it under [authorization.permissions]",
        ),
        (
            [
                "--user",
                "user@library.example",
                "--permission",
                "loans.view",
                "--scope",
                "branch=1",
                "--expires",
                "yesterday",
            ],
            "expected an ISO time",
        ),
    ]
    for extra, message in cases:
        code, out, err = run(capsys, "authz", "grant", *extra)
        assert code == 1 and message in err, (extra, out, err)
        assert len(err.strip().splitlines()) == 1, err
    assert library.execute("select count(*) from authz.scoped_grants").fetchone()[0] == 0
    code, _, err = run(capsys, "authz", "revoke", "999999")
    assert code == 1 and "unknown scoped grant 999999" in err


def test_simulate_create_runs_the_insert_and_rolls_it_back(
    library: psycopg.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = dict(library.execute("select name, id from library.branches").fetchall())
    patron, item = library.execute(
        "select (select min(id) from library.patrons), (select min(id) from library.items)"
    ).fetchone()
    before = library.execute("select count(*) from library.loans").fetchone()[0]
    library.rollback()
    row = {"patron_id": patron, "item_id": item, "due_at": "2026-12-24T12:00:00Z"}
    args = [
        "authz",
        "simulate",
        "--as",
        "staff@library.example",
        "--resource",
        "loans",
        "--action",
        "create",
    ]
    code, out, _ = run(capsys, *args, "--row", json.dumps({**row, "branch_id": ids["Central"]}))
    assert code == 0 and "1 row(s) affected" in out and '"status": "active"' in out
    code, out, _ = run(capsys, *args, "--row", json.dumps({**row, "branch_id": ids["Riverside"]}))
    assert code == 1 and "violates row-level security policy" in out
    assert library.execute("select count(*) from library.loans").fetchone()[0] == before
