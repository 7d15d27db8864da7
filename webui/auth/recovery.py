"""R1, self-service reset, as JSON (contract: docs/recovery.md). The rules are in SQL
(auth.request_password_reset, auth.consume_password_reset); these handlers pass them on.

- `POST /auth/password/forgot {"email"}` answers the same bytes whatever happened: a known or
  unknown or inactive account, an IP over its budget, a host that is not safe to put in a link,
  a mail that will fail. Every path draws a token and makes the same one database call.
- `POST /auth/password/reset {"token", "password"}` sets the password from a link, revokes every
  session and does not sign in. An invalid, expired or used link (or a garbage token, or an IP
  over its budget) gets "This link is no longer valid"."""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

from aiohttp import web

from webui.auth import origin
from webui.auth.config import AUTH_CONFIG
from webui.auth.http import AuthError, as_authenticator, client_ip, json_body, string_field
from webui.auth.passwords import PasswordPolicyError, check_policy
from webui.auth.routes import HASHER

FORGOT_REPLY = json.dumps(
    {
        "message": "If that email address has an account, we just sent a sign-in link to it.",
        "details": "The link expires in 1 hour and can only be used once.",
        "hint": "If your email account may be compromised, contact your administrator instead.",
    }
).encode()
RESET_REPLY = {
    "password_reset": True,
    "message": "Your password has been updated. Sign in with your new password.",
}
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
_REQUEST_SQL = "select auth.request_password_reset(%s, %s, %s, %s, %s)"
_CONSUME_SQL = "select auth.consume_password_reset(%s, %s, %s, %s)"


def link_invalid() -> AuthError:
    return AuthError(
        400,
        "link_invalid",
        "This link is no longer valid",
        hint="ask for a new one: POST /auth/password/forgot",
    )


def _user_agent(request: web.Request) -> str:
    return request.headers.get("User-Agent", "")[:512]


def _email(body: dict[str, Any]) -> str:
    value = body.get("email")
    if not isinstance(value, str) or len(value) > 320 or "\x00" in value:
        raise AuthError(
            400, "invalid_field", "`email` must be a string.", hint="at most 320 characters"
        )
    return value


async def forgot(request: web.Request) -> web.Response:
    await request_reset(request, _email(await json_body(request)))
    return web.Response(body=FORGOT_REPLY, content_type="application/json")


async def reset(request: web.Request) -> web.Response:
    body = await json_body(request)
    try:
        count = await consume_reset(
            request, body.get("token"), string_field(body, "password", 4096)
        )
    except PasswordPolicyError as exc:
        raise AuthError(400, "password_policy", str(exc)) from None
    if count is None:
        raise link_invalid()
    reply = {**RESET_REPLY, "invalidated_session_count": count}
    return web.json_response(reply, headers={"Cache-Control": "no-store"})


# --- shared by the JSON endpoints and the admin's pages (/admin/forgot-password, …) -----------


async def request_reset(request: web.Request, email: str) -> None:
    """Forgot: the same work and one database call whatever the account; answers nothing."""
    token = secrets.token_urlsafe(32)
    base = origin.public_base(request, request.app[AUTH_CONFIG].origin)
    params = [email[:320], token, base, client_ip(request) or None, _user_agent(request)]
    async with as_authenticator(request) as conn:
        await conn.execute(_REQUEST_SQL, params)


async def consume_reset(request: web.Request, token: object, password: str) -> int | None:
    """Reset from a link: the policy (PasswordPolicyError), then the atomic consume, which sets
    the password and revokes every session. The number of sessions revoked, or None when the
    link is not valid (invalid, expired, used, garbage, or the IP over its budget)."""
    password = check_policy(password, request.app[AUTH_CONFIG])
    well_formed = isinstance(token, str) and _TOKEN.fullmatch(token) is not None
    # not a token: no hashing, but the SQL still counts the attempt against the budget
    new_hash = await request.app[HASHER].hash(password) if well_formed else None
    params = [token if well_formed else None, new_hash, client_ip(request) or None]
    async with as_authenticator(request) as conn:
        row = await (await conn.execute(_CONSUME_SQL, [*params, _user_agent(request)])).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def well_formed_token(token: str) -> bool:
    return _TOKEN.fullmatch(token) is not None


RECOVERY_ROUTES = [
    ("POST", "/auth/password/forgot", forgot),
    ("POST", "/auth/password/reset", reset),
]
