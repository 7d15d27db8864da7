"""Reads through the live endpoint with the `postgrest` client (sync and async) and raw HTTP:
select (aliases, casts, JSON paths), every filter operator, logic trees, order, limits, Range,
counts, embedding (m2o, o2m, m2m, !inner, hints, spread, embedded filters/order/limit)."""

from __future__ import annotations

import httpx
import pytest
import rest_support
from postgrest import AsyncPostgrestClient, SyncPostgrestClient
from postgrest.exceptions import APIError
from rest_support import bearer, run_async

# The module-scoped fixtures of rest_support, used here by name.
base = rest_support.base
rest_db = rest_support.rest_db
rest_server = rest_support.rest_server


@pytest.fixture(scope="module")
def client(base: str) -> SyncPostgrestClient:
    return SyncPostgrestClient(base, schema="test_api")


def ids(rows: list[dict]) -> list[int]:
    return [r["id"] for r in rows]


def test_select_aliases_casts_and_json_paths(client: SyncPostgrestClient) -> None:
    rows = (
        client.from_("books")
        .select(
            "id,name:title,pages::text,rating:data->>rating,first_award:data->awards->>0,"
            "publisher:data->publisher->name"
        )
        .eq("id", 1)
        .execute()
        .data
    )
    assert rows == [
        {
            "id": 1,
            "name": "The Left Hand of Darkness",
            "pages": "304",
            "rating": "5",
            "first_award": "Hugo",
            "publisher": "Ace",
        }
    ]


def test_star_returns_every_column(client: SyncPostgrestClient) -> None:
    row = client.from_("authors").select("*").eq("id", 2).execute().data[0]
    assert row == {"id": 2, "name": "Stanisław Lem", "country": "PL"}


@pytest.mark.parametrize(
    ("column", "operator", "value", "expected"),
    [
        ("id", "eq", "3", [3]),
        ("id", "neq", "3", [1, 2, 4, 5, 6]),
        ("pages", "gt", "300", [1, 2]),
        ("pages", "gte", "295", [1, 2, 5]),
        ("pages", "lt", "264", [3]),
        ("pages", "lte", "264", [3, 4]),
        ("title", "like", "The*", [1, 2, 5]),
        ("title", "ilike", "*DARK*", [1]),
        ("title", "match", "^S.l", [3]),
        ("title", "imatch", "^s.L", [3]),
        ("id", "in", "(1,3,5)", [1, 3, 5]),
        ("author_id", "is", "null", [6]),
        ("price", "isdistinct", "9.99", [2, 3, 4, 5, 6]),
        ("search", "fts", "darkness", [1]),
        ("search", "plfts", "left hand", [1]),
        ("search", "phfts", "left hand", [1]),
        ("search", "wfts", "solaris or kindred", [3, 4]),
        ("tags", "cs", "{classic,scifi}", [1, 3]),
        ("tags", "cd", "{scifi,classic}", [1, 2, 3, 4, 6]),
        ("tags", "ov", "{humour,classic}", [1, 3, 5]),
        ("period", "sl", "[1975,1990)", [1, 3]),
        ("period", "sr", "[1950,1965)", [2, 4]),
        ("period", "nxr", "[1950,1971)", [1, 3]),
        ("period", "nxl", "[1970,1990)", [2, 4]),
        ("period", "adj", "[1980,1990)", [2, 4]),
        ("data", "cs", '{"rating":5}', [1, 3, 4]),
    ],
)
def test_every_operator(base: str, column: str, operator: str, value: str, expected: list) -> None:
    response = httpx.get(
        f"{base}/books",
        params={"select": "id", column: f"{operator}.{value}", "order": "id"},
        headers={"Accept-Profile": "test_api"},
    )
    assert response.status_code == 200, response.text
    assert ids(response.json()) == expected


def test_fts_with_language(client: SyncPostgrestClient) -> None:
    rows = client.from_("books").select("id").filter("search", "fts(english)", "darkness").execute()
    assert ids(rows.data) == [1]


def test_not_and_quantifiers(client: SyncPostgrestClient) -> None:
    assert ids(
        client.from_("books").select("id").not_.in_("id", [1, 2, 3, 4]).order("id").execute().data
    ) == [5, 6]
    assert ids(
        client.from_("books")
        .select("id")
        .like_any_of("title", "*Dark*,*Cyber*")
        .order("id")
        .execute()
        .data
    ) == [1, 5]
    assert ids(
        client.from_("books")
        .select("id")
        .filter("id", "gt(all)", "{1,4}")
        .order("id")
        .execute()
        .data
    ) == [5, 6]
    assert ids(
        client.from_("books")
        .select("id")
        .filter("id", "eq(any)", "{2,4}")
        .order("id")
        .execute()
        .data
    ) == [2, 4]


