"""The second factor's JSON endpoints, so an API client can complete every MFA step:

    GET  /auth/mfa                 state: enabled, pending for this session, backup codes left
    POST /auth/mfa/enrol           (elevated) a new secret: base32 text, otpauth URI, inline SVG QR
    POST /auth/mfa/confirm         (elevated) {code}: enrolment done; 8 backup codes, shown once
    POST /auth/mfa/verify          {code}: a TOTP or backup code rotates a pending session
    POST /auth/mfa/backup-codes    (elevated) 8 new codes; every old one stops working
    POST /auth/mfa/disable         (elevated) MFA off; the user's other sessions end
    POST /auth/mfa/reset           (administrator, elevated) {user_id, reason}

Every wrong, replayed or used code, and every malformed one, gets the same 401 `invalid_code`
and counts towards the verify throttle. The rules are SQL's (sql/auth/61_mfa.sql); this module
decrypts, matches and hashes. The same steps are functions for the admin's pages
(webui/admin/mfa_pages.py): status, start_enrolment, confirm_enrolment, verify_code,
regenerate_codes, prove_code, disable_mfa. Doctrine: docs/recovery.md (R3).
"""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from aiohttp import web

from webui.auth import mfa
from webui.auth.config import COOKIE_NAME
from webui.auth.http import (
    AuthError,
    as_authenticator,
    as_user,
    json_body,
    require_identity,
    string_field,
)
from webui.auth.identity import Identity, session_token
from webui.auth.routes import AUTH_CONFIG, HASHER, elevate_for_reauth, reauth_password_ok
from webui.core.db import SETTINGS

_STATE_SQL = (
    "select user_id, enabled, pending, ciphertext, key_id, backup_codes_left, elevated"
    " from auth.mfa_state(%s)"
)
# the SQL functions' stable codes (DETAIL) → the HTTP answer
_REFUSALS = {
    "reauth_required": (403, "Re-enter your password first (POST /auth/reauth)."),
    "mfa_already_enabled": (409, "Multi-factor authentication is already on."),
    "mfa_not_enrolling": (409, "Start the enrolment first (POST /auth/mfa/enrol)."),
    "mfa_not_enabled": (409, "Multi-factor authentication is off."),
    "mfa_not_pending": (409, "This session owes no second factor."),
    "mfa_no_session": (401, "Sign in first."),
    "reason_too_short": (400, "Give a reason of at least 8 characters."),
    "unknown_user": (404, "No such user."),
}


def invalid_code() -> AuthError:
    return AuthError(401, "invalid_code", "Invalid or expired code.")


def _refusal(exc: psycopg.Error) -> AuthError:
    code = exc.diag.message_detail or ""
    if code in _REFUSALS:
        status, message = _REFUSALS[code]
        return AuthError(status, code, message)
    if exc.sqlstate == "42501":
        return AuthError(403, code or "forbidden", exc.diag.message_primary or "Forbidden.")
    raise exc


def _token(request: web.Request) -> str:
    token = session_token(request)
    if not token or len(token) > 128:
        raise AuthError(401, "not_authenticated", "Sign in first.")
    return token


async def _call(request: web.Request, query: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """One transaction as authenticator; a refusal of the SQL rules becomes a typed 4xx."""
    try:
        async with as_authenticator(request) as conn:
            return await (await conn.execute(query, params)).fetchall()
    except psycopg.errors.InvalidAuthorizationSpecification as exc:
        if exc.diag.message_detail == "mfa_no_session":
            raise _refusal(exc) from None
        raise invalid_code() from None
    except psycopg.Error as exc:
        raise _refusal(exc) from None


async def _state(request: web.Request, token: str) -> tuple[Any, ...]:
    rows = await _call(request, _STATE_SQL, [token])
    return rows[0]


def _keys(request: web.Request) -> list[mfa.Key]:
    return mfa.parse_keys(request.app[SETTINGS].secret_key)


def _set_session(
    request: web.Request, response: web.Response, token: str, expires: datetime
) -> None:
    """The rotated session goes back as the caller sent the old one: a cookie or a bearer token."""
    if request.cookies.get(COOKIE_NAME) != session_token(request):
        return
    mode = request.app[AUTH_CONFIG].cookie_secure
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=max(0, int((expires - datetime.now(UTC)).total_seconds())),
        path="/",
        httponly=True,
        samesite="Strict",
        secure=mode == "always" or (mode == "auto" and request.secure),
    )


