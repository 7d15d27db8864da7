"""PostgREST v13 behaviour a client can notice, against a live `pgwarden serve` with raw HTTP and
the `postgrest` client: hostile bodies, statuses and messages, 403 for every signed-in caller,
custom statuses from SQL, upsert statuses, Content-Range on writes, the request context."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import rest_support
from postgrest import SyncPostgrestClient
from postgrest.exceptions import APIError
from rest_support import bearer

from webui.testing import ServerProcess

DIALECT = Path(__file__).with_name("rest_dialect_fixtures.sql")
API = {"Accept-Profile": "test_api", "Content-Profile": "test_api"}
TIERS = {
    "staff": (11, "session-of-staff-0123456789abcdef0123456"),
    "supervisor": (12, "session-of-supervisor-0123456789abcdef01"),
    "administrator": (13, "session-of-administrator-0123456789abcde"),
    "developer": (14, "session-of-developer-0123456789abcdef012"),
    "user": (1, "session-token-of-alice-0123456789abcdef"),
}


@pytest.fixture(scope="module")
def rest_db(request: pytest.FixtureRequest, migrated: Any) -> Iterator[str]:
    databases = rest_support.module_database(request, migrated)
    url = next(databases)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(DIALECT.read_text())
    yield url
    with contextlib.suppress(StopIteration):
        next(databases)


@pytest.fixture(scope="module")
def rest_server(rest_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    env = {
        "PGRST_DB_PRE_REQUEST": "test_api.dialect_pre_request",
        "PGRST_DB_AGGREGATES_ENABLED": "true",
    }
    yield from rest_support.module_server(rest_db, tmp_path_factory, env)


base = rest_support.base


def call(base: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    headers = {**API, **kwargs.pop("headers", {})}
    return httpx.request(method, base + path, headers=headers, timeout=10, **kwargs)


def error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"code", "message", "details", "hint"}, body
    return body


def identities(tier: str) -> dict[str, dict[str, str]]:
    """The three ways a signed-in caller of `tier` presents themself."""
    user_id, session = TIERS[tier]
    return {
        "jwt": bearer(f"pgw_{tier}", str(user_id)),
        "bearer-session": {"Authorization": f"Bearer {session}"},
        "cookie-session": {"Cookie": f"pgw_session={session}"},
    }


# --- 1. hostile input ----------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/items", "/rpc/echo_body"])
def test_deeply_nested_json_is_400_not_500(base: str, path: str) -> None:
    body = b"[" * 10_000
    r = call(base, "POST", path, content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert error(r) == {
        "code": "PGRST102",
        "message": "Empty or invalid json",
        "details": None,
        "hint": None,
    }


@pytest.mark.parametrize("body", [b"}{ x = 2", b"", b"NaN", b'{"a": 1} x', b'"\\ud800"'])
def test_invalid_json_is_pgrst102_with_null_details(base: str, body: bytes) -> None:
    for method in ("POST", "PATCH"):
        r = call(
            base,
            method,
            "/items?id=eq.1",
            content=body,
            headers={**bearer(), "Content-Type": "application/json"},
        )
        assert r.status_code == 400, (method, body, r.text)
        assert error(r)["code"] == "PGRST102" and error(r)["details"] is None


def test_big_integers_reach_postgresql_exactly(base: str, rest_db: str) -> None:
    """The body goes to PostgreSQL as sent: a numeric wider than a double keeps its digits."""
    with psycopg.connect(rest_db, autocommit=True) as conn:
        conn.execute("create table test_api.wide (id integer primary key, n numeric)")
        conn.execute("grant select, insert on test_api.wide to pgw_user")
        conn.execute("notify pgrst, 'reload schema'")
    _wait_for(base, "/wide")
    r = call(
        base,
        "POST",
        "/wide",
        content=b'{"id": 1, "n": 123456789012345678901234567890.5}',
        headers={**bearer(), "Content-Type": "application/json", "Prefer": "return=representation"},
    )
    assert r.status_code == 201, r.text
    assert b"123456789012345678901234567890.5" in r.content


def _wait_for(base: str, path: str) -> None:
    for _ in range(100):
        if call(base, "GET", path, headers=bearer()).status_code == 200:
            return
        import time

        time.sleep(0.05)
    raise AssertionError(f"{path} never appeared in the schema cache")


def test_a_recursive_policy_is_a_typed_error_with_a_hint(base: str) -> None:
    r = call(base, "GET", "/looping")
    assert r.status_code == 500
    body = error(r)
    assert body["code"] == "42P17"
    assert body["message"] == 'infinite recursion detected in policy for relation "looping"'
    assert body["hint"] and "pg_policies" in body["hint"]
    assert r.headers["Proxy-Status"] == "PostgREST; error=42P17"


# --- 2. statuses and messages --------------------------------------------------------------
def test_custom_status_from_a_function(base: str) -> None:
    r = call(base, "GET", "/rpc/raise_pt402")
    assert r.status_code == 402
    assert r.reason_phrase == "Payment Required"
    assert error(r) == {
        "code": "PT402",
        "message": "Payment Required",
        "details": "Quota exceeded",
        "hint": "Upgrade your plan",
    }
    bad = call(base, "GET", "/rpc/raise_bad_pt")
    assert bad.status_code == 500 and error(bad)["message"] == "Wrong"


def test_custom_status_from_the_pre_request_hook(base: str) -> None:
    r = call(base, "GET", "/authors?select=id", headers={"X-Pay": "no"})
    assert r.status_code == 402
    assert error(r)["hint"] == "from db-pre-request"


def test_raise_sqlstate_pgrst_controls_the_whole_response(base: str) -> None:
    r = call(base, "GET", "/rpc/raise_pgrst")
    assert r.status_code == 332
    assert r.headers["X-Header"] == "Value"
    assert error(r) == {"code": "123", "message": "ABC", "details": "DEF", "hint": "XYZ"}


@pytest.mark.parametrize("tier", list(TIERS))
def test_a_signed_in_callers_refusal_is_403_in_every_form(base: str, tier: str) -> None:
    """Issue 13 item 3: a refused write by a signed-in caller is 403 42501 (never 401 or
    PGRST301) whether they sent a JWT, a bearer session or a session cookie."""
    for how, headers in identities(tier).items():
        for method, path, body in (
            ("DELETE", "/secrets?id=eq.1", None),
            ("POST", "/secrets", {"id": 9, "value": "x"}),
        ):
            r = call(base, method, path, json=body, headers=headers)
            assert r.status_code == 403, (tier, how, method, r.status_code, r.text)
            assert error(r)["code"] == "42501", (tier, how)
            assert "WWW-Authenticate" not in r.headers, (tier, how)


def test_anonymous_refusal_is_401_with_a_challenge(base: str) -> None:
    r = call(base, "DELETE", "/secrets?id=eq.1")
    assert r.status_code == 401 and error(r)["code"] == "42501"
    assert r.headers["WWW-Authenticate"] == "Bearer"
    dead = call(base, "DELETE", "/secrets?id=eq.1", headers={"Authorization": "Bearer dead-one"})
    assert dead.status_code == 401 and error(dead)["code"] == "PGRST301"


@pytest.mark.parametrize("how", ["jwt", "bearer-session", "cookie-session"])
def test_the_databases_own_refusal_code_reaches_the_client(base: str, how: str) -> None:
    """An administrator creating a developer account: the rank guard's `role_ceiling`."""
    headers = identities("administrator")[how]
    r = call(
        base,
        "POST",
        "/accounts",
        json={"email": f"dev-{how}@example.com", "role": "developer"},
        headers=headers,
    )
    assert r.status_code == 403, r.text
    body = error(r)
    assert body["code"] == "42501" and body["details"] == "role_ceiling"
    assert body["message"] == "You cannot assign a tier above your own."