def test_in_with_quoted_values(client: SyncPostgrestClient) -> None:
    rows = (
        client.from_("authors").select("id").in_("name", ["Octavia Butler", "Nobody"]).order("id")
    )
    assert ids(rows.execute().data) == [3, 4]
    raw = client.from_("authors").select("id").filter("name", "in", '("Ursula K. Le Guin","a,b")')
    assert ids(raw.execute().data) == [1]


def test_or_and_trees_nested(client: SyncPostgrestClient) -> None:
    rows = client.from_("books").select("id").or_("id.eq.1,and(pages.gt.290,pages.lt.300)")
    assert ids(rows.order("id").execute().data) == [1, 5]
    rows = client.from_("books").select("id").or_("title.ilike.*the*,not.and(id.gt.1,id.lt.6)")
    assert ids(rows.order("id").execute().data) == [1, 2, 5, 6]


def test_not_or_and_json_path_in_tree(base: str) -> None:
    r = httpx.get(
        f"{base}/books",
        params={"select": "id", "not.or": "(id.lt.3,id.gt.4)", "order": "id"},
        headers={"Accept-Profile": "test_api"},
    )
    assert ids(r.json()) == [3, 4]
    r = httpx.get(
        f"{base}/books",
        params={"select": "id", "or": "(data->>rating.eq.4,id.eq.5)", "order": "id"},
        headers={"Accept-Profile": "test_api"},
    )
    assert ids(r.json()) == [2, 5]


def test_order_directions_and_nulls(client: SyncPostgrestClient) -> None:
    rows = client.from_("books").select("id,price").order("price", desc=True, nullsfirst=True)
    assert ids(rows.execute().data) == [4, 6, 2, 1, 3, 5]
    rows = (
        client.from_("books")
        .select("id")
        .order("author_id", nullsfirst=False)
        .order("id", desc=True)
    )
    assert ids(rows.execute().data) == [2, 1, 5, 3, 4, 6]


def test_limit_offset_and_count(client: SyncPostgrestClient) -> None:
    response = client.from_("books").select("id", count="exact").order("id").range(1, 2).execute()
    assert ids(response.data) == [2, 3]
    assert response.count == 6


def test_range_header_and_content_range(base: str) -> None:
    headers = {
        "Accept-Profile": "test_api",
        "Range-Unit": "items",
        "Range": "0-1",
        "Prefer": "count=exact",
    }
    r = httpx.get(f"{base}/books?select=id&order=id", headers=headers)
    assert r.status_code == 206
    assert r.headers["Content-Range"] == "0-1/6"
    assert ids(r.json()) == [1, 2]
    r = httpx.get(f"{base}/books?select=id&order=id", headers={**headers, "Range": "4-"})
    assert r.status_code == 206 and r.headers["Content-Range"] == "4-5/6"
    r = httpx.get(f"{base}/books?select=id", headers={**headers, "Range": "0-99"})
    assert r.status_code == 200 and r.headers["Content-Range"] == "0-5/6"


def test_range_not_satisfiable(base: str) -> None:
    headers = {"Accept-Profile": "test_api", "Prefer": "count=exact"}
    r = httpx.get(f"{base}/books?offset=50", headers=headers)
    assert r.status_code == 416
    assert r.json()["code"] == "PGRST103"
    r = httpx.get(f"{base}/books", headers={"Accept-Profile": "test_api", "Range": "5-2"})
    assert r.status_code == 416


def test_planned_and_estimated_counts(base: str) -> None:
    for method in ("planned", "estimated"):
        r = httpx.get(
            f"{base}/books?select=id&limit=1",
            headers={"Accept-Profile": "test_api", "Prefer": f"count={method}"},
        )
        assert r.status_code in (200, 206), r.text
        total = r.headers["Content-Range"].split("/")[1]
        assert total.isdigit()


def test_head_with_count(client: SyncPostgrestClient) -> None:
    response = client.from_("books").select("id", count="exact", head=True).execute()
    assert response.count == 6


def test_singular_object(client: SyncPostgrestClient) -> None:
    row = client.from_("authors").select("name").eq("id", 3).single().execute().data
    assert row == {"name": "Octavia Butler"}
    with pytest.raises(APIError) as error:
        client.from_("authors").select("name").single().execute()
    assert error.value.code == "PGRST116"


def test_strip_nulls(client: SyncPostgrestClient) -> None:
    rows = client.from_("authors").select("id,country").eq("id", 4).strip_nulls().execute().data
    assert rows == [{"id": 4}]


# --- embedding --------------------------------------------------------------------------------
def test_embed_many_to_one(client: SyncPostgrestClient) -> None:
    rows = client.from_("books").select("title,authors(name)").in_("id", [3, 6]).order("id")
    assert rows.execute().data == [
        {"title": "Solaris", "authors": {"name": "Stanisław Lem"}},
        {"title": "Anonymous Pamphlet", "authors": None},
    ]


