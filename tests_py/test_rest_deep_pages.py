"""A deep page (offset ≥ 1000, ordered by plain columns ending with the primary key) finds its keys
first, then its rows (webui/rest/build.py `_deferred_rows`): the answer must be exactly the plain
query's, under row policies, in both directions and with an embed, and its plan must read the
rows only through their keys."""

from __future__ import annotations

from pathlib import Path

import httpx
import jwt

from webui.testing import running_server
from webui.testing.auth import sql

SECRET = "deep-pages-secret-" + "0" * 40
SETUP = """
create schema deep;
create table deep.shelves (id bigint primary key, label text not null);
create table deep.books (
  id bigint primary key, title text not null, shelf_id bigint references deep.shelves (id),
  owner text not null);
create index books_title_id on deep.books (title, id);
insert into deep.shelves select n, 'shelf ' || n from generate_series(1, 10) n;
insert into deep.books select n, 'title ' || (n * 7919 %% 997), 1 + n %% 10,
  case when n %% 3 = 0 then 'other' else 'me' end from generate_series(1, 5000) n;
alter table deep.books enable row level security;
create policy mine on deep.books for select to pgw_user using (owner = auth.claim('sub'));
grant usage on schema deep to pgw_user;
grant select on deep.books, deep.shelves to pgw_user;
"""


def _get(base: str, query: str, accept: str = "application/json") -> httpx.Response:
    token = jwt.encode({"role": "pgw_user", "sub": "me"}, SECRET, algorithm="HS256")
    headers = {"Authorization": f"Bearer {token}", "Accept": accept}
    return httpx.get(f"{base}/rest/v1/books?{query}", headers=headers)


def test_deep_pages_match_the_plain_query(db_url: str, tmp_path: Path) -> None:
    sql(db_url, SETUP)
    sql(db_url, "vacuum analyze deep.books")
    env = {"PGRST_DB_SCHEMAS": "deep", "PGRST_JWT_SECRET": SECRET, "PGRST_DB_PLAN_ENABLED": "true"}
    with running_server(db_url, tmp_path, env=env) as server:
        for order, direction in (("title.asc,id.asc", "asc"), ("title.desc,id.desc", "desc")):
            got = _get(server.base_url, f"select=id,title&order={order}&offset=1200&limit=25")
            assert got.status_code == 200, got.text
            want = sql(
                db_url,
                f"select id, title from deep.books where owner = 'me' "
                f"order by title {direction}, id {direction} offset 1200 limit 25",
            )
            assert [(r["id"], r["title"]) for r in got.json()] == want
        embedded = _get(
            server.base_url, "select=id,shelves(label)&order=title,id&offset=3000&limit=3"
        ).json()
        want = sql(
            db_url,
            "select b.id, s.label from deep.books b join deep.shelves s on s.id = b.shelf_id "
            "where owner = 'me' order by title, b.id offset 3000 limit 3",
        )
        assert [(r["id"], r["shelves"]["label"]) for r in embedded] == want
        past_the_end = _get(server.base_url, "order=title,id&offset=4000&limit=5")
        assert past_the_end.status_code == 200 and past_the_end.json() == []
        plan = _get(
            server.base_url,
            "select=id,title&order=title,id&offset=1200&limit=25",
            "application/vnd.pgrst.plan+text",
        )
        assert plan.status_code == 200, plan.text
        assert "= ANY" in plan.text, plan.text  # the rows are read by the page's keys
