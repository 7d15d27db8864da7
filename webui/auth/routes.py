"""The JSON auth endpoints: login, logout, me, sessions, password change."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from typing import Any

import psycopg
from aiohttp import web
from aiohttp.typedefs import Handler

from webui.auth import origin
from webui.auth.config import AUTH_CONFIG, COOKIE_NAME
from webui.auth.http import (
    AuthError,
    as_authenticator,
    as_user,
    client_ip,
    invalid_credentials,
    json_body,
    require_identity,
    string_field,
    too_many,
)
from webui.auth.identity import Identity
from webui.auth.passwords import Hasher, PasswordPolicyError, check_policy, normalize

HASHER = web.AppKey("auth_hasher", Hasher)
__all__ = ["AUTH_CONFIG", "HASHER", "ROUTES", "auth_errors"]

_ME_SQL = """
select json_build_object('id', u.id, 'email', u.email, 'display_name', u.display_name,
                         'role', u.role, 'must_change_password', u.must_change_password)
  from auth.users u where u.id = auth.uid()
"""
_SESSIONS_SQL = """
select coalesce(json_agg(json_build_object(
         'id', s.id, 'created_at', s.created_at, 'last_seen_at', s.last_seen_at,
         'idle_expires_at', s.idle_expires_at, 'absolute_expires_at', s.absolute_expires_at,
         'ip', host(s.ip), 'user_agent', s.user_agent, 'elevated', s.elevated,
         'current', s.current) order by s.created_at desc), '[]'::json)
  from auth.my_sessions s
"""
_SESSION_ID = re.compile(r"[0-9]{1,18}")
_FINISH_SQL = """
select outcome, session_id, idle_expires_at, absolute_expires_at
  from auth.login_finish(%s, %s, %s, %s, %s, %s, %s)
"""


async def _fetch_me(request: web.Request, identity: Identity) -> dict[str, Any]:
    async with as_user(request, identity) as conn:
        row = await (await conn.execute(_ME_SQL)).fetchone()
    if row is None:
        raise AuthError(401, "not_authenticated", "Sign in first.")
    return dict(row[0])


async def _verify_login(
    request: web.Request, email: str, password: str, token: str
) -> tuple[Any, ...]:
    """Both login steps; returns login_finish's row. Every path runs one Argon2 verification."""
    hasher = request.app[HASHER]
    async with as_authenticator(request) as conn:
        begin = await (
            await conn.execute(
                "select user_id, password_hash, retry_after from auth.login_begin(%s, %s)",
                [email, client_ip(request) or None],
            )
        ).fetchone()
    user_id, password_hash, retry_after = begin or (None, None, 0)
    if retry_after:
        raise too_many(int(retry_after))
    try:
        candidate = normalize(password)
    except ValueError:
        candidate, password_hash = "", None  # over the byte cap: a failure, same work
    verified = await hasher.verify(password_hash, candidate)
    new_hash = None
    if verified and hasher.needs_rehash(password_hash):
        new_hash = await hasher.hash(candidate)
    async with as_authenticator(request) as conn:
        row = await (
            await conn.execute(
                _FINISH_SQL,
                [
                    email,
                    user_id,
                    verified,
                    token,
                    client_ip(request) or None,
                    request.headers.get("User-Agent", "")[:512],
                    new_hash,
                ],
            )
        ).fetchone()
    return tuple(row) if row else ("failed", None, None, None)


def _set_cookie(
    request: web.Request, response: web.Response, token: str, expires: datetime
) -> None:
    config = request.app[AUTH_CONFIG]
    mode = config.cookie_secure
    secure = mode == "always" or (mode == "auto" and origin.is_https(request, config.origin))
    max_age = max(0, int((expires - datetime.now(UTC)).total_seconds()))
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=secure,
    )


async def login(request: web.Request) -> web.Response:
    body = await json_body(request)
    email = string_field(body, "email", 320)
    password = string_field(body, "password", 4096)
    token = secrets.token_urlsafe(32)
    outcome, session_id, _idle, absolute = await _verify_login(request, email, password, token)
    if outcome != "ok":
        raise invalid_credentials()
    async with as_authenticator(request) as conn:
        row = await (
            await conn.execute(
                "select auth.claims_of(user_id, tier, session_id)::text,"
                " user_id, tier, session_id, elevated, must_change_password"
                " from auth.resolve_session(%s)",
                [token],
            )
        ).fetchone()
    if row is None:
        raise invalid_credentials()
    identity = Identity.from_session(*row)
    payload: dict[str, Any] = {
        "user": await _fetch_me(request, identity),
        "session_id": session_id,
        "expires_at": absolute.isoformat(),
    }
    if body.get("cookie", True) is False:
        payload["token"] = token
        return web.json_response(payload)
    response = web.json_response(payload)
    _set_cookie(request, response, token, absolute)
    return response