def test_embed_by_fk_column_and_alias(client: SyncPostgrestClient) -> None:
    rows = client.from_("books").select("id,writer:author_id(name)").eq("id", 4).execute().data
    assert rows == [{"id": 4, "writer": {"name": "Octavia Butler"}}]


def test_embed_one_to_many_with_filters_order_limit(client: SyncPostgrestClient) -> None:
    query = (
        client.from_("books")
        .select("id,reviews(stars,body)")
        .eq("id", 1)
        .order("stars", foreign_table="reviews")
        .limit(1, foreign_table="reviews")
    )
    assert query.execute().data == [{"id": 1, "reviews": [{"stars": 4, "body": "Slow start"}]}]
    rows = (
        client.from_("books").select("id,reviews(stars)").eq("reviews.stars", 5).in_("id", [1, 3])
    )
    assert rows.order("id").execute().data == [
        {"id": 1, "reviews": [{"stars": 5}]},
        {"id": 3, "reviews": []},
    ]


def test_embed_many_to_many(client: SyncPostgrestClient) -> None:
    rows = (
        client.from_("books")
        .select("id,genres(name)")
        .eq("id", 3)
        .order("name", foreign_table="genres")
    )
    assert rows.execute().data == [
        {"id": 3, "genres": [{"name": "classic"}, {"name": "science fiction"}]}
    ]
    rows = client.from_("genres").select("name,books(id)").eq("id", 3).execute().data
    assert rows == [{"name": "humour", "books": [{"id": 5}]}]


def test_embed_inner_filters_parents(client: SyncPostgrestClient) -> None:
    rows = client.from_("books").select("id,reviews!inner(stars)").eq("reviews.stars", 3).execute()
    assert rows.data == [{"id": 3, "reviews": [{"stars": 3}]}]
    rows = client.from_("authors").select("id,books!inner(id)").eq("books.id", 5).execute()
    assert rows.data == [{"id": 2, "books": [{"id": 5}]}]


def test_embed_null_filter(base: str) -> None:
    r = httpx.get(
        f"{base}/books?select=id,authors()&authors=is.null", headers={"Accept-Profile": "test_api"}
    )
    assert r.status_code == 200, r.text
    assert ids(r.json()) == [6]


def test_embed_ambiguous_needs_hint(client: SyncPostgrestClient, base: str) -> None:
    r = httpx.get(f"{base}/loans?select=id,people(name)", headers={"Accept-Profile": "test_api"})
    assert r.status_code == 300
    assert r.json()["code"] == "PGRST201"
    rows = (
        client.from_("loans")
        .select("id,lender:people!loans_lender_id_fkey(name),borrower:people!borrower_id(name)")
        .order("id")
        .execute()
        .data
    )
    assert rows[0] == {"id": 1, "lender": {"name": "Ann"}, "borrower": {"name": "Bob"}}


def test_embed_nested_and_spread(client: SyncPostgrestClient) -> None:
    rows = (
        client.from_("reviews").select("stars,books(title,authors(name))").eq("body", "Odd ocean")
    )
    assert rows.execute().data == [
        {"stars": 3, "books": {"title": "Solaris", "authors": {"name": "Stanisław Lem"}}}
    ]
    rows = client.from_("books").select("title,...authors(author:name,country)").eq("id", 2)
    assert rows.execute().data == [
        {"title": "The Dispossessed", "author": "Ursula K. Le Guin", "country": "US"}
    ]


def test_embed_unknown_relationship(base: str) -> None:
    r = httpx.get(f"{base}/books?select=id,nothing(*)", headers={"Accept-Profile": "test_api"})
    assert r.status_code == 400 and r.json()["code"] == "PGRST200"


def test_filter_on_unselected_embed_is_rejected(base: str) -> None:
    r = httpx.get(
        f"{base}/books?select=id&reviews.stars=eq.5", headers={"Accept-Profile": "test_api"}
    )
    assert r.status_code == 400 and r.json()["code"] == "PGRST108"


def test_csv(base: str) -> None:
    r = httpx.get(
        f"{base}/authors?select=id,name,country&order=id&id=lte.4",
        headers={"Accept-Profile": "test_api", "Accept": "text/csv"},
    )
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/csv")
    assert r.text == (
        'id,name,country\n1,"Ursula K. Le Guin",US\n2,"Stanisław Lem",PL\n'
        '3,"Octavia Butler",US\n4,Nobody,'  # PostgreSQL's row text, as PostgREST sends it
    )
    r = httpx.get(
        f"{base}/books?select=id,title&id=eq.1&title=like.*",
        headers={"Accept-Profile": "test_api", "Accept": "text/csv"},
    )
    assert r.text == 'id,title\n1,"The Left Hand of Darkness"'


