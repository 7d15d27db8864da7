"""RPC through the live endpoint: GET (read-only) and POST, named arguments and defaults,
set-returning functions with filters/order/limit, HEAD with count, scalars, void, errors."""

from __future__ import annotations

import pathlib
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg
import pytest
import rest_support
from postgrest import AsyncPostgrestClient, SyncPostgrestClient
from postgrest.exceptions import APIError
from rest_support import bearer, run_async

from webui.testing import running_server

# The module-scoped fixtures of rest_support, used here by name.
base = rest_support.base
rest_db = rest_support.rest_db
rest_server = rest_support.rest_server


H = {"Content-Profile": "test_api", "Accept-Profile": "test_api"}


@pytest.fixture(scope="module")
def client(base: str) -> SyncPostgrestClient:
    return SyncPostgrestClient(base, schema="test_api", headers=bearer("pgw_user", "1"))


def test_scalar_post_and_get(client: SyncPostgrestClient) -> None:
    assert client.rpc("add", {"a": 2, "b": 3}).execute().data == 5
    assert client.rpc("add", {"a": 2}, get=True).execute().data == 3


def test_set_returning_rows_with_filters_order_limit(client: SyncPostgrestClient) -> None:
    rows = client.rpc("books_by", {"author": 1}).select("id,title").order("id", desc=True).execute()
    assert [r["id"] for r in rows.data] == [2, 1]
    rows = client.rpc("books_by", {"author": 2}, get=True).select("id").gt("pages", 250).execute()
    assert rows.data == [{"id": 5}]
    rows = client.rpc("titles", {"q": "the"}).select("title").limit(1).order("id").execute()
    assert rows.data == [{"title": "The Left Hand of Darkness"}]


def test_rpc_embeds_from_returned_table(client: SyncPostgrestClient) -> None:
    rows = client.rpc("books_by", {"author": 3}).select("title,authors(name)").execute().data
    assert rows == [{"title": "Kindred", "authors": {"name": "Octavia Butler"}}]


def test_single_composite_is_an_object(client: SyncPostgrestClient) -> None:
    assert client.rpc("first_book", {}).select("id").execute().data == {"id": 1}


def test_setof_scalar(base: str) -> None:
    r = httpx.get(f"{base}/rpc/numbers?n=3", headers=H)
    assert r.status_code == 200 and r.json() == [1, 2, 3]


def test_head_with_count(client: SyncPostgrestClient) -> None:
    response = client.rpc("books_by", {"author": 1}, head=True, count="exact").execute()
    assert response.count == 2


def test_void_and_volatile(base: str, rest_db: str) -> None:
    r = httpx.post(f"{base}/rpc/bump", headers={**H, **bearer()}, json={"book": 1})
    assert r.status_code == 204
    r = httpx.get(f"{base}/rpc/bump?book=1", headers={**H, **bearer()})
    assert r.status_code == 405 and r.json()["code"] == "25006"


def test_raise_maps_to_400_with_hint(client: SyncPostgrestClient) -> None:
    with pytest.raises(APIError) as error:
        client.rpc("fail", {"message": "nope"}).execute()
    assert error.value.code == "P0001" and error.value.message == "nope"
    assert error.value.hint == "a hint"


def test_unknown_function_and_arguments(base: str) -> None:
    r = httpx.post(f"{base}/rpc/nothing", headers=H, json={})
    assert r.status_code == 404 and r.json()["code"] == "PGRST202"
    r = httpx.post(f"{base}/rpc/add", headers=H, json={"x": 1})
    assert r.status_code == 404 and r.json()["code"] == "PGRST202"
    r = httpx.post(f"{base}/rpc/add", headers=H, json={"a": "one"})
    assert r.status_code == 400 and r.json()["code"] == "22P02"
    r = httpx.delete(f"{base}/rpc/add", headers=H)
    assert r.status_code == 405 and r.json()["code"] == "PGRST101"


def test_privileges_apply_to_functions(base: str) -> None:
    r = httpx.post(f"{base}/rpc/bump", headers=H, json={"book": 1})
    assert r.status_code == 401 and r.json()["code"] == "42501"