def test_a_jwt_naming_a_missing_role_is_401(base: str) -> None:
    r = call(base, "GET", "/authors", headers=bearer("no_such_role"))
    assert r.status_code == 401, r.text
    assert error(r)["code"] == "22023"
    assert r.headers["WWW-Authenticate"] == "Bearer"


def test_not_null_detail_and_hint_pass_through(base: str) -> None:
    """PostgreSQL shows a failing row only to who may read all of it (no RLS, SELECT on every
    column), so its DETAIL passes as `details`; on an RLS table it sends none."""
    r = call(base, "POST", "/open_items", json={"id": 1, "note": "n"}, headers=bearer())
    assert r.status_code == 400
    body = error(r)
    assert body["code"] == "23502"
    assert body["details"] == "Failing row contains (1, null, n)."
    hidden = call(base, "POST", "/notes", json={"body": None}, headers=bearer())
    assert error(hidden)["code"] == "23502" and error(hidden)["details"] is None
    raised = call(base, "POST", "/rpc/fail", json={"message": "nope"})
    assert error(raised)["hint"] == "a hint"


def test_v13_messages(base: str) -> None:
    single = call(base, "GET", "/authors?id=lt.3", headers={"Accept": OBJECT})
    assert single.status_code == 406
    assert error(single)["message"] == "Cannot coerce the result to a single JSON object"
    assert error(single)["details"] == "The result contains 2 rows"
    missing = call(base, "GET", "/rpc/nope")
    assert missing.status_code == 404
    assert error(missing)["message"] == (
        "Could not find the function test_api.nope without parameters in the schema cache"
    )
    with_args = call(base, "GET", "/rpc/add?x=1&y=2")
    assert error(with_args)["message"] == (
        "Could not find the function test_api.add(x, y) in the schema cache"
    )
    assert error(with_args)["hint"] == "Perhaps you meant to call the function test_api.add(a, b)"
    method = call(base, "DELETE", "/rpc/add")
    assert method.status_code == 405
    assert error(method)["code"] == "PGRST101"
    assert error(method)["message"] == "Cannot use the DELETE method on RPC"
    schema = call(base, "GET", "/authors", headers={"Accept-Profile": "nope"})
    assert schema.status_code == 406
    assert error(schema) == {
        "code": "PGRST106",
        "message": "Invalid schema: nope",
        "details": None,
        "hint": "Only the following schemas are exposed: test_api, api",
    }


