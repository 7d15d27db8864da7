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
from webui.auth.identity import Identity
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
    return await _call_as(request, identity, statement, params)


async def _call_as(
    request: web.Request, identity: Identity, statement: str, params: list[Any]
) -> Any:
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
    identity = await require_identity(request)
    result = await admin_reset(request, identity, target, reason, mode)
    return web.json_response(result, headers=_NO_STORE if mode == "temp_pw" else None)


def _until(body: dict[str, Any]) -> datetime | None:
    raw = body.get("until")
    if raw is None:
        return None
    value = parse_until(raw) if isinstance(raw, str) else None
    if value is None:
        raise AuthError(400, "invalid_until", "`until` is an ISO 8601 time with a UTC offset.")
    return value


def parse_until(raw: str) -> datetime | None:
    """An ISO 8601 time with a UTC offset, else None."""
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


async def lock(request: web.Request) -> web.Response:
    body = await json_body(request)
    target, reason, until = _target(request), _reason(body), _until(body)
    duration = body.get("duration")
    if duration is not None and not isinstance(duration, str):
        raise AuthError(400, "invalid_field", "`duration` is 15m, 1h, 24h, 7d or indefinite.")
    identity = await require_identity(request)
    locked_until = await admin_lock(request, identity, target, reason, duration, until)
    return web.json_response({"locked_until": locked_until.isoformat()})


async def unlock(request: web.Request) -> web.Response:
    body = await json_body(request)
    identity = await require_identity(request)
    was_locked = await admin_unlock(request, identity, _target(request), _reason(body))
    return web.json_response({"unlocked": True, "was_locked": was_locked})


async def revoke_sessions(request: web.Request) -> web.Response:
    body = await json_body(request)
    identity = await require_identity(request)
    count = await admin_revoke(request, identity, _target(request), _reason(body))
    return web.json_response({"revoked_count": count})


# --- the R2 actions for the JSON endpoints and the admin's pages (one SQL call each; the
# --- function checks tier, re-auth wall, reason and rank; refusals are AuthError) ------------


async def admin_reset(
    request: web.Request, identity: Identity, target: int, reason: str | None, mode: str
) -> dict[str, Any]:
    """mode email: a link mailed through the outbox; temp_pw: the answer carries the 16-character
    `temporary_password` (show it once; never log it)."""
    if mode == "email":
        base = origin.public_base(request, request.app[AUTH_CONFIG].origin)
        return dict(
            await _call_as(
                request,
                identity,
                "select auth.admin_reset_password(%s, %s, 'email', null, %s, %s)",
                [target, reason, secrets.token_urlsafe(32), base],
            )
        )
    password = temporary_password()
    password_hash = await request.app[HASHER].hash(password)
    result = await _call_as(
        request,
        identity,
        "select auth.admin_reset_password(%s, %s, 'temp_pw', %s)",
        [target, reason, password_hash],
    )
    return {**result, "temporary_password": password}


async def admin_lock(
    request: web.Request,
    identity: Identity,
    target: int,
    reason: str | None,
    duration: str | None,
    until: datetime | None,
) -> datetime:
    statement = "select auth.lock_user(%s, %s, %s, %s)"
    return await _call_as(request, identity, statement, [target, reason, duration, until])  # type: ignore[no-any-return]


async def admin_unlock(
    request: web.Request, identity: Identity, target: int, reason: str | None
) -> bool:
    statement = "select auth.unlock_user(%s, %s)"
    return bool(await _call_as(request, identity, statement, [target, reason]))


async def admin_revoke(
    request: web.Request, identity: Identity, target: int, reason: str | None
) -> int:
    statement = "select auth.admin_revoke_sessions(%s, %s)"
    return int(await _call_as(request, identity, statement, [target, reason]) or 0)


ADMIN_ROUTES = [
    ("POST", "/auth/users/{id}/reset-password", reset_password),
    ("POST", "/auth/users/{id}/lock", lock),
    ("POST", "/auth/users/{id}/unlock", unlock),
    ("POST", "/auth/users/{id}/revoke-sessions", revoke_sessions),
]


async def admin_revoke_one(request: web.Request, identity: Identity, session_id: int) -> bool:
    """End one session of another, lower-ranked user (no re-auth, no reason: RustIO's revoke one
    from the user's sessions tab); auth.admin_revoke_session holds the guards."""
    statement = "select auth.admin_revoke_session(%s)"
    return bool(await _call_as(request, identity, statement, [session_id]))
