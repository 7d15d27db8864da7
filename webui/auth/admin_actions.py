"""R2, organisational recovery, as JSON for administrators (contract: docs/recovery.md). Each
handler calls one SQL function as the signed-in administrator; the function checks the tier,
the re-auth wall (POST /auth/reauth first), the reason and the rank guards, and its refusal comes
back as a typed 4xx with the database's message and stable code.

    POST /auth/users/{id}/reset-password  {"reason", "mode": "temp_pw"|"email"}
    POST /auth/users/{id}/lock            {"reason", "duration": "15m"|"1h"|"24h"|"7d"|"indefinite"}
                                          or {"reason", "until": "<ISO 8601>"}
    POST /auth/users/{id}/unlock          {"reason"}
    POST /auth/users/{id}/revoke-sessions {"reason"}

A temporary password (16 characters) is in the answer once, with `Cache-Control: no-store`; it
is never logged and never audited."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import Any

from aiohttp import web

from webui.auth import origin
from webui.auth.config import AUTH_CONFIG
from webui.auth.http import AuthError, as_user, json_body, require_identity, sql_refusals
from webui.auth.routes import HASHER

TEMP_PASSWORD_LENGTH = 16
_USER_ID = re.compile(r"[0-9]{1,18}")
_NO_STORE = {"Cache-Control": "no-store"}


def _target(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not _USER_ID.fullmatch(raw):
        raise AuthError(400, "invalid_user_id", "A user id is a positive integer.")
    return int(raw)


def _reason(body: dict[str, Any]) -> str | None:
    value = body.get("reason")
    if value is not None and (not isinstance(value, str) or len(value) > 500):
        raise AuthError(400, "invalid_field", "`reason` is a string of at most 500 characters.")
    return value


async def _call(request: web.Request, statement: str, params: list[Any]) -> Any:
    identity = await require_identity(request)
    async with sql_refusals(), as_user(request, identity) as conn:
        row = await (await conn.execute(statement, params)).fetchone()
    return row[0] if row else None


def temporary_password() -> str:
    """16 URL-safe random characters (96 bits)."""
    return secrets.token_urlsafe(12)[:TEMP_PASSWORD_LENGTH]


async def reset_password(request: web.Request) -> web.Response:
    body = await json_body(request)
    target, reason, mode = _target(request), _reason(body), body.get("mode")
    if mode not in ("temp_pw", "email"):
        raise AuthError(400, "invalid_mode", "`mode` is temp_pw or email.")
    if mode == "email":
        base = origin.public_base(request, request.app[AUTH_CONFIG].origin)
        result = await _call(
            request,
            "select auth.admin_reset_password(%s, %s, 'email', null, %s, %s)",
            [target, reason, secrets.token_urlsafe(32), base],
        )
        return web.json_response(result)
    password = temporary_password()
    password_hash = await request.app[HASHER].hash(password)
    result = await _call(
        request,
        "select auth.admin_reset_password(%s, %s, 'temp_pw', %s)",
        [target, reason, password_hash],
    )
    return web.json_response({**result, "temporary_password": password}, headers=_NO_STORE)


def _until(body: dict[str, Any]) -> datetime | None:
    raw = body.get("until")
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise AuthError(400, "invalid_until", "`until` is an ISO 8601 time with a UTC offset.")
    return value


async def lock(request: web.Request) -> web.Response:
    body = await json_body(request)
    target, reason, until = _target(request), _reason(body), _until(body)
    duration = body.get("duration")
    if duration is not None and not isinstance(duration, str):
        raise AuthError(400, "invalid_field", "`duration` is 15m, 1h, 24h, 7d or indefinite.")
    locked_until = await _call(
        request, "select auth.lock_user(%s, %s, %s, %s)", [target, reason, duration, until]
    )
    return web.json_response({"locked_until": locked_until.isoformat()})


async def unlock(request: web.Request) -> web.Response:
    body = await json_body(request)
    was_locked = await _call(
        request, "select auth.unlock_user(%s, %s)", [_target(request), _reason(body)]
    )
    return web.json_response({"unlocked": True, "was_locked": bool(was_locked)})


async def revoke_sessions(request: web.Request) -> web.Response:
    body = await json_body(request)
    count = await _call(
        request, "select auth.admin_revoke_sessions(%s, %s)", [_target(request), _reason(body)]
    )
    return web.json_response({"revoked_count": count})


ADMIN_ROUTES = [
    ("POST", "/auth/users/{id}/reset-password", reset_password),
    ("POST", "/auth/users/{id}/lock", lock),
    ("POST", "/auth/users/{id}/unlock", unlock),
    ("POST", "/auth/users/{id}/revoke-sessions", revoke_sessions),
]