OBJECT = "application/vnd.pgrst.object+json"


@pytest.mark.parametrize("path", ["/authors/1", "/rpc/add/x", "/a/b/c"])
def test_a_nested_path_is_404_pgrst125(base: str, path: str) -> None:
    r = call(base, "GET", path)
    assert r.status_code == 404
    assert error(r) == {
        "code": "PGRST125",
        "message": "Invalid path specified in request URL",
        "details": None,
        "hint": None,
    }


def test_upsert_statuses(base: str) -> None:
    headers = {**bearer(), "Prefer": "resolution=merge-duplicates"}
    inserted = call(base, "POST", "/items", json=[{"id": 700, "name": "new"}], headers=headers)
    assert inserted.status_code == 201, inserted.text
    updated = call(base, "POST", "/items", json=[{"id": 700, "name": "again"}], headers=headers)
    assert updated.status_code == 200, updated.text
    mixed = call(
        base,
        "POST",
        "/items",
        json=[{"id": 700, "name": "x"}, {"id": 701, "name": "y"}],
        headers={**headers, "Prefer": "resolution=merge-duplicates, return=representation"},
    )
    assert mixed.status_code == 201 and len(mixed.json()) == 2
    ignored = call(
        base,
        "POST",
        "/items",
        json=[{"id": 700, "name": "z"}],
        headers={**bearer(), "Prefer": "resolution=ignore-duplicates, return=representation"},
    )
    assert ignored.status_code == 201 and ignored.json() == []
    client = SyncPostgrestClient(base, schema="test_api", headers=bearer())
    rows = client.from_("items").upsert({"id": 700, "name": "client"}).execute().data
    assert rows == [{"id": 700, "name": "client", "qty": 0, "created_at": rows[0]["created_at"]}]


def test_put_statuses(base: str) -> None:
    rep = {**bearer(), "Prefer": "return=representation"}
    created = call(base, "PUT", "/items?id=eq.800", json={"id": 800, "name": "p"}, headers=rep)
    assert created.status_code == 201, created.text
    replaced = call(base, "PUT", "/items?id=eq.800", json={"id": 800, "name": "q"}, headers=rep)
    assert replaced.status_code == 200 and replaced.json()[0]["name"] == "q"
    minimal = call(base, "PUT", "/items?id=eq.801", json={"id": 801, "name": "m"}, headers=bearer())
    assert minimal.status_code == 204


