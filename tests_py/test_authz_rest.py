"""`pgwarden authz simulate` agrees with the REST dialect for the same user: the same rows are
visible, a hidden row is not changed, a missing privilege is refused, because both run the
statement as that user's role with the same claims and PostgreSQL decides."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import psycopg
import pytest

from webui.cli import main
from webui.testing import ServerProcess, running_server

SECRET = "authz-rest-agreement-secret-" + "s" * 32


@pytest.fixture
def rest(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[ServerProcess]:
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert main(["example", "load", "library"]) == 0
    capsys.readouterr()
    env = {"PGRST_DB_SCHEMAS": "library", "PGRST_JWT_SECRET": SECRET}
    with running_server(db_url, tmp_path, env=env) as server:
        yield server


def _claims(db: psycopg.Connection, email: str) -> dict[str, str]:
    db.rollback()
    user_id, tier = db.execute(
        "select id, role from auth.users where email = %s", (email,)
    ).fetchone()
    return {"sub": str(user_id), "role": f"pgw_{tier}", "tier": tier}


def _call(
    server: ServerProcess, method: str, path: str, claims: dict[str, str], body: Any = None
) -> tuple[int, Any]:
    token = jwt.encode(claims, SECRET, algorithm="HS256")
    request = urllib.request.Request(
        f"{server.base_url}/rest/v1{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Prefer": "return=representation",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def _simulate(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    main(["authz", "simulate", "--json", *args])
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    "email", ["user@library.example", "staff@library.example", "supervisor@library.example"]
)
def test_read_agrees(
    rest: ServerProcess, db: psycopg.Connection, capsys: pytest.CaptureFixture[str], email: str
) -> None:
    status, rows = _call(rest, "GET", "/loans?select=id&order=id", _claims(db, email))
    assert status == 200
    outcome = _simulate(capsys, "--as", email, "--resource", "loans", "--action", "read")
    # the REST read is one page of the list's default_limit (25, policies/library.toml)
    assert min(outcome["count"], 25) == len(rows)
    assert [r["id"] for r in outcome["rows"]] == [r["id"] for r in rows][:20]


def test_writes_agree(
    rest: ServerProcess, db: psycopg.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    staff = _claims(db, "staff@library.example")
    hidden = db.execute(
        "select l.id from library.loans l join library.branches b "
        "on b.id = l.branch_id where b.name = 'Riverside' order by l.id limit 1"
    ).fetchone()[0]
    status, rows = _call(rest, "PATCH", f"/loans?id=eq.{hidden}", staff, {"status": "returned"})
    outcome = _simulate(
        capsys,
        "--as",
        "staff@library.example",
        "--resource",
        "loans",
        "--action",
        "update",
        "--row",
        json.dumps({"id": hidden, "status": "returned"}),
    )
    assert status == 200 and rows == [] and outcome["allowed"] and outcome["count"] == 0
    status, body = _call(rest, "DELETE", f"/loans?id=eq.{hidden}", staff)
    outcome = _simulate(
        capsys,
        "--as",
        "staff@library.example",
        "--resource",
        "loans",
        "--action",
        "delete",
        "--row",
        json.dumps({"id": hidden}),
    )
    assert status in (401, 403) and body["code"] == "42501"
    assert not outcome["allowed"] and outcome["sqlstate"] == "42501"