async def logout(request: web.Request) -> web.Response:
    await json_body(request)
    identity = await require_identity(request, forced_change_ok=True, mfa_pending_ok=True)
    async with as_user(request, identity) as conn:
        await conn.execute("select auth.logout()")
    response = web.json_response({"logged_out": True})
    response.del_cookie(COOKIE_NAME, path="/", httponly=True, samesite="Strict")
    return response


async def me(request: web.Request) -> web.Response:
    identity = await require_identity(request)
    user = await _fetch_me(request, identity)
    session = {"id": identity.session_id, "elevated": identity.elevated}
    return web.json_response({"user": user, "session": session})


async def sessions(request: web.Request) -> web.Response:
    identity = await require_identity(request, forced_change_ok=True, mfa_pending_ok=True)
    async with as_user(request, identity) as conn:
        row = await (await conn.execute(_SESSIONS_SQL)).fetchone()
    return web.json_response({"sessions": row[0] if row else []})


async def revoke_session(request: web.Request) -> web.Response:
    await json_body(request)
    identity = await require_identity(request)
    raw_id = request.match_info["id"]
    if not _SESSION_ID.fullmatch(raw_id):
        raise AuthError(400, "invalid_session_id", "A session id is a positive integer.")
    try:
        async with as_user(request, identity) as conn:
            row = await (
                await conn.execute("select auth.revoke_my_session(%s)", [int(raw_id)])
            ).fetchone()
    except psycopg.errors.InvalidParameterValue:
        raise AuthError(
            409, "current_session", "This is the current session.", hint="POST /auth/logout ends it"
        ) from None
    if not row or not row[0]:
        raise AuthError(404, "session_not_found", "No such live session of yours.")
    return web.json_response({"revoked": [int(raw_id)]})


async def revoke_others(request: web.Request) -> web.Response:
    await json_body(request)
    identity = await require_identity(request)
    async with as_user(request, identity) as conn:
        row = await (await conn.execute("select auth.revoke_my_other_sessions()")).fetchone()
    return web.json_response({"revoked_count": row[0] if row else 0})


async def _check_ip_budget(request: web.Request) -> None:
    async with as_authenticator(request) as conn:
        row = await (
            await conn.execute("select auth.ip_throttle_hit(%s)", [client_ip(request) or None])
        ).fetchone()
    if row and row[0]:
        raise too_many(int(row[0]))


async def _verify_current(request: web.Request, identity: Identity, password: str) -> bool:
    try:
        candidate = normalize(password)
    except ValueError:
        candidate = ""
    async with as_authenticator(request) as conn:
        row = await (
            await conn.execute("select auth.password_hash_of(%s)", [identity.user_id])
        ).fetchone()
    return await request.app[HASHER].verify(row[0] if row else None, candidate)


async def _elevate(request: web.Request, identity: Identity) -> None:
    async with as_authenticator(request) as conn:
        row = await (
            await conn.execute("select auth.elevate_session(%s)", [identity.session_id])
        ).fetchone()
    if not row or row[0] is None:
        raise AuthError(401, "not_authenticated", "Sign in first.")


async def change_password(request: web.Request) -> web.Response:
    """Proof first (checked again in SQL by auth.change_password): the current password, which
    elevates this session, or a session that is already elevated (re-auth wall)."""
    body = await json_body(request)
    identity = await require_identity(request, forced_change_ok=True)
    current = body.get("current_password")
    if not identity.elevated or current is not None:
        current = string_field(body, "current_password", 4096)
    new = string_field(body, "new_password", 4096)
    await change_own_password(request, identity, current, new)
    return web.json_response({"password_changed": True, "other_sessions_revoked": True})


