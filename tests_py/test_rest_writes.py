"""Writes through the live endpoint: POST single/bulk/columns, Prefer return/missing/resolution/
handling/max-affected/tx, upsert on_conflict, PUT, PATCH, DELETE, Location; a failed write
changes nothing."""

from __future__ import annotations

import httpx
import psycopg
import pytest
import rest_support
from postgrest import AsyncPostgrestClient, SyncPostgrestClient
from postgrest.exceptions import APIError
from rest_support import bearer, run_async

# The module-scoped fixtures of rest_support, used here by name.
base = rest_support.base
rest_db = rest_support.rest_db
rest_server = rest_support.rest_server


H = {"Content-Profile": "test_api", "Accept-Profile": "test_api"}


@pytest.fixture(scope="module")
def client(base: str) -> SyncPostgrestClient:
    return SyncPostgrestClient(base, schema="test_api", headers=bearer("pgw_user", "1"))


def items(rest_db: str) -> dict[int, tuple]:
    with psycopg.connect(rest_db) as conn:
        rows = conn.execute("select id, name, qty from test_api.items order by id").fetchall()
    return {r[0]: r[1:] for r in rows}


def test_insert_single_returns_representation(client: SyncPostgrestClient) -> None:
    rows = client.from_("items").insert({"id": 10, "name": "ten", "qty": 5}).execute().data
    assert rows[0]["id"] == 10 and rows[0]["qty"] == 5 and rows[0]["created_at"]


def test_insert_bulk_with_columns_and_defaults(client: SyncPostgrestClient, rest_db: str) -> None:
    client.from_("items").insert(
        [{"id": 11, "name": "eleven"}, {"id": 12, "name": "twelve", "qty": 7}],
        default_to_null=False,
    ).execute()
    assert items(rest_db)[11] == ("eleven", 0) and items(rest_db)[12] == ("twelve", 7)


def test_missing_default_runs_sequence_per_row(base: str) -> None:
    body = [{"title": "Default A"}, {"title": "Default B"}]
    r = httpx.post(
        f"{base}/books?select=id,tags,data",
        headers={**H, **bearer(), "Prefer": "return=representation,missing=default"},
        json=body,
    )
    assert r.status_code == 201, r.text
    rows = r.json()
    assert rows[0]["id"] != rows[1]["id"] and rows[0]["tags"] == [] and rows[0]["data"] == {}
    assert r.headers["Preference-Applied"] == "return=representation, missing=default"


def test_insert_keys_must_match_without_columns(base: str) -> None:
    r = httpx.post(
        f"{base}/items", headers={**H, **bearer()}, json=[{"id": 20, "name": "a"}, {"id": 21}]
    )
    assert r.status_code == 400 and r.json()["code"] == "PGRST102"


def test_return_minimal_and_headers_only(base: str, rest_db: str) -> None:
    r = httpx.post(
        f"{base}/items",
        headers={**H, **bearer(), "Prefer": "return=minimal"},
        json={"id": 30, "name": "thirty"},
    )
    assert r.status_code == 201 and r.content == b""
    r = httpx.post(
        f"{base}/items",
        headers={**H, **bearer(), "Prefer": "return=headers-only"},
        json={"id": 31, "name": "thirty-one"},
    )
    assert r.status_code == 201 and r.content == b""
    assert r.headers["Location"] == "/items?id=eq.31"
    assert 30 in items(rest_db) and 31 in items(rest_db)


def test_upsert_merge_and_ignore(client: SyncPostgrestClient, rest_db: str) -> None:
    client.from_("items").upsert({"id": 1, "name": "A!", "qty": 100}).execute()
    assert items(rest_db)[1] == ("A!", 100)
    client.from_("items").upsert(
        {"id": 1, "name": "ignored", "qty": 0}, ignore_duplicates=True
    ).execute()
    assert items(rest_db)[1] == ("A!", 100)
    client.from_("genres").insert({"id": 7, "name": "poetry"}).execute()
    client.from_("genres").upsert({"id": 8, "name": "poetry"}, on_conflict="name").execute()
    with psycopg.connect(rest_db) as conn:
        assert conn.execute("select id from test_api.genres where name = 'poetry'").fetchone() == (
            8,
        )


def test_update_with_filters(client: SyncPostgrestClient, rest_db: str) -> None:
    rows = client.from_("items").update({"qty": 42}).in_("id", [2, 3]).execute().data
    assert sorted(r["id"] for r in rows) == [2, 3]
    assert items(rest_db)[2][1] == 42 and items(rest_db)[3][1] == 42


def test_delete_with_filters(client: SyncPostgrestClient, rest_db: str) -> None:
    client.from_("items").insert({"id": 50, "name": "doomed"}).execute()
    rows = client.from_("items").delete().eq("id", 50).execute().data
    assert rows[0]["name"] == "doomed" and 50 not in items(rest_db)


