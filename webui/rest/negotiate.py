"""Request headers that shape the exchange: identity, profile (schema), Accept."""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from aiohttp import web

from webui.core.identity import is_session_token
from webui.rest.auth import bearer_token
from webui.rest.errors import ApiError
from webui.rest.runner import Context
from webui.rest.state import RestState
from webui.web.correlation import correlation_id

SESSION_COOKIE = "pgw_session"
# Credentials never reach request.headers, where an audit trigger could copy them.
_SECRET_HEADERS = {"cookie", "authorization"}
JSON = "application/json"
OBJECT = "application/vnd.pgrst.object+json"
ARRAY = "application/vnd.pgrst.array+json"
CSV = "text/csv"
PLAN = "application/vnd.pgrst.plan"
OPENAPI = "application/openapi+json"


@dataclass
class Accept:
    kind: str  # json | object | csv | plan
    strip_nulls: bool = False
    plan_format: str = "json"


def negotiate(header: str | None, plan_enabled: bool) -> Accept:
    if not header:
        return Accept("json")
    for entry in header.split(","):
        media, *parameters = [p.strip() for p in entry.split(";")]
        strip = "nulls=stripped" in parameters
        if media in (JSON, "*/*", "application/*", ARRAY):
            return Accept("json", strip)
        if media == OBJECT:
            return Accept("object", strip)
        if media == CSV:
            return Accept("csv")
        if media.startswith(PLAN) and plan_enabled:
            return Accept("plan", plan_format="text" if media.endswith("text") else "json")
    raise ApiError(406, "PGRST107", f"None of these media types are available: {header}")


PROFILE_KEY = "pgw_rest_profile"  # the negotiated schema, echoed as Content-Profile


def profile(request: web.Request, state: RestState) -> str:
    reading = request.method in ("GET", "HEAD", "OPTIONS")
    header = request.headers.get("Accept-Profile" if reading else "Content-Profile")
    schemas = state.config.db_schemas
    if header is None:
        request[PROFILE_KEY] = schemas[0]
        return schemas[0]
    if header not in schemas:
        raise ApiError(
            406,
            "PGRST106",
            f"Invalid schema: {header}",
            hint=f"Only the following schemas are exposed: {', '.join(schemas)}",
        )
    request[PROFILE_KEY] = header
    return header


def context(request: web.Request, state: RestState) -> Context:
    """The request context, from a bearer JWT, a pgwarden session (bearer or cookie), or anon."""
    token = bearer_token(request.headers.get("Authorization"))
    has_sessions = state.cache is not None and state.cache.has_sessions
    # (pgwarden.begin_request adds the role to the claims when they lack it, anon included)
    role, claims, authenticated, session = state.config.db_anon_role, "{}", False, None
    if token is not None and is_session_token(token) and has_sessions:
        session, authenticated = token, True
    elif token is not None:
        identity = state.verifier.identify(token)
        role, claims, authenticated = identity.role, identity.claims_json, True
    elif has_sessions and request.cookies.get(SESSION_COOKIE):
        session = request.cookies[SESSION_COOKIE]
    if not role:
        raise ApiError(
            401, "PGRST302", "Anonymous access is disabled", headers={"WWW-Authenticate": "Bearer"}
        )
    return Context(
        role=role,
        claims_json=claims,
        method=request.method,
        path=request.path,
        headers_json=_headers_json(request),
        cookies_json=_cookies_json(request),
        correlation_id=correlation_id(request),
        client_ip=request.remote or "",
        authenticated=authenticated,
        session_token=session,
        mfa_required_tiers=state.mfa_required_tiers,  # used only with a session token
        pre_request=state.pre_request,
        session_required=session is not None and token is not None,
    )


def _headers_json(request: web.Request) -> str:
    headers = {k.lower(): v for k, v in request.headers.items() if k.lower() not in _SECRET_HEADERS}
    return orjson.dumps(headers).decode()


def _cookies_json(request: web.Request) -> str:
    cookies = {k: v for k, v in request.cookies.items() if k != SESSION_COOKIE}
    return orjson.dumps(cookies).decode() if cookies else "{}"
