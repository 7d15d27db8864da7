"""PostgREST v13 behaviour found missing when walking its documentation and spec tests
(test/spec/Feature/ in PostgREST's repository), over raw HTTP against a live `pgwarden serve`:
HEAD answers without building a body, `limit`/`offset` on PATCH and DELETE (v13 dropped limited
updates and deletes, PostgREST commit 307692c), quoted wildcard values in logic trees, max-affected
on RPC, computed fields."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
import rest_support
from rest_support import bearer

base = rest_support.base

# Functions that write, for `max-affected` on RPC (MaxAffectedSpec).
FUNCTIONS = """
create function test_api.drop_items(above integer) returns setof test_api.items
language sql volatile as $$ delete from test_api.items where id > above returning * $$;
create function test_api.drop_item_ids(above integer) returns setof integer
language sql volatile as $$ delete from test_api.items where id > above returning id $$;
create function test_api.touch_items() returns void
language sql volatile as $$ update test_api.items set qty = qty $$;
create function test_api.sum_of(xs integer[]) returns integer
language sql immutable as $$ select coalesce(sum(x), 0)::integer from unnest(xs) x $$;
create function test_api.label(test_api.books) returns text
language sql stable as $$ select $1.title || ' (' || coalesce($1.pages::text, '?') || ')' $$;
create function test_api.initials(author test_api.authors) returns text
language sql immutable as $$
  select string_agg(left(w, 1), '') from unnest(string_to_array(author.name, ' ')) w $$;
grant execute on all functions in schema test_api to pgw_anon, pgw_user;
"""


@pytest.fixture(scope="module")
def rest_db(request: pytest.FixtureRequest, migrated: Any) -> Iterator[str]:
    databases = rest_support.module_database(request, migrated)
    url = next(databases)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(FUNCTIONS)
    yield url
    with contextlib.suppress(StopIteration):
        next(databases)


rest_server = rest_support.rest_server  # db-aggregates-enabled is off (PostgREST's default)


API = {"Accept-Profile": "test_api", "Content-Profile": "test_api"}


def call(base: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    headers = {**API, **kwargs.pop("headers", {})}
    return httpx.request(method, base + path, headers=headers, timeout=10, **kwargs)


def error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"code", "message", "details", "hint"}, body
    return body


# --- HEAD -------------------------------------------------------------------------------------
def test_head_does_not_build_the_body(base: str) -> None:
    """As PostgREST (a HEAD read has no aggregate): the select list is never evaluated, so a
    cast that fails on every row fails GET and not HEAD; status and Content-Range agree."""
    path = "/books?select=id,title::int&order=id"
    get = call(base, "GET", path)
    assert get.status_code == 400 and error(get)["code"] == "22P02"
    head = call(base, "HEAD", path, headers={"Prefer": "count=exact"})
    assert head.status_code == 200, head.headers
    assert head.content == b""
    assert head.headers["Content-Range"] == "0-5/6"
    assert head.headers["Content-Type"].startswith("application/json")


def test_head_keeps_the_status_of_the_get(base: str) -> None:
    partial = call(base, "HEAD", "/books?limit=2", headers={"Prefer": "count=exact"})
    assert partial.status_code == 206 and partial.headers["Content-Range"] == "0-1/6"
    csv = call(base, "HEAD", "/books?select=id", headers={"Accept": "text/csv"})
    assert csv.status_code == 200 and csv.headers["Content-Type"].startswith("text/csv")
    many = call(base, "HEAD", "/books", headers={"Accept": "application/vnd.pgrst.object+json"})
    assert many.status_code == 406 and many.content == b""
    one = call(
        base, "HEAD", "/books?id=eq.1", headers={"Accept": "application/vnd.pgrst.object+json"}
    )
    assert one.status_code == 200 and one.headers["Content-Range"] == "0-0/*"
    rpc = call(base, "HEAD", "/rpc/books_by?author=1", headers={"Prefer": "count=exact"})
    assert rpc.status_code == 200 and rpc.headers["Content-Range"] == "0-1/2"


# --- limit and offset on PATCH and DELETE (PostgREST v13+) -------------------------------------
@pytest.fixture
def rows(base: str) -> list[int]:
    ids = [880, 881, 882, 883]
    h = {**bearer(), "Prefer": "resolution=merge-duplicates"}
    created = call(
        base, "POST", "/items", json=[{"id": i, "name": f"l{i}", "qty": 0} for i in ids], headers=h
    )
    assert created.status_code in (200, 201), created.text
    return ids


def qtys(base: str, ids: list[int]) -> dict[int, int]:
    r = call(base, "GET", f"/items?select=id,qty&id=in.({','.join(map(str, ids))})")
    return {row["id"]: row["qty"] for row in r.json()}


def test_limit_does_not_restrict_a_patch(base: str, rows: list[int]) -> None:
    """v12 updated the first N by a unique `order`; v13 dropped it: every matched row."""
    r = call(
        base,
        "PATCH",
        "/items?id=in.(880,881,882,883)&limit=1&offset=1&order=id",
        json={"qty": 7},
        headers={**bearer(), "Prefer": "return=representation"},
    )
    assert r.status_code == 200, r.text
    assert [row["id"] for row in r.json()] == rows  # ordered, and not limited either
    assert qtys(base, rows) == dict.fromkeys(rows, 7)
    assert r.headers["Content-Range"] == "0-3/*"


def test_limit_without_order_is_no_error_on_patch_or_delete(base: str, rows: list[int]) -> None:
    """v12 refused `limit` without `order` (400 PGRST109); v13 has no such error."""
    patched = call(
        base, "PATCH", "/items?id=in.(880,881)&limit=1", json={"qty": 3}, headers=bearer()
    )
    assert patched.status_code == 204, patched.text
    assert qtys(base, [880, 881]) == {880: 3, 881: 3}
    deleted = call(base, "DELETE", "/items?id=in.(880,881,882,883)&limit=1", headers=bearer())
    assert deleted.status_code == 204, deleted.text
    assert qtys(base, rows) == {}


def test_embedded_limit_does_not_shape_a_write_representation(base: str) -> None:
    """v13 applies no range to a mutation's representation, embedded ones included."""
    r = call(
        base,
        "PATCH",
        "/books?id=eq.1&select=id,reviews(stars)&reviews.limit=1&reviews.order=stars",
        json={"pages": 304},
        headers={**bearer(), "Prefer": "return=representation, tx=rollback"},
    )
    assert r.status_code == 200, r.text
    assert r.json() == [{"id": 1, "reviews": [{"stars": 4}, {"stars": 5}]}]


