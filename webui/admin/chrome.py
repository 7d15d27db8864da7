"""What every admin page shares: rendering in the chrome (nonce, CSRF token, flash, read-only
banner, the signed-in user), the guards (signed in, admin tier, writable), redirects with a
flash, and the error pages (403/404/500 with the correlation id, no internals)."""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp_jinja2
from aiohttp import web
from aiohttp.typedefs import Handler

from webui import __version__
from webui.admin import security
from webui.admin.client import REST_ENDPOINT, RestFailure, execute
from webui.admin.registry import REGISTRY, AdminResource
from webui.auth import Identity, identify, session_token
from webui.core.db import SETTINGS
from webui.web.correlation import HEADER, correlation_id, uuid7
from webui.web.errors import HttpError

log = logging.getLogger("pgwarden.admin")
READ_ONLY_ENV = "PGWARDEN_ADMIN_READ_ONLY"
THEME_COOKIE = "pgw_theme"
MAX_FORM_FIELDS = 10_100
ADMIN_TIERS = ("staff", "supervisor", "administrator", "developer")
# Pages every signed-in tier may use (the account pages) and the ones open before sign-in.
ACCOUNT_PATHS = ("/admin/account/", "/admin/password_change", "/admin/logout")
FORCED_OK = "/admin/account/sessions"
PUBLIC_PATHS = ("/admin/login", "/admin/forgot-password", "/admin/reset-password/")
_STATUS_TITLES = {
    400: "Bad request",
    401: "Sign in first",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    416: "Out of range",
    429: "Too many requests",
    500: "Something went wrong",
    502: "The data service did not answer",
    504: "Too slow",
}


def AdminError(status: int, message: str, title: str | None = None) -> HttpError:
    """An error page to raise: the app's one HTTP error type (`webui.web.errors.HttpError`),
    with a message safe to show and the page's short title (its `reason`). The middleware
    renders it, as it renders an auth error that reaches it."""
    error = HttpError(status, f"PGW{status}", message)
    error.reason = title
    return error


@dataclass(frozen=True)
class Who:
    identity: Identity
    token: str
    email: str = ""


def read_only() -> bool:
    return os.environ.get(READ_ONLY_ENV, "") not in ("", "0", "false", "no")


def secret(request: web.Request) -> str:
    return request.app[SETTINGS].secret_key or "pgwarden-admin-unset-secret"


def csrf_binding(request: web.Request) -> str:
    identity = request.get("admin_identity")
    if identity is not None:
        return f"s:{identity.session_id}"
    pre = request.cookies.get(security.PRELOGIN_COOKIE, "")
    return f"p:{pre}" if pre else ""


def rest(request: web.Request, who: Who, resource: AdminResource) -> Any:
    return request.app[REST_ENDPOINT].client(request, who.token, resource.schema)


def rest_schema(request: web.Request, who: Who, schema: str) -> Any:
    return request.app[REST_ENDPOINT].client(request, who.token, schema)


_PERMISSIONS = "admin_permissions"


async def _fetch_permissions(request: web.Request, who: Who) -> frozenset[str]:
    client = rest_schema(request, who, "api")
    try:
        rows = (await execute(client.rpc("my_permissions", {}, get=True))).data
    except RestFailure:
        rows = []
    return frozenset(str(row) for row in rows or [])


async def permissions(request: web.Request, who: Who) -> frozenset[str]:
    """The codenames the user holds (`GET /rest/v1/rpc/my_permissions`, as the user), asked once
    per request however many callers wait for it; none when the dialect refuses."""
    if _PERMISSIONS not in request:
        request[_PERMISSIONS] = asyncio.ensure_future(_fetch_permissions(request, who))
    return await request[_PERMISSIONS]  # type: ignore[no-any-return]


async def may(request: web.Request, who: Who, r: AdminResource, action: str) -> bool:
    """Whether to show the button for `action`: the tier's role for it, or, for a resource with
    group permissions, the user's `<resource>.<verb>` codename. The database still decides."""
    if read_only() and action != "read":
        return False
    if r.may(who.identity.tier, action):
        return True
    if not r.resource.group_permissions:
        return False
    return r.codename(action) in await permissions(request, who)


