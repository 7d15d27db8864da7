"""Shared set-up of the examples' scenario tests: deploy one example's own sqitch project on this
test's fresh database (the framework plan is already in it), start a real `pgwarden serve` with
the REST dialect over the example's schema, and talk to it with the real `postgrest` client."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import jwt
import psycopg
from postgrest import SyncPostgrestClient

from webui.ops.migrations import Migrator
from webui.testing import ServerProcess, running_server

ROOT = Path(__file__).resolve().parents[1]
SECRET = "examples-scenario-secret-" + "e" * 40


def deploy(db_url: str, example: str) -> None:
    """The example's compiled change, deployed through the same migrator as the framework."""
    Migrator(db_url, top=ROOT / "examples" / example / "migrations", quiet=True).deploy()


@contextmanager
def serve(db_url: str, tmp_path: Path, schema: str) -> Iterator[ServerProcess]:
    env = {"PGRST_DB_SCHEMAS": schema, "PGRST_JWT_SECRET": SECRET}
    with running_server(db_url, tmp_path, env=env) as server:
        yield server


def add_user(db: psycopg.Connection, email: str, tier: str = "user") -> int:
    row = db.execute(
        "insert into auth.users (email, role) values (%s, %s) returning id", (email, tier)
    ).fetchone()
    db.commit()
    assert row is not None
    return int(row[0])


def claims(user_id: int | None, tier: str = "user") -> dict[str, str]:
    if user_id is None:
        return {"role": "pgw_anon"}
    return {"sub": str(user_id), "role": f"pgw_{tier}", "tier": tier}


def client(
    server: ServerProcess, schema: str, user_id: int | None, tier: str = "user"
) -> SyncPostgrestClient:
    """A `postgrest` client acting as that user (a signed JWT), or anonymous (None)."""
    headers = {}
    if user_id is not None:
        payload = {**claims(user_id, tier), "exp": int(time.time()) + 600}
        headers["Authorization"] = f"Bearer {jwt.encode(payload, SECRET, algorithm='HS256')}"
    return SyncPostgrestClient(f"{server.base_url}/rest/v1", schema=schema, headers=headers)


def count(c: SyncPostgrestClient, table: str, **filters: object) -> int:
    query = c.from_(table).select("id", count="exact")  # type: ignore[arg-type]
    for column, value in filters.items():
        query = query.eq(column, value)
    response = query.execute()
    assert response.count == len(response.data)
    return int(response.count or 0)