def test_put_upserts_one_row(base: str, rest_db: str) -> None:
    url = f"{base}/items?id=eq.60"
    r = httpx.put(
        url,
        headers={**H, **bearer(), "Prefer": "return=representation"},
        json={"id": 60, "name": "sixty", "qty": 6},
    )
    assert r.status_code == 201 and r.json()[0]["name"] == "sixty"
    r = httpx.put(url, headers={**H, **bearer()}, json={"id": 60, "name": "SIXTY", "qty": 7})
    assert r.status_code == 204
    assert items(rest_db)[60] == ("SIXTY", 7)


def test_put_rules(base: str) -> None:
    r = httpx.put(f"{base}/items?id=eq.61", headers={**H, **bearer()}, json={"id": 62, "name": "x"})
    assert r.status_code == 400 and r.json()["code"] == "PGRST115"
    r = httpx.put(
        f"{base}/items?name=eq.x", headers={**H, **bearer()}, json={"id": 62, "name": "x"}
    )
    assert r.status_code == 405 and r.json()["code"] == "PGRST105"
    r = httpx.put(f"{base}/items?id=eq.62&limit=1", headers={**H, **bearer()}, json={"id": 62})
    assert r.status_code == 400 and r.json()["code"] == "PGRST114"


def test_max_affected_strict_rolls_back(base: str, rest_db: str) -> None:
    before = items(rest_db)
    r = httpx.patch(
        f"{base}/items?id=lte.3",
        headers={**H, **bearer(), "Prefer": "handling=strict, max-affected=1"},
        json={"qty": -1},
    )
    assert r.status_code == 400 and r.json()["code"] == "PGRST124"
    assert items(rest_db) == before
    r = httpx.patch(
        f"{base}/items?id=eq.1",
        headers={**H, **bearer(), "Prefer": "handling=strict, max-affected=1"},
        json={"qty": 1},
    )
    assert r.status_code == 204


def test_strict_rejects_unknown_preferences(base: str) -> None:
    r = httpx.get(f"{base}/items", headers={**H, "Prefer": "handling=strict, colour=blue"})
    assert r.status_code == 400 and r.json()["code"] == "PGRST122"
    r = httpx.get(f"{base}/items", headers={**H, "Prefer": "handling=lenient, colour=blue"})
    assert r.status_code == 200


def test_tx_rollback_changes_nothing(base: str, rest_db: str) -> None:
    r = httpx.post(
        f"{base}/items",
        json={"id": 70, "name": "never"},
        headers={**H, **bearer(), "Prefer": "tx=rollback,return=representation"},
    )
    assert r.status_code == 201 and r.json()[0]["id"] == 70
    assert "tx=rollback" in r.headers["Preference-Applied"]
    assert 70 not in items(rest_db)


def test_failed_write_changes_nothing_and_maps_errors(base: str, rest_db: str) -> None:
    before = items(rest_db)
    r = httpx.post(
        f"{base}/items",
        headers={**H, **bearer()},
        json=[{"id": 80, "name": "ok"}, {"id": 1, "name": "duplicate"}],
    )
    assert r.status_code == 409 and r.json()["code"] == "23505"
    r = httpx.post(f"{base}/reviews", headers={**H, **bearer()}, json={"book_id": 999, "stars": 5})
    assert r.status_code == 409 and r.json()["code"] == "23503"
    r = httpx.post(f"{base}/reviews", headers={**H, **bearer()}, json={"book_id": 1, "stars": 9})
    assert r.status_code == 400 and r.json()["code"] == "23514"
    # PostgreSQL's DETAIL passes on: it shows the failing row only to a caller who may read it
    # (see test_rest_dialect.test_not_null_detail_and_hint_pass_through)
    assert r.json()["details"].startswith("Failing row contains")
    r = httpx.post(f"{base}/items", headers={**H, **bearer()}, json={"id": "x", "name": "y"})
    assert r.status_code == 400 and r.json()["code"] == "22P02"
    assert items(rest_db) == before


def test_unknown_column_and_bad_bodies(base: str) -> None:
    r = httpx.post(f"{base}/items", headers={**H, **bearer()}, json={"id": 90, "nope": 1})
    assert r.status_code == 400 and r.json()["code"] == "PGRST204"
    r = httpx.post(
        f"{base}/items",
        headers={**H, **bearer(), "Content-Type": "application/json"},
        content=b"{not json",
    )
    assert r.status_code == 400 and r.json()["code"] == "PGRST102"
    r = httpx.post(f"{base}/items", headers={**H, **bearer()}, json=[1, 2])
    assert r.status_code == 400 and r.json()["code"] == "PGRST102"
    r = httpx.post(
        f"{base}/items", headers={**H, **bearer(), "Content-Type": "text/xml"}, content=b"<a/>"
    )
    assert r.status_code == 415