def _rotated(
    request: web.Request, row: tuple[Any, ...], token: str, extra: dict[str, Any]
) -> web.Response:
    session_id, _idle, absolute = row
    payload = {"session_id": session_id, "expires_at": absolute.isoformat(), **extra}
    if request.cookies.get(COOKIE_NAME) != session_token(request):
        payload["token"] = token
    response = web.json_response(payload)
    _set_session(request, response, token, absolute)
    return response


async def state(request: web.Request) -> web.Response:
    token = _token(request)
    _uid, enabled, pending, _ct, _kid, left, _elevated = await _state(request, token)
    return web.json_response({"enabled": enabled, "pending": pending, "backup_codes_left": left})


@dataclass(frozen=True)
class Status:
    enabled: bool
    enrolling: bool  # a secret is stored but not confirmed yet
    pending: bool
    backup_codes_left: int
    elevated: bool


@dataclass(frozen=True)
class Rotated:
    """The session a code rotated to: its token (for the cookie), id and absolute expiry."""

    token: str
    session_id: int
    expires: datetime


@dataclass(frozen=True)
class Enrolment:
    secret: str  # base32, for typing by hand
    otpauth_uri: str
    qr_svg: str


def _policy_allows(request: web.Request) -> None:
    if not request.app[AUTH_CONFIG].mfa.enrolment_allowed:
        raise AuthError(
            403, "mfa_disabled_by_policy", "Multi-factor enrolment is turned off (PGWARDEN_MFA)."
        )


async def status(request: web.Request, token: str) -> Status:
    """The MFA state of a session's user, for the account page."""
    _uid, enabled, pending, blob, _kid, left, elevated = await _state(request, token)
    return Status(bool(enabled), not enabled and blob is not None, bool(pending), left, elevated)


async def _enrolment_of(request: web.Request, identity: Identity, secret: bytes) -> Enrolment:
    async with as_user(request, identity) as conn:
        row = await (
            await conn.execute("select email from auth.users where id = auth.uid()")
        ).fetchone()
    uri = mfa.provisioning_uri(secret, row[0] if row else str(identity.user_id))
    return Enrolment(mfa.base32(secret), uri, mfa.qr_svg(uri))


async def start_enrolment(request: web.Request, identity: Identity, token: str) -> Enrolment:
    """Enrolment step 1 (elevated session): a new secret, stored encrypted, not yet confirmed."""
    _policy_allows(request)
    user_id = (await _state(request, token))[0]
    secret = mfa.new_secret()
    blob, key_id = mfa.encrypt(_keys(request), user_id, secret)
    await _call(request, "select auth.mfa_enrol(%s, %s, %s)", [token, blob, key_id])
    return await _enrolment_of(request, identity, secret)


async def enrolment_in_progress(
    request: web.Request, identity: Identity, token: str
) -> Enrolment | None:
    """The unconfirmed secret again (elevated session only), so a reloaded page still shows it."""
    user_id, enabled, _p, blob, key_id, _left, elevated = await _state(request, token)
    if enabled or blob is None or not elevated:
        return None
    secret = mfa.decrypt(_keys(request), user_id, bytes(blob), key_id)
    return await _enrolment_of(request, identity, secret)


async def enrol(request: web.Request) -> web.Response:
    await json_body(request)
    token = _token(request)
    identity = await require_identity(request, enrolment_ok=True)
    found = await start_enrolment(request, identity, token)
    return web.json_response(
        {"secret": found.secret, "otpauth_uri": found.otpauth_uri, "qr_svg": found.qr_svg}
    )


def _code(body: dict[str, Any]) -> str:
    value = body.get("code")
    if not isinstance(value, str) or len(value) > 32:
        raise invalid_code()
    return value.strip()