def resource_or_404(request: web.Request) -> AdminResource:
    found = request.app[REGISTRY].get(request.match_info.get("resource", ""))
    if found is None:
        raise AdminError(404, "There is no such resource in this admin.")
    return found


def object_id(request: web.Request) -> int:
    raw = request.match_info.get("id", "")
    if not raw.isdigit() or len(raw) > 18:
        raise AdminError(404, "An object id is a positive integer.")
    return int(raw)


async def current(request: web.Request) -> Who | None:
    identity: Identity | None = request.get("admin_identity")
    token = session_token(request)
    return Who(identity, token) if identity and token else None


async def staff(request: web.Request) -> Who:
    """The signed-in user of an admin page (staff tier and above)."""
    who = await current(request)
    if who is None:
        raise web.HTTPSeeOther(f"/admin/login?next={quote(request.path_qs)}")
    if who.identity.tier not in ADMIN_TIERS:
        raise AdminError(
            403,
            "Your account has no admin access. You can still manage your sessions and password.",
            "No admin access",
        )
    return who


async def signed_in(request: web.Request) -> Who:
    who = await current(request)
    if who is None:
        raise web.HTTPSeeOther(f"/admin/login?next={quote(request.path_qs)}")
    return who


def writable() -> None:
    if read_only():
        raise AdminError(403, "This admin is in read-only mode: nothing can be changed here.")


def redirect(
    request: web.Request, location: str, message: str = "", level: str = "success"
) -> web.Response:
    response = web.Response(status=303, headers={"Location": location})
    if message:
        add_flash(request, response, message, level)
    return response


def add_flash(request: web.Request, response: web.StreamResponse, message: str, level: str) -> None:
    messages = [*request.get("admin_flash_pending", []), {"level": level, "text": message[:500]}]
    response.set_cookie(
        security.FLASH_COOKIE,
        security.flash_value(secret(request), messages),
        path="/admin",
        httponly=True,
        samesite="Lax",
        max_age=60,
    )


def base_context(request: web.Request) -> dict[str, Any]:
    registry = request.app[REGISTRY]
    identity = request.get("admin_identity")
    return {
        "version": __version__,
        "nonce": request[security.NONCE],
        "csrf_token": security.csrf_token(secret(request), csrf_binding(request)),
        "csrf_field": security.CSRF_FIELD,
        "flash": request.get("admin_flash", []),
        "read_only": read_only(),
        "identity": identity,
        "is_admin_tier": bool(identity and identity.tier in ADMIN_TIERS),
        "nav": sorted(registry.resources.values(), key=lambda r: r.label)
        if identity and identity.tier in ADMIN_TIERS and not _mfa_held(identity)
        else [],
        "path": request.path,
        "correlation_id": correlation_id(request),
        "theme": request.cookies.get(THEME_COOKIE, "")
        if request.cookies.get(THEME_COOKIE) in ("light", "dark")
        else "",
    }


def _mfa_held(identity: Identity) -> bool:
    """Held at the verify step or the enrolment interstitial: no resource nav to show."""
    return bool(identity.mfa_pending or identity.mfa_enrolment_due)


def render(
    request: web.Request, template: str, context: dict[str, Any], status: int = 200
) -> web.Response:
    full = {**base_context(request), **context}
    return aiohttp_jinja2.render_template(f"admin/{template}", request, full, status=status)


def error_page(
    request: web.Request, status: int, message: str, title: str | None = None
) -> web.Response:
    context = {
        "status": status,
        "title": title or _STATUS_TITLES.get(status, "Error"),
        "message": message,
    }
    return render(request, "error.html", context, status=status)


# --- the middleware of /admin ---------------------------------------------------------------------


def _is_admin(request: web.Request) -> bool:
    return request.path == "/admin" or request.path.startswith("/admin/")


async def _guard_post(request: web.Request) -> None:
    """CSRF: same origin, and the token bound to this session (or pre-login visitor)."""
    if not security.same_origin(request):
        raise AdminError(403, "Cross-site form posts are refused.", "Forbidden")
    form = await request.post()
    token = form.get(security.CSRF_FIELD)
    if not isinstance(token, str) or not security.csrf_valid(
        secret(request), csrf_binding(request), token
    ):
        raise AdminError(
            403,
            "The form has expired or did not come from this site. Reload the page and try again.",
            "Forbidden",
        )