def test_negative_limit_on_a_write_is_416(base: str) -> None:
    for method in ("PATCH", "DELETE"):
        r = call(base, method, "/items?id=eq.880&limit=-1", json={"qty": 1}, headers=bearer())
        assert r.status_code == 416, (method, r.text)
        assert error(r) == {
            "code": "PGRST103",
            "message": "Requested range not satisfiable",
            "details": "Limit should be greater than or equal to zero.",
            "hint": None,
        }


def test_the_range_header_is_ignored_on_writes(base: str, rows: list[int]) -> None:
    """RFC 9110: Range is for GET; PostgREST ignores it elsewhere (no 416, no restriction)."""
    r = call(
        base,
        "PATCH",
        "/items?id=in.(880,881,882,883)",
        json={"qty": 5},
        headers={**bearer(), "Range": "9-3"},
    )
    assert r.status_code == 204, r.text
    assert qtys(base, rows) == dict.fromkeys(rows, 5)


def test_put_refuses_limit_and_offset(base: str) -> None:
    for query in ("limit=1", "offset=1"):
        r = call(
            base,
            "PUT",
            f"/items?id=eq.880&{query}",
            json={"id": 880, "name": "p"},
            headers=bearer(),
        )
        assert r.status_code == 400
        assert error(r) == {
            "code": "PGRST114",
            "message": "limit/offset querystring parameters are not allowed for PUT",
            "details": None,
            "hint": None,
        }


# --- logic trees --------------------------------------------------------------------------------
def test_like_wildcards_inside_quoted_logic_values(base: str) -> None:
    """AndOrParamsSpec: `like` and `ilike` can have quotes (a comma or parenthesis inside)."""
    r = call(base, "GET", '/books?select=id&or=(title.like."*Hand*",title.ilike."*DISPOSSESSED")')
    assert r.status_code == 200, r.text
    assert sorted(row["id"] for row in r.json()) == [1, 2]
    r = call(base, "GET", '/authors?select=id&or=(name.like."*K. Le*",name.ilike."*(x,y)*")')
    assert r.status_code == 200, r.text
    assert [row["id"] for row in r.json()] == [1]


