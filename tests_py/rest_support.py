"""Shared set-up of the REST dialect tests: one database per test module (cloned from the
migrated template, plus rest_fixtures.sql), one real `pgwarden serve` on it, and token helpers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import jwt
import psycopg
import pytest
from pytest_postgresql.janitor import DatabaseJanitor

from webui.testing import ServerProcess, running_server, url_for_database

T = TypeVar("T")
FIXTURES = Path(__file__).with_name("rest_fixtures.sql")
SECRET = "a-test-secret-that-is-long-enough-for-hs512-0123456789abcdef-0123456789"
PREFIX = "/rest/v1"
ENV = {
    "PGRST_DB_SCHEMAS": "test_api,api",
    "PGRST_JWT_SECRET": SECRET,
    "PGRST_DB_TX_END": "commit-allow-override",
    "PGRST_DB_PLAN_ENABLED": "true",
    "PGRST_DB_PRE_REQUEST": "test_api.pre_request",
    "PGWARDEN_STATEMENT_TIMEOUT_MS": "1500",
}


def token(
    role: str = "pgw_user", sub: str | None = "1", algorithm: str = "HS256", **claims: Any
) -> str:
    payload: dict[str, Any] = {"role": role, "exp": int(time.time()) + 600, **claims}
    if sub is not None:
        payload["sub"] = sub
    return jwt.encode(payload, SECRET, algorithm=algorithm)


def bearer(role: str = "pgw_user", sub: str | None = "1", **claims: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(role, sub, **claims)}"}


def _owner_url(migrated: Any, dbname: str) -> str:
    base = f"host={migrated.host} port={migrated.port} user={migrated.user} dbname=postgres"
    if migrated.password:
        base += f" password={migrated.password}"
    return url_for_database(base, dbname)


def module_database(request: pytest.FixtureRequest, migrated: Any) -> Iterator[str]:
    # named after the session's own databases (conftest.py), so a concurrent session keeps its own
    module = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_rest_")
    dbname = f"{migrated.dbname}_rest_{module}"
    janitor = DatabaseJanitor(
        user=migrated.user,
        host=migrated.host,
        port=migrated.port,
        dbname=dbname,
        template_dbname=migrated.template_dbname,
        password=migrated.password,
    )
    janitor.drop()
    with janitor:
        url = _owner_url(migrated, dbname)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(FIXTURES.read_text())
        yield url


def module_server(
    url: str, tmp_path_factory: pytest.TempPathFactory, env: dict[str, str] | None = None
) -> Iterator[ServerProcess]:
    with running_server(url, tmp_path_factory.mktemp("rest"), env={**ENV, **(env or {})}) as server:
        yield server


@pytest.fixture(scope="module")
def rest_db(request: pytest.FixtureRequest, migrated: Any) -> Iterator[str]:
    """This module's database: migrated, plus the REST test schema."""
    yield from module_database(request, migrated)


@pytest.fixture(scope="module")
def rest_server(rest_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One `pgwarden serve` for the module, with the dialect at /rest/v1 over test_api."""
    yield from module_server(rest_db, tmp_path_factory)


@pytest.fixture(scope="module")
def base(rest_server: ServerProcess) -> str:
    return rest_server.base_url + PREFIX


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on its own event loop in a fresh thread: the async `postgrest` client is
    exercised the same way whatever loop another plugin (Playwright's) left running here."""
    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(asyncio.run, coroutine).result()