# --- 3. filters, embedding, ordering --------------------------------------------------------
def test_quoted_values_inside_logic_trees(base: str) -> None:
    r = call(base, "GET", '/authors?select=id&or=(name.eq."Le Guin, Ursula",id.eq.4)&order=id')
    assert r.status_code == 200, r.text
    assert r.json() == [{"id": 4}, {"id": 50}]
    client = SyncPostgrestClient(base, schema="test_api")
    rows = client.from_("authors").select("id").or_('name.eq."Le Guin, Ursula",id.eq.1').execute()
    assert sorted(r["id"] for r in rows.data) == [1, 50]


def test_an_empty_embed_filters_and_is_left_out(base: str) -> None:
    without = call(base, "GET", "/authors?select=id,books()&books=is.null&order=id")
    assert without.json() == [{"id": 4}, {"id": 50}]
    with_books = call(base, "GET", "/authors?select=id,books()&books=not.is.null&order=id")
    assert with_books.json() == [{"id": 1}, {"id": 2}, {"id": 3}]
    inner = call(base, "GET", "/authors?select=id,books!inner()&books.pages=gt.300&order=id")
    assert inner.json() == [{"id": 1}]
    plain = call(base, "GET", "/authors?select=id,books()&id=eq.1")
    assert plain.json() == [{"id": 1}]
    bad = call(base, "GET", "/authors?select=id,books()&books=eq.1")
    assert bad.status_code == 400 and error(bad)["code"] == "PGRST120"


def test_order_by_a_to_one_embedded_column(base: str) -> None:
    r = call(
        base,
        "GET",
        "/books?select=id,authors(name)&author_id=not.is.null&order=authors(name).desc,id",
    )
    assert r.status_code == 200, r.text
    names = [row["authors"]["name"] for row in r.json()]
    assert names == sorted(names, reverse=True)
    assert [row["id"] for row in r.json()] == [1, 2, 3, 5, 4]  # Le Guin, Lem, Butler
    many = call(base, "GET", "/authors?select=id,books(title)&order=books(title)")
    assert many.status_code == 400
    assert error(many) == {
        "code": "PGRST118",
        "message": "A related order on 'books' is not possible",
        "details": "'authors' and 'books' do not form a many-to-one or one-to-one relationship",
        "hint": None,
    }


def test_order_and_limit_on_patch_and_delete(base: str, rest_db: str) -> None:
    h = {**bearer(), "Prefer": "return=representation"}
    call(
        base,
        "POST",
        "/items",
        json=[{"id": i, "name": f"o{i}"} for i in (960, 961, 962)],
        headers=h,
    )
    patched = call(
        base,
        "PATCH",
        "/items?id=in.(960,961,962)&select=id&order=id.desc&limit=1",
        json={"qty": 9},
        headers=h,
    )
    assert patched.status_code == 200, patched.text
    # As in PostgREST v13+: order sorts the representation; limit does not restrict the write.
    assert patched.json() == [{"id": 962}, {"id": 961}, {"id": 960}]
    deleted = call(base, "DELETE", "/items?id=in.(960,961,962)&select=id&order=id.desc", headers=h)
    assert deleted.status_code == 200 and [r["id"] for r in deleted.json()] == [962, 961, 960]


def test_prefer_timezone(base: str) -> None:
    r = call(
        base,
        "GET",
        "/items?select=created_at&id=eq.1",
        headers={"Prefer": "timezone=Asia/Kolkata"},
    )
    assert r.status_code == 200, r.text
    assert r.json()[0]["created_at"].endswith("+05:30")
    assert r.headers["Preference-Applied"] == "timezone=Asia/Kolkata"
    bad = call(base, "GET", "/items?id=eq.1", headers={"Prefer": "timezone=Not/AZone"})
    assert bad.status_code == 400 and error(bad)["code"] == "22023"


def test_form_encoded_bodies(base: str) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    r = call(
        base,
        "POST",
        "/items",
        content=b"id=970&name=from+a+form",
        headers={**bearer(), **form, "Prefer": "return=representation"},
    )
    assert r.status_code == 201, r.text
    assert r.json()[0]["name"] == "from a form"
    rpc = call(base, "POST", "/rpc/add", content=b"a=40&b=2", headers=form)
    assert rpc.status_code == 200 and rpc.json() == 42