async def _must_change(request: web.Request) -> None:
    identity = request.get("admin_identity")
    held = identity is not None and identity.must_change_password and not identity.mfa_pending
    # the change page, sign-out and the sessions page (exactly: RustIO's whitelist, issue 14)
    if held and request.path not in ("/admin/password_change", "/admin/logout", FORCED_OK):
        raise web.HTTPSeeOther("/admin/password_change")


# What a session that owes its second factor, or that PGWARDEN_MFA makes enrol first, may reach
# (exact paths, as RustIO's whitelist): the step itself, its sessions, sign-out, the theme.
MFA_VERIFY_PATHS = ("/admin/mfa/verify", "/admin/account/sessions", "/admin/logout", "/admin/theme")
MFA_ENROL_PATHS = (
    "/admin/account/mfa",
    "/admin/account/mfa/enrol",
    "/admin/account/mfa/confirm",
    "/admin/account/sessions",
    "/admin/logout",
    "/admin/theme",
)


def _then(request: web.Request) -> str:
    return f"?next={quote(request.path_qs)}" if request.method == "GET" else ""


async def mfa_gate(request: web.Request) -> None:
    """A pending session reaches only the verify step; a user whose tier must have MFA (the SQL
    rule auth.mfa_enrolment_due) only the enrolment, after any forced password change."""
    identity = request.get("admin_identity")
    if identity is None:
        return
    if identity.mfa_pending and request.path not in MFA_VERIFY_PATHS:
        raise web.HTTPSeeOther("/admin/mfa/verify" + _then(request))
    if identity.mfa_pending or identity.must_change_password:
        return
    if identity.mfa_enrolment_due and request.path not in MFA_ENROL_PATHS:
        raise web.HTTPSeeOther("/admin/account/mfa")


@web.middleware
async def admin_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not _is_admin(request):
        return await handler(request)
    if HEADER not in request.headers:  # the admin's own ids: audit history shows the path
        request["correlation_id"] = "adm-" + uuid7()
    if request.method == "POST":  # bulk forms carry up to 10,000 ids (aiohttp's default: 1,000)
        request = request.clone(client_max_fields=MAX_FORM_FIELDS)
    request[security.NONCE] = security.new_nonce()
    request["admin_flash"] = security.read_flash(
        secret(request), request.cookies.get(security.FLASH_COOKIE)
    )
    try:
        request["admin_identity"] = await identify(request)
        if request.method == "POST":
            await _guard_post(request)
        await mfa_gate(request)
        await _must_change(request)
        response = await handler(request)
    except web.HTTPRedirection as exc:
        finish(request, exc)
        raise
    except HttpError as exc:
        response = error_page(request, exc.status, exc.message, exc.reason)
    except RestFailure as exc:
        response = _rest_error(request, exc)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = error_page(request, exc.status, exc.reason)
    except Exception:
        log.exception("admin error on %s %s", request.method, request.path)
        response = error_page(
            request, 500, "The error was logged. Quote the correlation id below when you report it."
        )
    finish(request, response)
    return response


def _rest_error(request: web.Request, exc: RestFailure) -> web.Response:
    if exc.status == 401 and request.get("admin_identity") is not None:
        # The session resolved for this very request; the dialect reports a permission denied
        # under a bearer session as 401 PGRST301 (it cannot tell the two apart), so: 403.
        exc.status = 403
    if exc.status == 403:
        message = "The database refused this for your account: permission denied."
    elif exc.status == 404:
        message = "Not found, or not visible to your account."
    elif exc.status == 504:
        message = "The database took too long to answer. Narrow the search or the filters."
    elif exc.status == 401:
        message = "Your session has ended. Sign in again."
    else:
        message = exc.message
    return error_page(request, exc.status if 400 <= exc.status < 600 else 502, message)


def finish(request: web.Request, response: web.StreamResponse) -> None:
    """The admin's headers on a response (before it is prepared)."""
    if response.prepared:
        return
    response.headers["Content-Security-Policy"] = security.csp(request[security.NONCE])
    response.headers["Cache-Control"] = "no-store"
    if request.get("admin_flash") and security.FLASH_COOKIE not in response.cookies:
        response.del_cookie(security.FLASH_COOKIE, path="/admin")