# --- max-affected on RPC (v13, MaxAffectedSpec) -----------------------------------------------
@pytest.mark.parametrize("function", ["drop_items", "drop_item_ids"])
def test_max_affected_on_rpc_counts_the_returned_rows(
    base: str, rows: list[int], function: str
) -> None:
    strict = {**bearer(), "Prefer": "handling=strict, max-affected=3"}
    over = call(base, "POST", f"/rpc/{function}", json={"above": 879}, headers=strict)
    assert over.status_code == 400, over.text
    assert error(over) == {
        "code": "PGRST124",
        "message": "Query result exceeds max-affected preference constraint",
        "details": "The query affects 4 rows",
        "hint": None,
    }
    assert qtys(base, rows) == dict.fromkeys(rows, 0)  # rolled back
    strict["Prefer"] = "handling=strict, max-affected=4"
    within = call(base, "POST", f"/rpc/{function}", json={"above": 879}, headers=strict)
    assert within.status_code == 200, within.text
    assert len(within.json()) == 4 and qtys(base, rows) == {}
    lenient = {**bearer(), "Prefer": "max-affected=1"}
    ignored = call(base, "POST", f"/rpc/{function}", json={"above": 999}, headers=lenient)
    assert ignored.status_code == 200 and ignored.json() == []


def test_max_affected_on_a_function_returning_one_value_is_pgrst128(base: str) -> None:
    for function, body in (("touch_items", {}), ("add", {"a": 1})):
        r = call(
            base,
            "POST",
            f"/rpc/{function}",
            json=body,
            headers={**bearer(), "Prefer": "handling=strict, max-affected=20"},
        )
        assert r.status_code == 400, r.text
        assert error(r) == {
            "code": "PGRST128",
            "message": "Function must return SETOF or TABLE when max-affected preference is "
            "used with handling=strict",
            "details": None,
            "hint": None,
        }


# --- computed fields (docs: references/api/computed_fields) -----------------------------------
def test_computed_fields_are_selected_filtered_and_ordered(base: str) -> None:
    r = call(base, "GET", "/books?select=id,label&id=eq.1")
    assert r.status_code == 200, r.text
    assert r.json() == [{"id": 1, "label": "The Left Hand of Darkness (304)"}]
    r = call(base, "GET", "/books?select=id&label=like.*Solaris*")
    assert r.json() == [{"id": 3}]
    r = call(base, "GET", "/authors?select=id,ini:initials&order=initials&id=lte.3")
    assert r.json() == [{"id": 3, "ini": "OB"}, {"id": 2, "ini": "SL"}, {"id": 1, "ini": "UKLG"}]
    r = call(base, "GET", '/authors?select=id&or=(initials.eq.OB,initials.eq."SL")&order=id')
    assert r.json() == [{"id": 2}, {"id": 3}]


def test_star_leaves_computed_fields_out(base: str) -> None:
    r = call(base, "GET", "/books?id=eq.4")
    assert "label" not in r.json()[0]
    r = call(base, "GET", "/books?select=*,label&id=eq.4")
    assert r.json()[0]["label"] == "Kindred (264)" and r.json()[0]["title"] == "Kindred"


