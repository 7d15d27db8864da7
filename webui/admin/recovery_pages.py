"""Recovery pages on the admin chrome (doctrine: docs/recovery.md): forgot password, reset from a
link, and the re-auth wall. They call the auth room's functions, which call the SQL that holds
the rules (auth.request_password_reset, auth.consume_password_reset, auth.elevate_session);
nothing is decided here.

- `POST /admin/forgot-password` answers the same redirect (no cookie, no flash) for a known,
  unknown or inactive account, an IP over its budget, an unsafe host and a failing mail.
- `POST /admin/reset-password/<token>` never signs in: it redirects to the sign-in page with the
  success flash. An invalid, expired or used link (or a garbage one) shows "This link is no
  longer valid".
- `/admin/reauth?return_to=…` elevates the session for 15 minutes and goes back to `return_to`
  when it is a relative /admin path (`webui.auth.redirects.safe_return_to`), else to /admin."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import quote

from aiohttp import web

from webui.admin import chrome, security
from webui.auth import mfa_routes as mfa
from webui.auth import recovery
from webui.auth.http import AuthError
from webui.auth.identity import session_token
from webui.auth.passwords import PasswordPolicyError
from webui.auth.redirects import safe_return_to

SENT = "/admin/forgot-password/sent"
RESET_DONE = "Your password has been updated. Sign in with your new password."
_MAX_TOKEN = 200


def reauth_url(return_to: str) -> str:
    """Where a page that needs an elevated session sends a session that is not."""
    return f"/admin/reauth?return_to={quote(safe_return_to(return_to), safe='')}"


def require_elevated(request: web.Request, who: chrome.Who, return_to: str) -> None:
    """The re-auth wall as a page sees it (the SQL function checks it again)."""
    if not who.identity.elevated:
        raise web.HTTPSeeOther(reauth_url(return_to))


def _public_form(
    request: web.Request, template: str, context: dict[str, Any], status: int = 200
) -> web.Response:
    """A form that may be posted before sign-in: its token is bound to the pre-login cookie
    (set here when the visitor has none), as on the sign-in page."""
    fresh = None
    if request.get("admin_identity") is None and not request.cookies.get(security.PRELOGIN_COOKIE):
        fresh = secrets.token_urlsafe(24)
        context = {
            **context,
            "csrf_token": security.csrf_token(chrome.secret(request), f"p:{fresh}"),
        }
    response = chrome.render(request, template, context, status=status)
    if fresh:
        response.set_cookie(
            security.PRELOGIN_COOKIE, fresh, path="/admin", httponly=True, samesite="Strict"
        )
    return response


# --- R1: forgot, sent, reset ---------------------------------------------------------------------


async def forgot_page(request: web.Request) -> web.Response:
    return _public_form(request, "forgot_password.html", {"title": "Forgot your password?"})


async def forgot(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    email = str(form.get("email", ""))[:320].replace("\x00", "")
    await recovery.request_reset(request, email)
    return web.Response(status=303, headers={"Location": SENT})


async def forgot_sent(request: web.Request) -> web.Response:
    return chrome.render(request, "forgot_sent.html", {"title": "Check your email"})


def _token(request: web.Request) -> str:
    return request.match_info.get("token", "")[:_MAX_TOKEN]


def _no_referrer(response: web.Response) -> web.Response:
    response.headers["Referrer-Policy"] = "no-referrer"  # the token is in the URL
    return response


def _invalid(request: web.Request) -> web.Response:
    context = {"title": "This link is no longer valid"}
    return _no_referrer(chrome.render(request, "reset_invalid.html", context, status=400))


async def reset_page(request: web.Request) -> web.Response:
    if len(request.match_info.get("token", "")) > _MAX_TOKEN:
        return _invalid(request)
    context = {"title": "Choose a new password", "token": _token(request), "errors": {}}
    return _no_referrer(_public_form(request, "reset_password.html", context))


async def reset(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    token = _token(request)
    first = str(form.get("password1", ""))[:4096]
    errors: dict[str, str] = {}
    if first != str(form.get("password2", ""))[:4096]:
        errors["password2"] = "The two passwords differ."
    else:
        try:
            count = await recovery.consume_reset(request, token, first)
        except PasswordPolicyError as exc:
            errors["password1"] = str(exc)
        else:
            if count is None:
                return _invalid(request)
            return chrome.redirect(request, "/admin/login?password_reset=success", RESET_DONE)
    context = {"title": "Choose a new password", "token": token, "errors": errors}
    return _no_referrer(_public_form(request, "reset_password.html", context, status=400))


# --- R2: the re-auth wall ------------------------------------------------------------------------


async def reauth_page(request: web.Request) -> web.Response:
    await chrome.signed_in(request)
    return_to = safe_return_to(request.query.get("return_to"))
    return await _reauth_form(request, return_to, "", 200)


async def _reauth_form(
    request: web.Request, return_to: str, error: str, status: int
) -> web.Response:
    """The form: the password, and a code field when the user has a second factor."""
    mfa_on = (await mfa.status(request, session_token(request) or "")).enabled
    context = {
        "title": "Confirm your password",
        "return_to": return_to,
        "error": error,
        "mfa_on": mfa_on,
    }
    return chrome.render(request, "reauth.html", context, status=status)


async def reauth(request: web.Request) -> web.StreamResponse:
    who = await chrome.signed_in(request)
    form = await request.post()
    return_to = safe_return_to(str(form.get("return_to", "")))
    password = str(form.get("password", ""))[:4096]
    code = str(form.get("code", ""))[:32]
    try:
        until = (
            await mfa.reauthenticate(request, who.identity, password, code) if password else None
        )
    except AuthError as exc:
        if exc.status == 429:
            hint = "Too many attempts. " + (exc.hint or "")
            response = await _reauth_form(request, return_to, hint, 429)
            response.headers.update(exc.headers)
            return response
        if exc.code in ("mfa_code_required", "invalid_code"):
            return await _reauth_form(request, return_to, exc.message, 401)
        raise
    if until is None:
        return await _reauth_form(request, return_to, "The password is wrong.", 403)
    return chrome.redirect(request, return_to, "Password confirmed for the next 15 minutes.")


ROUTES = [
    ("GET", "/admin/forgot-password", forgot_page),
    ("POST", "/admin/forgot-password", forgot),
    ("GET", SENT, forgot_sent),
    ("GET", "/admin/reset-password/{token}", reset_page),
    ("POST", "/admin/reset-password/{token}", reset),
    ("GET", "/admin/reauth", reauth_page),
    ("POST", "/admin/reauth", reauth),
]