async def _step(request: web.Request, token: str, code: str) -> int | None:
    user_id, _enabled, _pending, blob, key_id, _left, _elevated = await _state(request, token)
    if blob is None:
        return None
    secret = mfa.decrypt(_keys(request), user_id, bytes(blob), key_id)
    return mfa.matching_step(secret, code)


async def _hashes(request: web.Request, codes: list[str]) -> list[str]:
    hasher = request.app[HASHER]
    return [await hasher.hash(code) for code in codes]


async def confirm_enrolment(
    request: web.Request, token: str, code: str
) -> tuple[Rotated, list[str]]:
    """Enrolment step 2: a valid code confirms it. (the rotated session, the 8 backup codes to
    show once). The session rotates to mfa_verified; the other sessions end."""
    step = await _step(request, token, code.strip()[:32])
    if step is None:
        raise invalid_code()
    codes = mfa.new_backup_codes()
    new_token = secrets.token_urlsafe(32)
    query = "select * from auth.mfa_confirm(%s, %s, %s, %s)"
    rows = await _call(request, query, [token, step, await _hashes(request, codes), new_token])
    return Rotated(new_token, rows[0][0], rows[0][2]), codes


async def confirm(request: web.Request) -> web.Response:
    body = await json_body(request)
    token = _token(request)
    step = await _step(request, token, _code(body))
    if step is None:
        raise invalid_code()
    codes = mfa.new_backup_codes()
    new_token = secrets.token_urlsafe(32)
    query = "select * from auth.mfa_confirm(%s, %s, %s, %s)"
    rows = await _call(request, query, [token, step, await _hashes(request, codes), new_token])
    return _rotated(request, rows[0], new_token, {"backup_codes": codes})


async def verify_code(request: web.Request, token: str, code: str) -> Rotated:
    """The sign-in step for an HTML form: a TOTP or backup code rotates the pending session; a
    wrong code counts towards the throttle and raises invalid_code."""
    new_token = secrets.token_urlsafe(32)
    try:
        if len(code) > 32:
            raise invalid_code()
        rows = await _verify_code(request, token, code.strip(), new_token)
    except AuthError as exc:
        if exc.code == "invalid_code":
            await _fail(request)
        raise
    return Rotated(new_token, rows[0][0], rows[0][2])


async def verify(request: web.Request) -> web.Response:
    try:
        body = await json_body(request)
        code = _code(body)
    except AuthError:
        await _fail(request)
        raise invalid_code() from None
    token = _token(request)
    new_token = secrets.token_urlsafe(32)
    try:
        rows = await _verify_code(request, token, code, new_token)
    except AuthError as exc:
        if exc.code != "invalid_code":
            raise
        await _fail(request)
        raise
    return _rotated(request, rows[0], new_token, {"verified": True})


async def _verify_code(
    request: web.Request, token: str, code: str, new_token: str
) -> list[tuple[Any, ...]]:
    if code.isdigit():
        step = await _step(request, token, code)
        if step is None:
            raise invalid_code()
        return await _call(
            request, "select * from auth.mfa_verify(%s, %s, %s)", [token, step, new_token]
        )
    normalized = mfa.normalize_backup_code(code)
    if normalized is None:
        raise invalid_code()
    hasher = request.app[HASHER]
    for code_id, code_hash in await _call(
        request, "select * from auth.mfa_backup_hashes(%s)", [token]
    ):
        if await hasher.verify(code_hash, normalized):
            query = "select * from auth.mfa_use_backup_code(%s, %s, %s)"
            return await _call(request, query, [token, code_id, new_token])
    raise invalid_code()


async def _fail(request: web.Request) -> None:
    """Counts a wrong code (committed on its own: the failed request rolls back nothing of it)."""
    token = session_token(request)
    if token and len(token) <= 128:
        with contextlib.suppress(AuthError):
            await _call(request, "select auth.mfa_fail(%s)", [token])


async def regenerate_codes(request: web.Request, token: str) -> list[str]:
    """8 new backup codes (elevated session); every old one stops working in the same step."""
    codes = mfa.new_backup_codes()
    query = "select auth.mfa_regenerate_backup_codes(%s, %s)"
    await _call(request, query, [token, await _hashes(request, codes)])
    return codes


