"""Request and response helpers of the auth endpoints: JSON-only bodies, the typed errors, the
client address, and the transactions the handlers run in."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from aiohttp import web
from psycopg import AsyncConnection

from webui.auth import origin
from webui.auth.config import AUTH_CONFIG
from webui.auth.identity import Identity, identify
from webui.core.db import POOL, request_transaction
from webui.web.correlation import correlation_id
from webui.web.errors import HttpError

MAX_JSON_BYTES = 16 * 1024


# The auth endpoints' errors are the app's one HTTP error type, under the name auth uses.
AuthError = HttpError


def invalid_credentials() -> AuthError:
    """The one answer to every failed login (unknown email, wrong password, inactive, locked)."""
    return AuthError(401, "invalid_credentials", "Invalid email or password.")


def too_many(retry_after: int) -> AuthError:
    error = AuthError(
        429,
        "too_many_requests",
        "Too many requests from this address.",
        hint=f"retry after {retry_after} seconds",
    )
    error.headers["Retry-After"] = str(retry_after)
    return error


def client_ip(request: web.Request) -> str:
    """The client's address: the peer, or what a trusted proxy forwarded (webui.auth.origin)."""
    return origin.client_ip(request, request.app[AUTH_CONFIG].origin)


async def json_body(request: web.Request) -> dict[str, Any]:
    """The JSON object body. Only `application/json` is accepted (with SameSite=Strict cookies
    this is the CSRF defence: a cross-site form cannot send it); an empty body is `{}`."""
    if request.content_type != "application/json":
        raise AuthError(415, "unsupported_media_type", "Send the body as application/json.")
    raw = await request.content.read(MAX_JSON_BYTES + 1)
    if len(raw) > MAX_JSON_BYTES:
        raise AuthError(413, "body_too_large", f"The body is limited to {MAX_JSON_BYTES} bytes.")
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise AuthError(400, "invalid_json", "The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise AuthError(400, "invalid_json", "The body must be a JSON object.")
    return body


def string_field(body: dict[str, Any], name: str, max_length: int = 1024) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value or len(value) > max_length or "\x00" in value:
        raise AuthError(
            400,
            "invalid_field",
            f"`{name}` must be a non-empty string.",
            hint=f"at most {max_length} characters",
        )
    return value


async def require_identity(
    request: web.Request,
    forced_change_ok: bool = False,
    mfa_pending_ok: bool = False,
    enrolment_ok: bool = False,
) -> Identity:
    """The signed-in identity, else 401. A session that must change its password reaches only
    the endpoints that pass `forced_change_ok` (change password, sign out, its sessions); one
    that owes its second factor only those that pass `mfa_pending_ok` (sign out, its sessions;
    /auth/mfa/verify reads the token itself); one that PGWARDEN_MFA requires to enrol only those
    and the ones that pass `enrolment_ok` (re-auth, the enrolment steps)."""
    identity = await identify(request)
    if identity is None:
        raise AuthError(
            401,
            "not_authenticated",
            "Sign in first.",
            hint="send the pgw_session cookie or a session bearer token",
        )
    if identity.mfa_pending and not mfa_pending_ok:
        raise AuthError(
            403,
            "mfa_required",
            "Complete the second factor first.",
            hint="POST /auth/mfa/verify with a code from your authenticator app or a backup code",
        )
    # the forced password change comes first, then the enrolment (RustIO's order)
    due = identity.mfa_enrolment_due and not identity.must_change_password
    if due and not (mfa_pending_ok or enrolment_ok):
        raise AuthError(
            403,
            "mfa_enrolment_required",
            "Set up multi-factor authentication first: your account's tier requires it.",
            hint="POST /auth/reauth, then POST /auth/mfa/enrol and /auth/mfa/confirm",
        )
    if identity.must_change_password and not forced_change_ok:
        raise AuthError(
            403,
            "password_change_required",
            "Change your password first.",
            hint="POST /auth/password with current_password and new_password",
        )
    return identity


@asynccontextmanager
async def as_user(request: web.Request, identity: Identity) -> AsyncIterator[AsyncConnection]:
    """One transaction as the user's tier, with their claims, correlation id and address."""
    async with request_transaction(
        request.app[POOL],
        role=identity.db_role,
        claims=identity.claims,
        correlation_id=correlation_id(request),
        client_ip=client_ip(request),
    ) as conn:
        yield conn


@asynccontextmanager
async def as_authenticator(request: web.Request) -> AsyncIterator[AsyncConnection]:
    """One transaction as authenticator itself (login steps), with the request context set."""
    async with request_transaction(
        request.app[POOL],
        role="authenticator",
        correlation_id=correlation_id(request),
        client_ip=client_ip(request),
    ) as conn:
        yield conn


_SQL_ERRORS: dict[type[Exception], tuple[int, str]] = {
    psycopg.errors.InsufficientPrivilege: (403, "forbidden"),
    psycopg.errors.InvalidParameterValue: (400, "invalid_request"),
    psycopg.errors.NoDataFound: (404, "not_found"),
}


@asynccontextmanager
async def sql_refusals() -> AsyncIterator[None]:
    """A refusal raised by a SQL function (its DETAIL is the stable code, e.g. reauth_required
    or cross_rank) becomes the typed 4xx with the database's own message."""
    try:
        yield
    except tuple(_SQL_ERRORS) as exc:
        status, default = next(v for k, v in _SQL_ERRORS.items() if isinstance(exc, k))
        diag = exc.diag  # type: ignore[attr-defined]
        code = diag.message_detail or default
        message = diag.message_primary or "Refused."
        if "permission denied" in message:
            code, message = "forbidden", "Your tier may not do this."
        raise AuthError(status, code, message, hint=diag.message_hint) from None