def test_aggregates(base: str) -> None:
    total = call(base, "GET", "/books?select=count(),pages.sum(),pages.max()")
    assert total.status_code == 200, total.text
    assert total.json() == [{"count": 6, "sum": 1454, "max": 387}]
    grouped = call(
        base,
        "GET",
        "/books?select=author_id,n:count(),avg:pages.avg()::int&author_id=not.is.null"
        "&order=author_id",
    )
    assert grouped.json() == [
        {"author_id": 1, "n": 2, "avg": 346},
        {"author_id": 2, "n": 2, "avg": 250},
        {"author_id": 3, "n": 1, "avg": 264},
    ]
    embedded = call(base, "GET", "/authors?select=id,books(pages.sum())&id=eq.1")
    assert embedded.json() == [{"id": 1, "books": [{"sum": 691}]}]


# --- 4. ranges on writes -------------------------------------------------------------------
def test_content_range_on_every_write(base: str) -> None:
    h = bearer()
    post = call(base, "POST", "/items", json={"id": 900, "name": "r"}, headers=h)
    assert post.status_code == 201 and post.headers["Content-Range"] == "*/*"
    counted = call(
        base,
        "POST",
        "/items",
        json=[{"id": 901, "name": "r"}, {"id": 902, "name": "r"}],
        headers={**h, "Prefer": "count=exact"},
    )
    assert counted.headers["Content-Range"] == "*/2"
    one = call(base, "PATCH", "/items?id=eq.900", json={"qty": 5}, headers=h)
    assert one.status_code == 204 and one.headers["Content-Range"] == "0-0/*"
    two = call(
        base,
        "PATCH",
        "/items?id=in.(901,902)",
        json={"qty": 5},
        headers={**h, "Prefer": "count=exact"},
    )
    assert two.headers["Content-Range"] == "0-1/2"
    none = call(base, "PATCH", "/items?id=eq.999999", json={"qty": 5}, headers=h)
    assert none.headers["Content-Range"] == "*/*"
    gone = call(base, "DELETE", "/items?id=in.(900,901,902)", headers=h)
    assert gone.status_code == 204 and gone.headers["Content-Range"] == "*/*"
    gone_counted = call(base, "DELETE", "/items?id=eq.700", headers={**h, "Prefer": "count=exact"})
    assert gone_counted.headers["Content-Range"] == "*/1"


def test_a_negative_limit_is_416(base: str) -> None:
    r = call(base, "GET", "/items?limit=-1")
    assert r.status_code == 416
    assert error(r) == {
        "code": "PGRST103",
        "message": "Requested range not satisfiable",
        "details": "Limit should be greater than or equal to zero.",
        "hint": None,
    }
    backwards = call(base, "GET", "/items", headers={"Range": "5-1"})
    assert backwards.status_code == 416
    assert error(backwards)["details"].startswith("The lower boundary must be lower")


# --- 6. CSV -------------------------------------------------------------------------------
def test_csv_is_postgresqls_row_text(base: str, rest_db: str) -> None:
    r = call(base, "GET", "/odd_texts?order=id", headers={"Accept": "text/csv"})
    assert r.status_code == 200, r.text
    with psycopg.connect(rest_db) as conn:
        rows = conn.execute(
            "select substring(r::text, 2, length(r::text) - 2)"
            " from (select id, t from test_api.odd_texts order by id) r"
        ).fetchall()
    assert r.text == "id,t\n" + "\n".join(row[0] for row in rows)
    assert r.text.splitlines()[1:7] == [
        "1,plain",
        '2,"two words"',
        '3,"a,b"',
        '4,"say ""hi"""',
        '5,"(x)"',
        '6,""',
    ]
    assert '7,\n8,"back\\\\slash"' in r.text


