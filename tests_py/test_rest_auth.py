"""Identity through the live endpoint: JWTs (HS256/384/512 here; RS256, ES256, EdDSA, kid
rotation, aud and a custom role claim key on a standalone `pgwarden rest`), pgwarden sessions
(bearer and cookie, resolved by the identity schema's auth.resolve_session), anon, and RLS per
user."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import psycopg
import pytest
import rest_support
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm
from postgrest import SyncPostgrestClient
from rest_support import SECRET, bearer, token

from webui.testing import free_port, running_rest

# The module-scoped fixtures of rest_support, used here by name.
base = rest_support.base
rest_db = rest_support.rest_db
rest_server = rest_support.rest_server


H = {"Accept-Profile": "test_api", "Content-Profile": "test_api"}
BOB = {"Cookie": "pgw_session=session-token-of-bob-0123456789abcdef00"}


def whoami(base: str, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{base}/rpc/whoami", headers={**H, **headers}, json={})


@pytest.mark.parametrize("algorithm", ["HS256", "HS384", "HS512"])
def test_hmac_tokens(base: str, algorithm: str) -> None:
    r = whoami(base, {"Authorization": f"Bearer {token('pgw_staff', '5', algorithm)}"})
    assert r.status_code == 200
    assert r.json()["role"] == "pgw_staff" and r.json()["claims"]["sub"] == "5"


def test_expired_token_is_401_with_challenge(base: str) -> None:
    expired = jwt.encode({"role": "pgw_user", "exp": int(time.time()) - 120}, SECRET)
    r = whoami(base, {"Authorization": f"Bearer {expired}"})
    assert r.status_code == 401
    assert r.json() == {"code": "PGRST303", "message": "JWT expired", "details": None, "hint": None}
    assert r.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')


@pytest.mark.parametrize(
    "bad",
    [
        jwt.encode({"role": "pgw_user"}, "another-secret-of-sufficient-length-0123456789"),
        "not.a.jwt",
        jwt.encode({"role": "pgw_user"}, SECRET)[:-3] + "abc",
        jwt.encode({"role": 42}, SECRET),
    ],
)
def test_invalid_tokens_are_401(base: str, bad: str) -> None:
    r = whoami(base, {"Authorization": f"Bearer {bad}"})
    assert r.status_code == 401 and r.json()["code"] in ("PGRST301", "PGRST303")
    assert "WWW-Authenticate" in r.headers


def test_malformed_authorization_header(base: str) -> None:
    r = whoami(base, {"Authorization": "Basic dXNlcjpwYXNz"})
    assert r.status_code == 401


def test_token_without_role_is_anon(base: str) -> None:
    r = whoami(base, {"Authorization": f"Bearer {jwt.encode({'sub': '3'}, SECRET)}"})
    assert r.json()["role"] == "pgw_anon"


def test_unknown_role_is_rejected(base: str) -> None:
    r = whoami(base, {"Authorization": f"Bearer {token('postgres')}"})
    assert r.status_code in (400, 401, 403) and r.status_code != 500


# --- RLS and privileges through the endpoint ---------------------------------------------------
def test_rls_each_user_sees_own_rows(base: str) -> None:
    alice = SyncPostgrestClient(base, schema="test_api", headers=bearer("pgw_user", "1"))
    bob = SyncPostgrestClient(base, schema="test_api", headers=bearer("pgw_user", "2"))
    anon = SyncPostgrestClient(base, schema="test_api")
    assert {r["body"] for r in alice.from_("notes").select("body").execute().data} == {
        "alice private",
        "alice public",
    }
    assert [r["body"] for r in bob.from_("notes").select("body").execute().data] == ["bob private"]
    assert [r["body"] for r in anon.from_("notes").select("body").execute().data] == [
        "alice public"
    ]


def test_rls_hidden_rows_cannot_be_changed_or_seen(base: str) -> None:
    bob = SyncPostgrestClient(base, schema="test_api", headers=bearer("pgw_user", "2"))
    assert (
        bob.from_("notes").update({"body": "hacked"}).eq("body", "alice private").execute().data
        == []
    )
    assert bob.from_("notes").delete().eq("owner_id", 1).execute().data == []
    alice = SyncPostgrestClient(base, schema="test_api", headers=bearer("pgw_user", "1"))
    assert len(alice.from_("notes").select("id").execute().data) == 2
    r = httpx.post(
        f"{base}/notes",
        headers={**H, **bearer("pgw_user", "2")},
        json={"owner_id": 1, "body": "forged"},
    )
    assert r.status_code == 403 and r.json()["code"] == "42501"


def test_rls_insert_takes_owner_from_claims(base: str) -> None:
    bob = SyncPostgrestClient(base, schema="test_api", headers=bearer("pgw_user", "2"))
    row = bob.from_("notes").insert({"body": "bob again"}).execute().data[0]
    assert row["owner_id"] == 2


def test_table_privileges(base: str) -> None:
    assert httpx.get(f"{base}/secrets", headers=H).status_code == 401
    r = httpx.get(f"{base}/secrets", headers={**H, **bearer("pgw_user")})
    assert r.status_code == 403 and r.json()["code"] == "42501"
    r = httpx.get(f"{base}/secrets", headers={**H, **bearer("pgw_staff")})
    assert r.status_code == 200 and r.json()[0]["value"] == "the cake is a lie"


# --- pgwarden sessions (auth.resolve_session of the identity schema) --------------------------
def test_session_bearer_and_cookie(base: str) -> None:
    r = whoami(base, {"Authorization": "Bearer session-token-of-alice-0123456789abcdef"})
    assert r.status_code == 200
    claims = r.json()["claims"]
    assert r.json()["role"] == "pgw_user"
    assert claims == {"sub": "1", "role": "pgw_user", "tier": "user", "sid": "77"}
    r = whoami(base, BOB)
    assert r.json()["claims"]["sub"] == "2" and r.json()["role"] == "pgw_user"


def test_cookies_reach_sql_without_the_session(base: str) -> None:
    r = whoami(base, {"Cookie": "theme=dark; pgw_session=session-token-of-bob-0123456789abcdef00"})
    assert r.json()["cookies"] == {"theme": "dark"}


def test_role_never_leaks_between_requests(base: str) -> None:
    """Connections are pooled: a staff request must leave nothing behind for the next one."""
    with httpx.Client(base_url=base, headers=H) as client:
        for _ in range(15):
            assert client.get("/secrets", headers=bearer("pgw_staff")).status_code == 200
            assert client.get("/secrets").status_code == 401
            anon = client.post("/rpc/whoami", json={}).json()
            assert anon["role"] == "pgw_anon" and anon["claims"] == {"role": "pgw_anon"}


def test_session_rls(base: str) -> None:
    r = httpx.get(f"{base}/notes?select=body", headers={**H, **BOB})
    bodies = [n["body"] for n in r.json()]
    assert "bob private" in bodies and all(b.startswith("bob") for b in bodies)


def test_unknown_session(base: str) -> None:
    r = whoami(base, {"Authorization": "Bearer no-such-session"})
    assert r.status_code == 401 and "WWW-Authenticate" in r.headers
    r = whoami(base, {"Cookie": "pgw_session=no-such-session"})
    assert r.status_code == 200 and r.json()["role"] == "pgw_anon"


def test_unknown_session_cannot_write(base: str, rest_db: str) -> None:
    r = httpx.post(
        f"{base}/items",
        headers={**H, "Authorization": "Bearer forged-session"},
        json={"id": 500, "name": "x"},
    )
    assert r.status_code == 401


# --- standalone `pgwarden rest` with asymmetric keys -------------------------------------------
def _jwk(algorithm: type, key: object, kid: str, alg: str) -> dict:
    entry = algorithm.to_jwk(key.public_key(), as_dict=True)  # type: ignore[attr-defined]
    return {**entry, "kid": kid, "alg": alg}


@pytest.fixture(scope="module")
def keys() -> dict[str, object]:
    return {
        "rsa1": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "rsa2": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "ec": ec.generate_private_key(ec.SECP256R1()),
        "ed": ed25519.Ed25519PrivateKey.generate(),
    }


@pytest.fixture(scope="module")
def standalone(rest_db: str, keys: dict, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    jwks = {
        "keys": [
            _jwk(RSAAlgorithm, keys["rsa1"], "k1", "RS256"),
            _jwk(RSAAlgorithm, keys["rsa2"], "k2", "RS256"),
            _jwk(ECAlgorithm, keys["ec"], "ec", "ES256"),
            _jwk(OKPAlgorithm, keys["ed"], "ed", "EdDSA"),
        ]
    }
    port = free_port()
    folder = tmp_path_factory.mktemp("standalone")
    config = folder / "postgrest.conf"
    config.write_text(
        "# a PostgREST configuration file\n"
        'db-schemas = "test_api"\n'
        'db-anon-role = "pgw_anon"\n'
        f"server-port = {port}\n"
        'jwt-aud = "pgwarden-tests"\n'
        'jwt-role-claim-key = ".app.roles[0]"\n'
        "db-max-rows = 2\n"
    )
    env = {"PGRST_JWT_SECRET": json.dumps(jwks)}
    with running_rest(
        rest_db, folder, "/authors?limit=1", env=env, args=(str(config),), port=port
    ) as url:
        yield url


def _signed(keys: dict, name: str, kid: str, alg: str, **claims: object) -> dict[str, str]:
    payload = {
        "app": {"roles": ["pgw_user"]},
        "sub": "1",
        "aud": "pgwarden-tests",
        "exp": int(time.time()) + 300,
        **claims,
    }
    encoded = jwt.encode(payload, keys[name], algorithm=alg, headers={"kid": kid})
    return {"Authorization": f"Bearer {encoded}"}


@pytest.mark.parametrize(
    ("name", "kid", "alg"),
    [
        ("rsa1", "k1", "RS256"),
        ("rsa2", "k2", "RS256"),
        ("ec", "ec", "ES256"),
        ("ed", "ed", "EdDSA"),
    ],
)
def test_asymmetric_algorithms_and_kid_rotation(
    standalone: str, keys: dict, name: str, kid: str, alg: str
) -> None:
    r = httpx.post(f"{standalone}/rpc/whoami", json={}, headers=_signed(keys, name, kid, alg))
    assert r.status_code == 200, r.text
    assert r.json()["role"] == "pgw_user"


def test_wrong_kid_and_audience(standalone: str, keys: dict) -> None:
    r = httpx.post(
        f"{standalone}/rpc/whoami", json={}, headers=_signed(keys, "rsa1", "k2", "RS256")
    )
    assert r.status_code == 401 and r.json()["code"] == "PGRST301"
    r = httpx.post(
        f"{standalone}/rpc/whoami",
        json={},
        headers=_signed(keys, "rsa1", "k1", "RS256", aud="someone-else"),
    )
    assert r.status_code == 401 and r.json()["message"] == "JWT not in audience"
    hs = jwt.encode({"app": {"roles": ["pgw_user"]}}, "x" * 40, algorithm="HS256")
    r = httpx.post(f"{standalone}/rpc/whoami", json={}, headers={"Authorization": f"Bearer {hs}"})
    assert r.status_code == 401


def test_max_rows_caps_reads(standalone: str) -> None:
    r = httpx.get(f"{standalone}/books?select=id&order=id", headers={"Prefer": "count=exact"})
    assert [b["id"] for b in r.json()] == [1, 2]
    assert r.status_code == 206 and r.headers["Content-Range"] == "0-1/6"
    r = httpx.get(f"{standalone}/books?select=id&order=id&limit=10")
    assert len(r.json()) == 2


def test_standalone_serves_root_openapi(standalone: str) -> None:
    r = httpx.get(f"{standalone}/")
    assert r.status_code == 200 and r.json()["openapi"] == "3.1.0"
    assert "/authors" in r.json()["paths"]


def test_rest_help_lists_postgrest_names() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "webui.cli", "rest", "--help"],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parent.parent,
    ).stdout
    for name in (
        "db-uri",
        "db-schemas",
        "db-anon-role",
        "db-pre-request",
        "db-tx-end",
        "db-max-rows",
        "db-plan-enabled",
        "db-pool",
        "jwt-secret",
        "jwt-aud",
        "jwt-role-claim-key",
        "server-port",
        "PGRST_DB_SCHEMAS",
    ):
        assert name in out


def test_session_touch_on_a_read(base: str, rest_db: str) -> None:
    """resolve_session slides the idle expiry (a write) in the statement that then makes a read
    transaction read-only: the read still works and the touch is kept."""
    import psycopg

    with psycopg.connect(rest_db, autocommit=True) as conn:
        conn.execute(
            "update auth.sessions set last_seen_at = now() - interval '2 hours' where id = 78"
        )
    r = httpx.get(f"{base}/notes?select=body", headers={**H, **BOB})
    assert r.status_code == 200 and r.json()
    with psycopg.connect(rest_db, autocommit=True) as conn:
        seen = conn.execute(
            "select now() - last_seen_at < interval '1 minute' from auth.sessions where id = 78"
        ).fetchone()
    assert seen == (True,)


def test_a_session_that_must_change_its_password_gets_no_data(base: str, rest_db: str) -> None:
    """Forced rotation: until the password is changed, the session is no identity for the API."""
    with psycopg.connect(rest_db, autocommit=True) as conn:
        conn.execute("update auth.users set must_change_password = true where id = 2")
        try:
            cookie = whoami(base, BOB)
            bearer_token = whoami(
                base, {"Authorization": "Bearer session-token-of-bob-0123456789abcdef00"}
            )
        finally:
            conn.execute("update auth.users set must_change_password = false where id = 2")
    assert cookie.status_code == 200 and cookie.json()["role"] == "pgw_anon"
    assert bearer_token.status_code == 401
    assert whoami(base, BOB).json()["claims"]["sub"] == "2"  # usable again once changed
