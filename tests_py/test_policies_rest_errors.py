"""A policy error that still reaches the REST dialect is a typed error, never "internal error":
policies written by hand that read each other inline recurse (42P17), and the dialect answers
500 with PostgREST's code (the SQLSTATE), PostgreSQL's message and a hint naming the fix."""

from __future__ import annotations

from pathlib import Path

import httpx
import jwt
import psycopg
from example_support import SECRET, claims

from webui.testing import running_server

RECURSIVE = """
create schema loop_api;
grant usage on schema loop_api to pgw_user;
create table loop_api.a (id bigint primary key, b_id bigint);
create table loop_api.b (id bigint primary key, a_id bigint);
grant select on loop_api.a, loop_api.b to pgw_user;
alter table loop_api.a enable row level security;
alter table loop_api.b enable row level security;
create policy a_read on loop_api.a for select to pgw_user
  using (exists (select from loop_api.b where b.a_id = a.id));
create policy b_read on loop_api.b for select to pgw_user
  using (exists (select from loop_api.a where a.b_id = b.id));
"""


def test_recursion_is_a_typed_error(db: psycopg.Connection, db_url: str, tmp_path: Path) -> None:
    db.execute(RECURSIVE)
    db.commit()
    env = {"PGRST_DB_SCHEMAS": "loop_api", "PGRST_JWT_SECRET": SECRET}
    token = jwt.encode(claims(1), SECRET, algorithm="HS256")
    with running_server(db_url, tmp_path, env=env) as server:
        answer = httpx.get(
            f"{server.base_url}/rest/v1/a", headers={"Authorization": f"Bearer {token}"}
        )
    assert answer.status_code == 500
    body = answer.json()
    assert body["code"] == "42P17"
    assert "infinite recursion" in body["message"]
    assert "pgwarden policies check" in body["hint"]
