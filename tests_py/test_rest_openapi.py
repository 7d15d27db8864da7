"""The OpenAPI 3.1 document (filtered by the caller's privileges, with COMMENT text), Swagger UI
from packaged assets, the schema cache reload on NOTIFY, and the error shape of bad requests."""

from __future__ import annotations

import time

import httpx
import psycopg
import pytest
import rest_support
from rest_support import bearer

# The module-scoped fixtures of rest_support, used here by name.
base = rest_support.base
rest_db = rest_support.rest_db
rest_server = rest_support.rest_server


H = {"Accept-Profile": "test_api", "Content-Profile": "test_api"}


def document(base: str, headers: dict[str, str] | None = None) -> dict:
    r = httpx.get(f"{base}/", headers={**H, **(headers or {})})
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/openapi+json")
    return r.json()


def test_openapi_31_with_comments(base: str) -> None:
    doc = document(base)
    assert doc["openapi"] == "3.1.0"
    assert doc["info"]["description"] == "The REST dialect test API."
    books = doc["components"]["schemas"]["books"]
    assert books["description"] == "Books in the catalogue."
    authors = doc["components"]["schemas"]["authors"]
    assert authors["properties"]["name"]["description"] == "The author's full name."
    assert authors["properties"]["id"]["type"] == "integer"
    assert doc["paths"]["/rpc/add"]["post"]["summary"] == "Adds two integers."


def test_openapi_follows_privileges(base: str) -> None:
    anon = document(base)["paths"]
    assert set(anon["/books"]) == {"get", "head", "options"}
    assert "/secrets" not in anon
    assert "/rpc/bump" not in anon
    user = document(base, bearer("pgw_user"))["paths"]
    assert set(user["/items"]) == {"get", "head", "post", "put", "patch", "delete", "options"}
    assert "/secrets" not in user and "/rpc/bump" in user
    staff = document(base, bearer("pgw_staff"))["paths"]
    assert set(staff["/secrets"]) == {"get", "head", "options"}


def test_swagger_ui_is_served_from_the_package(base: str) -> None:
    page = httpx.get(f"{base}/docs")
    assert page.status_code == 200 and "swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower() and "https://" not in page.text
    bundle = httpx.get(f"{base}/docs/assets/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and len(bundle.content) > 100_000
    assert httpx.get(f"{base}/docs/assets/swagger-ui.css").status_code == 200
    assert httpx.get(f"{base}/docs/assets/../../app.py").status_code == 404


def test_schema_cache_reloads_on_notify(base: str, rest_db: str) -> None:
    assert httpx.get(f"{base}/late_table", headers=H).status_code == 404
    with psycopg.connect(rest_db, autocommit=True) as conn:
        conn.execute("create table test_api.late_table (id int primary key)")
        conn.execute("grant select on test_api.late_table to pgw_anon")
        conn.execute("notify pgrst, 'reload schema'")
    for _ in range(50):
        if httpx.get(f"{base}/late_table", headers=H).status_code == 200:
            break
        time.sleep(0.1)
    assert httpx.get(f"{base}/late_table", headers=H).json() == []


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"code", "message", "details", "hint"}
    assert body["code"] == code


def test_bad_requests_are_typed_4xx(base: str) -> None:
    get = lambda q, **h: httpx.get(f"{base}/books?{q}", headers={**H, **h})  # noqa: E731
    assert_error(get("nope=eq.1"), 400, "42703")
    assert_error(get("id=foo.1"), 400, "PGRST100")
    assert_error(get("id=eq"), 400, "PGRST100")
    assert_error(get("id=eq.abc"), 400, "22P02")
    assert_error(get("select=id,"), 400, "PGRST100")
    assert_error(get("select=id::evil_type"), 400, "PGRST100")
    assert_error(get("order=id.sideways"), 400, "PGRST100")
    assert_error(get("limit=-1"), 416, "PGRST103")
    assert_error(get("or=(id.eq.1"), 400, "PGRST100")
    assert_error(get("id=in.1,2"), 400, "PGRST100")
    assert_error(get("id=is.maybe"), 400, "PGRST100")
    assert_error(get("", Accept="application/xml"), 406, "PGRST107")
    assert_error(httpx.get(f"{base}/nothing_here", headers=H), 404, "PGRST205")
    assert_error(httpx.request("TRACE", f"{base}/books", headers=H), 405, "PGRST117")


def test_statement_timeout_is_504_not_a_hang(base: str) -> None:
    r = httpx.post(f"{base}/rpc/slow", headers={**H, **bearer()}, json={"seconds": 0.01})
    assert r.status_code == 200
    r = httpx.post(f"{base}/rpc/slow", headers={**H, **bearer()}, json={"seconds": 3}, timeout=10)
    assert_error(r, 504, "57014")


def test_openapi_document_validates(base: str) -> None:
    """Checked with openapi-spec-validator when it is installed (it is not a dependency)."""
    validator = pytest.importorskip("openapi_spec_validator")
    for headers in ({}, bearer("pgw_user"), bearer("pgw_staff")):
        validator.validate(document(base, headers))