# --- 5. request context --------------------------------------------------------------------
def test_claims_always_carry_the_role(base: str) -> None:
    assert call(base, "GET", "/rpc/claims").json() == {"role": "pgw_anon"}
    no_role = rest_support.token(role="pgw_user", sub="5")
    import jwt

    claims = jwt.decode(no_role, options={"verify_signature": False})
    claims.pop("role")
    roleless = jwt.encode(claims, rest_support.SECRET, algorithm="HS256")
    r = call(base, "GET", "/rpc/claims", headers={"Authorization": f"Bearer {roleless}"})
    assert r.json()["role"] == "pgw_anon" and r.json()["sub"] == "5"
    dead_cookie = call(base, "GET", "/rpc/claims", headers={"Cookie": "pgw_session=nope"})
    assert dead_cookie.json() == {"role": "pgw_anon"}
    session = identities("staff")["cookie-session"]
    assert call(base, "GET", "/rpc/claims", headers=session).json()["role"] == "pgw_staff"


def test_content_profile_is_echoed_when_several_schemas_are_exposed(base: str) -> None:
    assert call(base, "GET", "/authors?id=eq.1").headers["Content-Profile"] == "test_api"
    default = httpx.get(base + "/rpc/add?a=1", timeout=10)  # no profile header: `test_api` first
    assert default.headers["Content-Profile"] == "test_api"
    failed = call(base, "GET", "/nope")
    assert failed.status_code == 404 and failed.headers["Content-Profile"] == "test_api"


@pytest.mark.parametrize(
    ("who", "path", "allow"),
    [
        (("pgw_user", "1"), "/items", "OPTIONS,GET,HEAD,POST,PUT,PATCH,DELETE"),
        (None, "/items", "OPTIONS,GET,HEAD"),
        (("pgw_user", "1"), "/book_titles", "OPTIONS,GET,HEAD,PATCH"),
        (("pgw_staff", "11"), "/secrets", "OPTIONS,GET,HEAD"),
        (None, "/secrets", "OPTIONS"),
        (None, "/rpc/volatile_echo", "OPTIONS,POST"),
        (None, "/rpc/stable_echo", "OPTIONS,GET,HEAD,POST"),
        (None, "/", "OPTIONS,GET,HEAD"),
    ],
)
def test_options_answers_allow(
    base: str, who: tuple[str, str] | None, path: str, allow: str
) -> None:
    headers = bearer(*who) if who else {}  # signed when the test runs: a token expires
    r = call(base, "OPTIONS", path, headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["Allow"] == allow
    assert r.content == b""


def test_options_on_an_unknown_relation_is_404(base: str) -> None:
    assert call(base, "OPTIONS", "/unknown").status_code == 404
    assert call(base, "OPTIONS", "/rpc/unknown").status_code == 404


def test_cors_preflight_and_exposed_headers(base: str) -> None:
    for path in ("/", "/items", "/rpc/add"):
        r = httpx.options(
            base + path,
            headers={
                "Origin": "http://example.com",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "Foo,Bar",
            },
            timeout=10,
        )
        assert r.status_code == 200, (path, r.text)
        assert r.headers["Access-Control-Allow-Origin"] == "*"
        assert r.headers["Access-Control-Allow-Methods"] == (
            "GET, POST, PATCH, PUT, DELETE, OPTIONS, HEAD"
        )
        assert r.headers["Access-Control-Allow-Headers"] == (
            "Authorization, Foo, Bar, Accept, Accept-Language, Content-Language"
        )
        assert r.headers["Access-Control-Max-Age"] == "86400"
        assert "Access-Control-Allow-Credentials" not in r.headers
    plain = call(base, "GET", "/items?id=eq.1", headers={"Origin": "http://example.com"})
    assert plain.headers["Access-Control-Allow-Origin"] == "*"
    assert "Content-Range" in plain.headers["Access-Control-Expose-Headers"]


def test_postgrest_client_sees_typed_errors(base: str) -> None:
    client = SyncPostgrestClient(base, schema="test_api", headers=bearer("pgw_staff", "11"))
    with pytest.raises(APIError) as caught:
        client.from_("secrets").delete().eq("id", 1).execute()
    assert caught.value.code == "42501"


def test_aggregates_in_a_to_many_spread_are_not_implemented(base: str) -> None:
    """PostgREST v13 spreads to-many embeds, without aggregates (test_rest_v13.py)."""
    r = call(base, "GET", "/authors?select=id,...books(count())")
    assert r.status_code == 400
    assert error(r) == {
        "code": "PGRST127",
        "message": "Feature not implemented",
        "details": "Aggregates are not implemented for one-to-many or many-to-many spreads.",
        "hint": None,
    }