def test_csv_quotes_commas(base: str) -> None:
    r = httpx.get(
        f"{base}/books?select=title,tags&id=eq.1",
        headers={"Accept-Profile": "test_api", "Accept": "text/csv"},
    )
    assert r.text == 'title,tags\n"The Left Hand of Darkness","{classic,scifi}"'


def test_plan(base: str) -> None:
    r = httpx.get(
        f"{base}/books?id=eq.1",
        headers={"Accept-Profile": "test_api", "Accept": "application/vnd.pgrst.plan+json"},
    )
    assert r.status_code == 200
    assert "Plan" in r.json()[0]
    r = httpx.get(
        f"{base}/books?id=eq.1",
        headers={"Accept-Profile": "test_api", "Accept": "application/vnd.pgrst.plan"},
    )
    assert r.status_code == 200 and "Scan" in r.text


def test_profiles(base: str) -> None:
    r = httpx.get(f"{base}/books", headers={"Accept-Profile": "nope"})
    assert r.status_code == 406 and r.json()["code"] == "PGRST106"
    r = httpx.get(f"{base}/books")  # the default schema is the first: test_api
    assert r.status_code == 200


def test_async_client_reads(base: str) -> None:
    run_async(_async_client_reads(base))


async def _async_client_reads(base: str) -> None:
    async with AsyncPostgrestClient(base, schema="test_api") as client:
        response = await (
            client.from_("books")
            .select("id,authors(name)", count="exact")
            .eq("authors.name", "Stanisław Lem")
            .order("id")
            .limit(2)
            .execute()
        )
        assert ids(response.data) == [1, 2]
        assert response.count == 6
        rows = await client.from_("authors").select("name").ilike("name", "%octavia%").execute()
        assert rows.data == [{"name": "Octavia Butler"}]


def test_or_inside_an_embed(client: SyncPostgrestClient) -> None:
    rows = client.from_("books").select("id,reviews(stars)").eq("id", 1)
    rows = rows.or_("stars.eq.4,body.is.null", reference_table="reviews").execute().data
    assert rows == [{"id": 1, "reviews": [{"stars": 4}]}]


def test_statements_are_prepared_once_per_connection(base: str) -> None:
    with httpx.Client(base_url=base, headers={"Accept-Profile": "test_api"}) as http:
        for _ in range(30):
            assert http.get("/books?select=id&id=eq.2").status_code == 200
        seen = [http.post("/rpc/my_prepared", json={}, headers={"Content-Profile": "test_api"})
                .json() for _ in range(10)]  # fmt: skip
    assert max(s["names"] for s in seen) > 0
    assert all(s["names"] == s["texts"] for s in seen)  # never the same statement twice


def test_views_read_and_update_like_tables(client: SyncPostgrestClient, base: str) -> None:
    rows = client.from_("book_titles").select("title").gt("pages", 380).execute().data
    assert rows == [{"title": "The Dispossessed"}]
    r = httpx.patch(f"{base}/book_titles?id=eq.5", json={"title": "The Cyberiad (2nd ed.)"},
                    headers={"Content-Profile": "test_api", "Prefer": "return=representation",
                             **bearer()})  # fmt: skip
    assert r.status_code == 200 and r.json()[0]["title"] == "The Cyberiad (2nd ed.)"
    r = httpx.patch(f"{base}/book_titles?id=eq.5", json={"title": "x"},
                    headers={"Content-Profile": "test_api"})  # fmt: skip
    assert r.status_code == 401


def test_embedding_through_views(client: SyncPostgrestClient) -> None:
    rows = client.from_("editions_v").select("year,publishers_v(name),books(title)").order("id")
    assert rows.execute().data[0] == {"year": 1969, "publishers_v": {"name": "Ace"},
                                      "books": {"title": "The Left Hand of Darkness"}}  # fmt: skip
    rows = client.from_("books").select("id,editions_v(year)").eq("id", 1)
    rows = rows.order("year", foreign_table="editions_v").execute().data
    assert rows == [{"id": 1, "editions_v": [{"year": 1969}, {"year": 1994}]}]
    rows = (
        client.from_("publishers_v")
        .select("name,editions_v!inner(year)")
        .eq("editions_v.year", 1970)
    )
    assert rows.execute().data == [{"name": "Ace", "editions_v": [{"year": 1970}]}]


def test_aggregates_are_off_unless_enabled(base: str) -> None:
    r = httpx.get(f"{base}/books?select=count()", headers={"Accept-Profile": "test_api"})
    assert r.status_code == 400
    assert r.json()["code"] == "PGRST123"
    assert r.json()["message"] == "Use of aggregate functions is not allowed"