def test_computed_fields_in_embeds_and_write_representations(base: str) -> None:
    r = call(base, "GET", "/authors?select=name,books(label)&id=eq.3")
    assert r.json() == [{"name": "Octavia Butler", "books": [{"label": "Kindred (264)"}]}]
    patched = call(
        base,
        "PATCH",
        "/books?id=eq.4&select=id,label",
        json={"pages": 265},
        headers={**bearer(), "Prefer": "return=representation, tx=rollback"},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json() == [{"id": 4, "label": "Kindred (265)"}]
    rpc = call(base, "GET", "/rpc/books_by?author=3&select=label")
    assert rpc.status_code == 200, rpc.text
    assert rpc.json() == [{"label": "Kindred (264)"}]


def test_an_unknown_field_is_still_42703(base: str) -> None:
    r = call(base, "GET", "/books?select=id,labels")
    assert r.status_code == 400 and error(r)["code"] == "42703"


# --- spreading to-many embeds (v13 #3041, SpreadQueriesSpec) ------------------------------------
def test_a_to_many_spread_gives_arrays_of_values(base: str) -> None:
    r = call(
        base, "GET", "/authors?select=name,...books(title)&id=in.(1,4)&order=id&books.order=title"
    )
    assert r.status_code == 200, r.text
    assert r.json() == [
        {"name": "Ursula K. Le Guin", "title": ["The Dispossessed", "The Left Hand of Darkness"]},
        {"name": "Nobody", "title": []},
    ]


def test_nested_spreads_give_arrays_of_arrays(base: str) -> None:
    r = call(
        base,
        "GET",
        "/authors?select=id,...books(t:title,...reviews(stars))&id=eq.1"
        "&books.order=id&books.reviews.order=stars",
    )
    assert r.status_code == 200, r.text
    assert r.json() == [
        {"id": 1, "t": ["The Left Hand of Darkness", "The Dispossessed"], "stars": [[4, 5], [5]]}
    ]


# --- is.not_null (v13 #3747) ----------------------------------------------------------------------
def test_is_not_null(base: str) -> None:
    r = call(base, "GET", "/books?select=id&price=is.not_null&order=id")
    assert [row["id"] for row in r.json()] == [1, 2, 3, 5]
    r = call(base, "GET", "/books?select=id&price=not.is.not_null&order=id")
    assert [row["id"] for row in r.json()] == [4, 6]
    r = call(base, "GET", "/authors?select=id,books()&books=is.not_null&order=id")
    assert r.status_code == 200, r.text
    assert r.json() == [{"id": 1}, {"id": 2}, {"id": 3}]


# --- full-text search on a column that is not a tsvector (v13 #2255) ------------------------------
def test_fts_on_a_text_column_uses_the_filters_language(base: str) -> None:
    """`to_tsvector('simple', title)` keeps the word "the" that the default (english) drops."""
    r = call(base, "GET", "/books?select=id&title=fts(simple).the&order=id")
    assert r.status_code == 200, r.text
    assert [row["id"] for row in r.json()] == [1, 2, 5]
    r = call(base, "GET", "/books?select=id&title=fts.darkness")
    assert r.json() == [{"id": 1}]


# --- `count` as a column (AggregateFunctionsSpec, "backwards compat") ----------------------------
def test_count_as_a_column_needs_no_aggregates(base: str) -> None:
    """`select=count` and `reviews(count)` (supabase-js' `comments(count)`), with
    db-aggregates-enabled off: PostgreSQL reads `t.count` as `count(t)`, so PostgREST answers."""
    r = call(base, "GET", "/books?select=count")
    assert r.status_code == 200, r.text
    assert r.json() == [{"count": 6}]
    r = call(base, "GET", "/books?select=id,reviews(count)&id=in.(1,5)&order=id")
    assert r.status_code == 200, r.text
    assert r.json() == [{"id": 1, "reviews": [{"count": 2}]}, {"id": 5, "reviews": [{"count": 0}]}]
    r = call(base, "GET", "/authors?select=name,n:books(c:count)&id=eq.2")
    assert r.json() == [{"name": "Stanisław Lem", "n": [{"c": 2}]}]
    refused = call(base, "GET", "/books?select=count()")
    assert refused.status_code == 400 and error(refused)["code"] == "PGRST123"


# --- what clients send most (postgrest-js) ----------------------------------------------
def test_rpc_get_with_an_array_argument(base: str) -> None:
    """postgrest-js `rpc('sum_of', {xs: [1, 2, 3]}, {get: true})` sends `xs={1,2,3}`."""
    r = call(base, "GET", "/rpc/sum_of?xs={1,2,3}")
    assert r.status_code == 200, r.text
    assert r.json() == 6
    r = call(base, "POST", "/rpc/sum_of", json={"xs": [1, 2, 3]})
    assert r.status_code == 200 and r.json() == 6, r.text


def test_limit_zero_with_a_count(base: str) -> None:
    """RangeQuery.rangeStatus: no row of six is a partial answer (206), as in PostgREST."""
    r = call(base, "GET", "/books?select=id&limit=0", headers={"Prefer": "count=exact"})
    assert r.status_code == 206, r.text
    assert r.json() == [] and r.headers["Content-Range"] == "*/6"