def test_csv_bulk_insert(base: str, rest_db: str) -> None:
    body = b'id,name,qty\n160,sixty,6\n161,"one sixty-one",NULL\n'
    r = httpx.post(
        f"{base}/items?columns=id,name",
        headers={**H, **bearer(), "Content-Type": "text/csv", "Prefer": "return=representation"},
        content=b'id,name\n160,one sixty\n161,"one sixty-one"\n',
    )
    assert r.status_code == 201, r.text
    assert [(row["id"], row["name"], row["qty"]) for row in r.json()] == [
        (160, "one sixty", 0),
        (161, "one sixty-one", 0),
    ]
    r = httpx.post(
        f"{base}/items",
        headers={**H, **bearer(), "Content-Type": "text/csv; charset=utf-8"},
        content=body.replace(b"160,", b"162,").replace(b"161,", b"163,"),
    )
    assert r.status_code == 400 and r.json()["code"] == "23502", r.text  # NULL into NOT NULL qty
    assert 162 not in items(rest_db)
    r = httpx.post(
        f"{base}/items",
        headers={**H, **bearer(), "Content-Type": "text/csv"},
        content=b"id,name,qty\n162,one sixty-two,\n",
    )
    assert r.status_code == 400 and r.json()["code"] == "22P02", "an empty field is ''"
    for bad in (b"", b"id,name\n164\n", b"\xff\xfe"):
        r = httpx.post(
            f"{base}/items", headers={**H, **bearer(), "Content-Type": "text/csv"}, content=bad
        )
        assert r.status_code == 400 and r.json()["code"] == "PGRST102", (bad, r.text)
    r = httpx.post(
        f"{base}/items",
        headers={**H, **bearer(), "Content-Type": "text/csv"},
        content=b"id,name\n164,\x00x\n",
    )
    assert r.status_code == 400 and r.json()["code"] == "22P05", "PostgreSQL refuses NUL in text"
    assert 164 not in items(rest_db)


def test_oversized_body_is_413(base: str) -> None:
    body = b'{"id": 91, "name": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    r = httpx.post(
        f"{base}/items", headers={**H, **bearer(), "Content-Type": "application/json"}, content=body
    )
    assert r.status_code == 413
    assert set(r.json()) == {"code", "message", "details", "hint"}


def test_anonymous_write_is_401(base: str) -> None:
    r = httpx.post(f"{base}/items", headers=H, json={"id": 92, "name": "anon"})
    assert r.status_code == 401 and r.json()["code"] == "42501"


def test_count_on_write(base: str) -> None:
    r = httpx.patch(
        f"{base}/items?id=in.(1,2)",
        json={"name": "n"},
        headers={**H, **bearer(), "Prefer": "count=exact"},
    )
    assert (
        r.status_code == 204 and r.headers["Content-Range"] == "0-1/2"
    )  # PostgREST: PATCH gives 0-(N-1)/N


def test_async_client_writes(base: str, rest_db: str) -> None:
    run_async(_async_client_writes(base, rest_db))


async def _async_client_writes(base: str, rest_db: str) -> None:
    async with AsyncPostgrestClient(base, schema="test_api", headers=bearer()) as client:
        await client.from_("items").insert({"id": 100, "name": "async"}).execute()
        await client.from_("items").update({"qty": 9}).eq("id", 100).execute()
        rows = (await client.from_("items").select("qty").eq("id", 100).execute()).data
        assert rows == [{"qty": 9}]
        await client.from_("items").delete().eq("id", 100).execute()
        with pytest.raises(APIError):
            await client.from_("items").insert({"id": 1, "name": "dup"}).execute()
    assert 100 not in items(rest_db)


def test_singular_write_rolls_back_unless_one_row(base: str, rest_db: str) -> None:
    headers = {**H, **bearer(), "Accept": "application/vnd.pgrst.object+json",
               "Prefer": "return=representation"}  # fmt: skip
    r = httpx.post(f"{base}/items?select=id,name", headers=headers, json={"id": 110, "name": "one"})
    assert r.status_code == 201 and r.json() == {"id": 110, "name": "one"}
    assert r.headers["Content-Type"].startswith("application/vnd.pgrst.object+json")
    r = httpx.post(f"{base}/items", headers=headers,
                   json=[{"id": 111, "name": "a"}, {"id": 112, "name": "b"}])  # fmt: skip
    assert r.status_code == 406 and r.json()["code"] == "PGRST116"
    assert 111 not in items(rest_db) and 112 not in items(rest_db)
