"""Helpers of the admin tests: the library example loaded into a real database with known
passwords, a real `pgwarden serve` exposing the library and audit schemas to the REST dialect,
and a small real HTTP client that signs in through the admin's own form."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from argon2 import PasswordHasher

from webui.cli import main
from webui.testing import ServerProcess, running_server
from webui.testing.auth import sql

PASSWORD = "admin test password 42"
TIERS = ("user", "staff", "supervisor", "administrator", "developer")
ADMIN_ENV = {"PGRST_DB_SCHEMAS": "api,library,audit"}
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def load_library(db_url: str, monkeypatch: Any) -> None:
    """`pgwarden example load library`, then one known password for every demo account."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert main(["example", "load", "library"]) == 0
    digest = PasswordHasher().hash(PASSWORD)
    sql(
        db_url,
        "update auth.users set password_hash = %s where email like '%%@library.example'",
        [digest],
    )


@contextmanager
def admin_server(
    db_url: str, tmp_path: Path, env: dict[str, str] | None = None
) -> Iterator[ServerProcess]:
    with running_server(db_url, tmp_path, env={**ADMIN_ENV, **(env or {})}) as server:
        yield server


def csrf(page: str) -> str:
    match = _TOKEN.search(page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no hidden field {name}"
    return html.unescape(match.group(1))


def texts(page: str, pattern: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(pattern, page)]


class Browserless:
    """A real HTTP client of the admin (no JavaScript), holding its own cookies."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, follow_redirects=False, timeout=30)
        self.last = ""

    def get(self, path: str, **kw: Any) -> httpx.Response:
        response = self.http.get(path, **kw)
        if "text/html" in response.headers.get("content-type", ""):
            self.last = response.text
        return response

    def post(
        self, path: str, data: dict[str, Any], token: str | None = None, **kw: Any
    ) -> httpx.Response:
        body = {"csrf_token": token if token is not None else csrf(self.last), **data}
        response = self.http.post(path, data=body, **kw)
        if "text/html" in response.headers.get("content-type", ""):
            self.last = response.text
        return response

    def login(self, email: str, password: str = PASSWORD) -> httpx.Response:
        self.get("/admin/login")
        return self.post("/admin/login", {"email": email, "password": password, "next": "/admin"})


def signed_in(base_url: str, tier: str) -> Browserless:
    client = Browserless(base_url)
    response = client.login(f"{tier}@library.example")
    assert response.status_code == 303, response.text
    return client