async def regenerate(request: web.Request) -> web.Response:
    await json_body(request)
    return web.json_response({"backup_codes": await regenerate_codes(request, _token(request))})


async def prove_code(request: web.Request, token: str, code: str) -> str:
    """The second factor again, to change it: a TOTP code (replay-guarded) or a backup code (used
    once). Returns its kind; a wrong one counts towards the throttle and raises invalid_code."""
    try:
        return await _prove(request, token, code.strip()[:32])
    except AuthError as exc:
        if exc.code == "invalid_code":
            await _fail(request)
        raise


async def _prove(request: web.Request, token: str, code: str) -> str:
    query = "select auth.mfa_prove(%s, %s, %s)"
    if code.isdigit():
        step = await _step(request, token, code)
        if step is None:
            raise invalid_code()
        return str((await _call(request, query, [token, step, None]))[0][0])
    normalized = mfa.normalize_backup_code(code)
    if normalized is None:
        raise invalid_code()
    hasher = request.app[HASHER]
    for code_id, code_hash in await _call(
        request, "select * from auth.mfa_backup_hashes(%s)", [token]
    ):
        if await hasher.verify(code_hash, normalized):
            return str((await _call(request, query, [token, None, code_id]))[0][0])
    raise invalid_code()


async def reauthenticate(
    request: web.Request, identity: Identity, password: str, code: str = ""
) -> datetime | None:
    """The re-auth wall (RustIO R2, with R3): the password and, when the user has a second
    factor, a code from it (TOTP, replay-guarded, or a backup code, used once). Returns the new
    elevated_until, None when the password is wrong; a missing or wrong code raises AuthError."""
    if not await reauth_password_ok(request, identity, password):
        return None
    token = session_token(request) or ""
    if (await status(request, token)).enabled:
        if not code.strip():
            raise AuthError(
                401,
                "mfa_code_required",
                "Enter a code from your authenticator app, or a backup code, as well.",
                hint="POST /auth/reauth with the password and a code",
            )
        await prove_code(request, token, code)
    return await elevate_for_reauth(request, identity)


async def reauth(request: web.Request) -> web.Response:
    """POST /auth/reauth: re-enter the password (and a code when MFA is on) to elevate this
    session for reauth_window."""
    body = await json_body(request)
    identity = await require_identity(request, enrolment_ok=True)
    code = body.get("code")
    until = await reauthenticate(
        request,
        identity,
        string_field(body, "password", 4096),
        code[:32] if isinstance(code, str) else "",
    )
    if until is None:
        raise AuthError(403, "wrong_password", "The password is wrong.")
    return web.json_response({"elevated_until": until.isoformat()})


async def disable_mfa(request: web.Request, token: str) -> None:
    """MFA off (elevated session): secret and codes removed, the other sessions end."""
    await _call(request, "select auth.mfa_disable(%s)", [token])


async def disable(request: web.Request) -> web.Response:
    await json_body(request)
    await disable_mfa(request, _token(request))
    return web.json_response({"enabled": False, "other_sessions_revoked": True})


async def reset(request: web.Request) -> web.Response:
    body = await json_body(request)
    identity = await require_identity(request)
    user_id, reason = body.get("user_id"), body.get("reason")
    if not isinstance(user_id, int) or not isinstance(reason, str) or len(reason) > 1000:
        raise AuthError(400, "invalid_field", "Send user_id (an integer) and reason (text).")
    try:
        async with as_user(request, identity) as conn:
            await conn.execute("select auth.mfa_reset_by_other(%s, %s)", [user_id, reason])
    except psycopg.Error as exc:
        raise _refusal(exc) from None
    return web.json_response({"reset": True})


ROUTES = [
    ("POST", "/auth/reauth", reauth),
    ("GET", "/auth/mfa", state),
    ("POST", "/auth/mfa/enrol", enrol),
    ("POST", "/auth/mfa/confirm", confirm),
    ("POST", "/auth/mfa/verify", verify),
    ("POST", "/auth/mfa/backup-codes", regenerate),
    ("POST", "/auth/mfa/disable", disable),
    ("POST", "/auth/mfa/reset", reset),
]
