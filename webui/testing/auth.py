"""Helpers for tests of identity against real parts: accounts created in a real database, and a
small real HTTP client that keeps the session token itself (loopback servers are IP hosts, where
cookie jars refuse cookies)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import psycopg
from argon2 import PasswordHasher
from multidict import CIMultiDict

from webui.auth.config import COOKIE_NAME

JSON = {"Content-Type": "application/json"}


def create_user(
    db_url: str, email: str, password: str | None, role: str = "user", **columns: Any
) -> int:
    """Inserts an account as the owner (no request context, like the CLI); returns its id."""
    password_hash = PasswordHasher().hash(password) if password else None
    names = ["email", "password_hash", "role", *columns]
    values = [email, password_hash, role, *columns.values()]
    placeholders = ", ".join(["%s"] * len(values))
    with psycopg.connect(db_url, autocommit=True) as conn:
        row = conn.execute(
            f"insert into auth.users ({', '.join(names)}) values ({placeholders}) returning id",
            values,
        ).fetchone()
    assert row is not None
    return int(row[0])


def sql(db_url: str, statement: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    """Runs one statement as the owner and commits; returns its rows (if any)."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        cursor = conn.execute(statement, params or [])
        return cursor.fetchall() if cursor.description else []


@dataclass
class Reply:
    status: int
    body: bytes
    headers: CIMultiDict[str]

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Client:
    """A real HTTP client of one server; `token` is sent as the pgw_session cookie."""

    base_url: str
    token: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    async def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> Reply:
        all_headers = {**JSON, **self.headers, **(headers or {})}
        if self.token:
            all_headers["Cookie"] = f"{COOKIE_NAME}={self.token}"
        data = None if body is None else json.dumps(body)
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                method, self.base_url + path, data=data, headers=all_headers
            ) as response,
        ):
            raw = await response.read()
            reply = Reply(response.status, raw, CIMultiDict(response.headers))
            cookie = response.cookies.get(COOKIE_NAME)
            if cookie is not None:
                self.token = cookie.value or None
        return reply

    async def login(self, email: str, password: str) -> Reply:
        return await self.request("POST", "/auth/login", {"email": email, "password": password})