def test_request_context_reaches_sql(base: str) -> None:
    headers = {
        **H,
        **bearer("pgw_user", "7", team="blue"),
        "User-Agent": "probe/1",
        "X-Correlation-Id": "corr-0123456789abcdef",
    }
    r = httpx.post(f"{base}/rpc/whoami", headers=headers, json={})
    body = r.json()
    assert body["role"] == "pgw_user" and body["claims"]["sub"] == "7"
    assert body["claims"]["team"] == "blue"
    assert body["method"] == "POST" and body["path"] == "/rest/v1/rpc/whoami"
    assert body["agent"] == "probe/1" and body["authorization"] is None
    assert body["correlation_id"] == "corr-0123456789abcdef"


def test_pre_request_runs_as_the_user(base: str) -> None:
    r = httpx.get(f"{base}/books?select=id&limit=1", headers={**H, "X-Block": "yes"})
    assert r.status_code == 401 and r.json()["message"] == "blocked by pre-request"
    r = httpx.get(f"{base}/books?select=id&limit=1", headers={**H, **bearer(), "X-Block": "yes"})
    assert r.status_code == 403


def test_async_client_rpc(base: str) -> None:
    run_async(_async_client_rpc(base))


async def _async_client_rpc(base: str) -> None:
    async with AsyncPostgrestClient(base, schema="test_api") as client:
        assert (await client.rpc("add", {"a": 40, "b": 2}).execute()).data == 42
        rows = await client.rpc("numbers", {"n": 2}, get=True).execute()
        assert rows.data == [1, 2]


def test_sql_sets_response_status_and_headers(base: str) -> None:
    r = httpx.post(f"{base}/rpc/created_thing", headers=H, json={"name": "x"})
    assert r.status_code == 201 and r.json() == {"name": "x"}
    assert r.headers["Location"] == "/things/1" and r.headers["Cache-Control"] == "no-store"
    r = httpx.get(f"{base}/rpc/bad_headers", headers=H)
    assert r.status_code == 500 and r.json()["code"] == "PGRST111"


def test_single_unnamed_json_argument_gets_the_body(base: str) -> None:
    r = httpx.post(f"{base}/rpc/echo_body", headers=H, json={"a": [1, 2], "b": None})
    assert r.status_code == 200 and r.json() == {"got": {"a": [1, 2], "b": None}}


def _wait_for_sleeper(url: str, deadline: float) -> None:
    """Until the holder's `pg_sleep` runs (it then holds the pool's one connection)."""
    probe = "select 1 from pg_stat_activity where query like %s and pid <> pg_backend_pid()"
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            if conn.execute(probe, ["%lateral%slow%"]).fetchone():
                return
            time.sleep(0.05)
    raise AssertionError("the holder's RPC never started")


def test_rpc_waits_only_the_acquisition_timeout_under_serve(
    rest_db: str, tmp_path: pathlib.Path
) -> None:
    """Under `pgwarden serve` an RPC waits at most `PGRST_DB_POOL_ACQUISITION_TIMEOUT` for a
    connection, then answers 504 `PGRST003` (before, RPC waited 10 s whatever the setting)."""
    env = {
        **rest_support.ENV,
        "PGWARDEN_POOL_MIN": "1",
        "PGWARDEN_POOL_MAX": "1",
        "PGRST_DB_POOL_ACQUISITION_TIMEOUT": "1",
        "PGWARDEN_STATEMENT_TIMEOUT_MS": "8000",
    }
    with running_server(rest_db, tmp_path, env=env) as server, ThreadPoolExecutor(1) as pool:
        base = server.base_url + rest_support.PREFIX
        holder = pool.submit(
            httpx.post, f"{base}/rpc/slow", json={"seconds": 4}, headers=bearer(), timeout=20
        )
        _wait_for_sleeper(rest_db, time.monotonic() + 10)
        started = time.monotonic()
        waited = httpx.get(f"{base}/rpc/slow?seconds=0", headers=bearer(), timeout=20)
        elapsed = time.monotonic() - started
        assert holder.result().status_code == 200
    assert waited.status_code == 504, waited.text
    assert waited.json()["code"] == "PGRST003"
    assert set(waited.json()) == {"code", "message", "details", "hint"}
    assert elapsed < 3.0, f"waited {elapsed:.1f}s for a connection"
