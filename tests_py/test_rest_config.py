"""Configuration under PostgREST's names: config file, PGRST_* variables, precedence, errors; and
`pgwarden rest --workers 2` taking its workers down with it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import rest_support

from webui.rest.auth import parse_role_path
from webui.rest.config import ConfigError, load, parse_file
from webui.testing import free_port

rest_db = rest_support.rest_db


def test_config_file_then_environment(tmp_path: Path) -> None:
    path = tmp_path / "postgrest.conf"
    path.write_text(
        '# comment\ndb-schemas = "api, other"\ndb-max-rows = 100\n'
        'jwt-secret = "with \\"quotes\\""\ndb-plan-enabled = true\n'
    )
    config = load(env={"PGRST_DB_MAX_ROWS": "5"}, config_file=str(path))
    assert config.db_schemas == ("api", "other")
    assert config.db_max_rows == 5  # the environment wins over the file
    assert config.jwt_secret == 'with "quotes"'
    assert config.db_plan_enabled is True
    assert config.sources == ("defaults", str(path))


def test_defaults() -> None:
    config = load(env={})
    assert config.db_schemas == ("api",) and config.db_anon_role == "pgw_anon"
    assert config.db_tx_end == "commit" and not config.tx_override
    assert config.server_prefix == "/rest/v1" and config.db_max_rows is None


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PGRST_DB_TX_END": "sometimes"}, "db-tx-end"),
        ({"PGRST_DB_POOL": "many"}, "db-pool"),
        ({"PGRST_DB_PLAN_ENABLED": "perhaps"}, "db-plan-enabled"),
        ({"PGRST_DB_SCHEMAS": " , "}, "db-schemas"),
    ],
)
def test_bad_values_are_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load(env=env)


def test_bad_file_lines_and_unknown_names(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="line 1"):
        parse_file("this is not a setting")
    path = tmp_path / "c.conf"
    path.write_text('db-colour = "blue"\n')
    with pytest.raises(ConfigError, match="db-colour"):
        load(env={}, config_file=str(path))


def test_role_claim_paths() -> None:
    assert parse_role_path(".role") == ["role"]
    assert parse_role_path(".realm_access.roles[0]") == ["realm_access", "roles", 0]
    assert parse_role_path('."https://x.io/claims".role') == ["https://x.io/claims", "role"]
    with pytest.raises(ValueError):
        parse_role_path("role")


def test_rest_workers_stop_with_the_parent(rest_db: str, tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": rest_db,
        "PGRST_DB_SCHEMAS": "test_api",
        "PGRST_SERVER_PORT": str(port),
    }
    log = (tmp_path / "rest.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "webui.cli", "rest", "--workers", "2"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(150):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/authors?limit=1").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        children = _children(process.pid)
        assert len(children) >= 2
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)
    time.sleep(1)
    assert not [pid for pid in children if Path(f"/proc/{pid}").exists()]


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(line) for line in out.stdout.split()]


def test_mount_prefix_is_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    from webui.core.settings import Settings
    from webui.web.app import create_app

    monkeypatch.setenv("PGRST_SERVER_PREFIX", "/api/v2/")
    app = create_app(Settings("postgresql:///x", "postgresql:///x", "k" * 40, "test"))
    paths = {getattr(r, "canonical", "") for r in app.router.resources()}
    assert {"/api/v2/", "/api/v2/rpc/{name}", "/api/v2/{name}", "/api/v2/docs"} <= paths
    assert not any(p.startswith("/rest/v1") for p in paths)


def test_base64_secret_and_role_claim_key() -> None:
    import base64

    import jwt as pyjwt

    from webui.rest.auth import JwtVerifier

    raw = b"\x00\x01binary-secret-of-more-than-48-bytes-0123456789abcdef\xff\xfe"
    config = load(
        env={
            "PGRST_JWT_SECRET": base64.b64encode(raw).decode(),
            "PGRST_JWT_SECRET_IS_BASE64": "true",
            "PGRST_JWT_ROLE_CLAIM_KEY": ".app.roles[1]",
        }
    )
    token = pyjwt.encode({"app": {"roles": ["a", "pgw_staff"]}}, raw, algorithm="HS384")
    identity = JwtVerifier(config).identify(token)
    assert identity.role == "pgw_staff" and identity.authenticated


def test_symmetric_jwk_set() -> None:
    import base64
    import json

    import jwt as pyjwt

    from webui.rest.auth import JwtVerifier
    from webui.rest.errors import ApiError

    secret = b"an-oct-key-in-a-jwks-of-at-least-32-bytes!!"
    oct_key = {
        "kty": "oct",
        "kid": "s1",
        "k": base64.urlsafe_b64encode(secret).decode().rstrip("="),
    }
    verifier = JwtVerifier(load(env={"PGRST_JWT_SECRET": json.dumps({"keys": [oct_key]})}))
    good = pyjwt.encode({"role": "pgw_user"}, secret, algorithm="HS256", headers={"kid": "s1"})
    assert verifier.identify(good).role == "pgw_user"
    bad = pyjwt.encode({"role": "pgw_user"}, secret, algorithm="HS256", headers={"kid": "s2"})
    with pytest.raises(ApiError) as error:
        verifier.identify(bad)
    assert error.value.status == 401


def test_serve_refuses_bad_rest_configuration(rest_db: str) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": rest_db,
        "PGRST_DB_TX_END": "sometimes",
        "PGWARDEN_SECRET_KEY": "k" * 40,
    }
    result = subprocess.run(
        [sys.executable, "-m", "webui.cli", "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "db-tx-end" in result.stderr and "Traceback" not in result.stderr
