"""Who is asking: a `pgw_session` cookie or a session bearer token (a bearer token without the
two dots of a JWT), resolved by `auth.resolve_session()` in the database."""

from __future__ import annotations

from aiohttp import web

from webui.auth.config import AUTH_CONFIG, COOKIE_NAME
from webui.core.db import POOL
from webui.core.identity import Identity, is_session_token

_IDENTITY = "pgw_identity"
_RESOLVE_SQL = (
    "select auth.claims_of(r.user_id, r.tier, r.session_id)::text,"
    " r.user_id, r.tier, r.session_id, r.elevated, r.must_change_password,"
    " auth.mfa_pending_of(r.session_id), auth.mfa_enrolment_due(r.session_id, %s)"
    " from auth.resolve_session(%s) r"
)


def session_token(request: web.Request) -> str | None:
    """The session token of the request: a non-JWT bearer token, else the cookie."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        token = value.strip()
        return token if is_session_token(token) else None
    return request.cookies.get(COOKIE_NAME) or None


async def identify(request: web.Request) -> Identity | None:
    """The request's identity (resolved once per request), or None."""
    if _IDENTITY in request:
        return request[_IDENTITY]  # type: ignore[no-any-return]
    token = session_token(request)
    identity = None
    if token and len(token) <= 128:
        config = request.app.get(AUTH_CONFIG)
        tiers = list(config.mfa.required_tiers) if config else []
        async with request.app[POOL].connection() as conn:
            row = await (await conn.execute(_RESOLVE_SQL, [tiers, token])).fetchone()
        identity = Identity.from_session(*row) if row else None
    request[_IDENTITY] = identity
    return identity
