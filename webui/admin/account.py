"""Identity pages: sign in, sign out, the user's sessions, password change. They call the auth
room's public functions (the same login path, throttle and single session writer as /auth/*),
never generic CRUD."""

from __future__ import annotations

import secrets

from aiohttp import web

from webui.admin import chrome, security
from webui.auth import routes as auth
from webui.auth.http import AuthError

_FAILED = "Invalid email or password."


def _safe_next(value: str | None) -> str:
    """Only a local admin path: never an open redirect."""
    if value and value.startswith("/admin") and not value.startswith("//") and "\\" not in value:
        return value
    return "/admin"


async def login_page(request: web.Request) -> web.Response:
    if await chrome.current(request) is not None:
        return chrome.redirect(request, _safe_next(request.query.get("next")))
    return _login_form(request, "", "", status=200, target=request.query.get("next"))


def _login_form(
    request: web.Request, email: str, error: str, status: int, target: str | None = None
) -> web.Response:
    pre = request.cookies.get(security.PRELOGIN_COOKIE)
    fresh = None
    if not pre:
        fresh = secrets.token_urlsafe(24)
    context = {"email": email, "error": error, "next": _safe_next(target)}
    if fresh:
        # bind this response's token to the new pre-login cookie
        context["csrf_token"] = security.csrf_token(chrome.secret(request), f"p:{fresh}")
    response = chrome.render(request, "login.html", context, status=status)
    if fresh:
        response.set_cookie(
            security.PRELOGIN_COOKIE, fresh, path="/admin", httponly=True, samesite="Strict"
        )
    return response


async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    email = str(form.get("email", ""))[:320].strip()
    password = str(form.get("password", ""))[:4096]
    target = _safe_next(str(form.get("next", "")))
    if not email or not password:
        return _login_form(request, email, _FAILED, status=401, target=target)
    try:
        outcome = await auth.sign_in(request, email, password)
    except AuthError as exc:
        if exc.status != 429:
            raise
        message = "Too many attempts. " + (exc.hint or "")
        response = _login_form(request, email, message, 429, target=target)
        response.headers.update(exc.headers)
        return response
    if outcome is None:
        return _login_form(request, email, _FAILED, status=401, target=target)
    token, expires = outcome
    response = chrome.redirect(request, target)
    auth.set_session_cookie(request, response, token, expires)
    response.del_cookie(security.PRELOGIN_COOKIE, path="/admin")
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    who = await chrome.current(request)
    if who is not None:
        await auth.sign_out(request, who.identity)
    response = chrome.redirect(request, "/admin/login", "You are signed out.")
    auth.clear_session_cookie(response)
    return response


# --- sessions ------------------------------------------------------------------------------------


async def sessions_page(request: web.Request) -> web.Response:
    who = await chrome.signed_in(request)
    rows = await auth.my_sessions(request, who.identity)
    return chrome.render(request, "sessions.html", {"sessions": rows, "title": "Your sessions"})


async def revoke_one(request: web.Request) -> web.StreamResponse:
    who = await chrome.signed_in(request)
    session_id = chrome.object_id(request)
    if session_id == who.identity.session_id:
        return chrome.redirect(
            request, "/admin/account/sessions", "That is this session: sign out to end it.", "error"
        )
    if await auth.revoke_my_session(request, who.identity, session_id):
        return chrome.redirect(request, "/admin/account/sessions", f"Session {session_id} revoked.")
    raise chrome.AdminError(404, "No such live session of yours.")


async def revoke_others(request: web.Request) -> web.StreamResponse:
    who = await chrome.signed_in(request)
    count = await auth.revoke_my_other_sessions(request, who.identity)
    return chrome.redirect(request, "/admin/account/sessions", f"{count} other session(s) revoked.")


async def revoke_all(request: web.Request) -> web.StreamResponse:
    who = await chrome.signed_in(request)
    await auth.revoke_my_other_sessions(request, who.identity)
    await auth.sign_out(request, who.identity)
    response = chrome.redirect(request, "/admin/login", "Every session of yours is revoked.")
    auth.clear_session_cookie(response)
    return response


# --- password ------------------------------------------------------------------------------------


async def password_page(request: web.Request) -> web.Response:
    who = await chrome.signed_in(request)
    must = who.identity.must_change_password
    return chrome.render(request, "password.html", {"errors": {}, "must_change": must})


async def password_change(request: web.Request) -> web.StreamResponse:
    who = await chrome.signed_in(request)
    form = await request.post()
    current = str(form.get("current_password", ""))[:4096]
    new = str(form.get("new_password", ""))[:4096]
    again = str(form.get("new_password_again", ""))[:4096]
    errors: dict[str, str] = {}
    if new != again:
        errors["new_password_again"] = "The two new passwords differ."  # noqa: S105
    if not current:
        errors["current_password"] = "Enter your current password."  # noqa: S105
    if not errors:
        try:
            await auth.change_own_password(request, who.identity, current, new)
        except AuthError as exc:
            field = "current_password" if exc.code == "wrong_current_password" else "new_password"
            errors[field] = exc.message + (f" ({exc.hint})" if exc.hint else "")
    if errors:
        context = {"errors": errors, "must_change": who.identity.must_change_password}
        return chrome.render(request, "password.html", context, status=400)
    return chrome.redirect(
        request, "/admin", "Password changed; your other sessions were signed out."
    )


async def theme(request: web.Request) -> web.StreamResponse:
    """The remembered theme toggle without JavaScript: light → dark → light (a cookie)."""
    form = await request.post()
    wanted = str(form.get("theme", ""))
    if wanted not in ("light", "dark"):
        wanted = "dark" if request.cookies.get(chrome.THEME_COOKIE) != "dark" else "light"
    response = chrome.redirect(request, _safe_next(str(form.get("next", ""))))
    response.set_cookie(chrome.THEME_COOKIE, wanted, path="/", max_age=31_536_000, samesite="Lax")
    return response