async def change_own_password(
    request: web.Request, identity: Identity, current: str | None, new: str
) -> None:
    """The policy, then the proof (the current password, which elevates this session, or an
    already elevated session when `current` is None), then `auth.change_password` (which
    revokes the other sessions). Raises AuthError (429, 400 password_policy, 403 wrong
    password). Shared by POST /auth/password and the admin's password page."""
    await _check_ip_budget(request)
    try:
        new = check_policy(new, request.app[AUTH_CONFIG])
    except PasswordPolicyError as exc:
        raise AuthError(400, "password_policy", str(exc)) from None
    if current is not None:
        if not await _verify_current(request, identity, current):
            raise AuthError(403, "wrong_current_password", "The current password is wrong.")
        await _elevate(request, identity)
    new_hash = await request.app[HASHER].hash(new)
    async with as_user(request, identity) as conn:
        await conn.execute("select auth.change_password(%s)", [new_hash])


async def reauth_password_ok(request: web.Request, identity: Identity, password: str) -> bool:
    """The re-auth wall's first step (POST /auth/reauth, /admin/reauth): the password, within the
    IP budget (AuthError 429). The second factor and the elevation are
    `webui.auth.mfa_routes.reauthenticate`'s."""
    await _check_ip_budget(request)
    return await _verify_current(request, identity, password)


async def elevate_for_reauth(request: web.Request, identity: Identity) -> datetime:
    """Elevate this session for reauth_window (`auth.elevate_session()`); its new elevated_until."""
    async with as_authenticator(request) as conn:
        row = await (
            await conn.execute("select auth.elevate_session(%s)", [identity.session_id])
        ).fetchone()
    if not row or row[0] is None:
        raise AuthError(401, "not_authenticated", "Sign in first.")
    return row[0]  # type: ignore[no-any-return]


# --- for the HTML admin: the same login path, sessions and cookie as the JSON endpoints ---------


async def sign_in(request: web.Request, email: str, password: str) -> tuple[str, datetime] | None:
    """The login path of POST /auth/login for an HTML form: (token, absolute expiry), or None
    for every failure alike; raises AuthError 429 when throttled."""
    token = secrets.token_urlsafe(32)
    outcome, _session_id, _idle, absolute = await _verify_login(request, email, password, token)
    return (token, absolute) if outcome == "ok" else None


def set_session_cookie(
    request: web.Request, response: web.StreamResponse, token: str, expires: datetime
) -> None:
    _set_cookie(request, response, token, expires)  # type: ignore[arg-type]


def clear_session_cookie(response: web.StreamResponse) -> None:
    response.del_cookie(COOKIE_NAME, path="/", httponly=True, samesite="Strict")


async def sign_out(request: web.Request, identity: Identity) -> None:
    async with as_user(request, identity) as conn:
        await conn.execute("select auth.logout()")


async def my_sessions(request: web.Request, identity: Identity) -> list[dict[str, Any]]:
    async with as_user(request, identity) as conn:
        row = await (await conn.execute(_SESSIONS_SQL)).fetchone()
    return list(row[0]) if row else []


async def revoke_my_session(request: web.Request, identity: Identity, session_id: int) -> bool:
    """Through the single writer; False when no such live session (or it is the current one)."""
    try:
        async with as_user(request, identity) as conn:
            row = await (
                await conn.execute("select auth.revoke_my_session(%s)", [session_id])
            ).fetchone()
    except psycopg.errors.InvalidParameterValue:
        return False
    return bool(row and row[0])


async def revoke_my_other_sessions(request: web.Request, identity: Identity) -> int:
    async with as_user(request, identity) as conn:
        row = await (await conn.execute("select auth.revoke_my_other_sessions()")).fetchone()
    return int(row[0]) if row else 0


async def confirm_password(request: web.Request, identity: Identity, password: str) -> bool:
    """The re-auth wall for an HTML form: the password (under the per-IP budget; raises
    AuthError 429) elevates this session for reauth_window. False when it is wrong."""
    await _check_ip_budget(request)
    if not await _verify_current(request, identity, password[:4096]):
        return False
    await _elevate(request, identity)
    return True


@web.middleware
async def auth_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Renders AuthError as the typed error shape."""
    try:
        return await handler(request)
    except AuthError as exc:
        return exc.response()


ROUTES = [
    ("POST", "/auth/login", login),
    ("POST", "/auth/logout", logout),
    ("GET", "/auth/me", me),
    ("GET", "/auth/sessions", sessions),
    ("POST", "/auth/sessions/revoke-others", revoke_others),
    ("POST", "/auth/sessions/{id}/revoke", revoke_session),
    ("POST", "/auth/password", change_password),
]
