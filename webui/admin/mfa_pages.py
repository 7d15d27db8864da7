"""The second factor's pages: the account's two-step page (enrol with the QR code and the manual
key, confirm with a code, the backup codes shown once, regenerate them, disable with the password
and a code) and `/admin/mfa/verify`, the step a pending session owes after sign-in. They call the
auth room's MFA functions (webui/auth/mfa_routes.py), the same as /auth/mfa/*; the rules (re-auth
wall, replay guard, single-use codes, throttle, rotation, policy) are SQL's. Which paths a pending
or not-yet-enrolled session may reach is decided in webui/admin/chrome.py (`mfa_gate`).
Doctrine: docs/recovery-mfa.md."""

from __future__ import annotations

import dataclasses
from typing import Any

from aiohttp import web

from webui.admin import chrome
from webui.auth import mfa_routes as mfa
from webui.auth import routes as auth
from webui.auth.http import AuthError

PAGE = "/admin/account/mfa"
VERIFY = "/admin/mfa/verify"
_BAD_CODE = "Invalid or expired code."
_BAD_PASSWORD = "The password is wrong."  # noqa: S105
_EXPIRED = "The 15 minutes to finish have passed: enter your password and start again."


def _next(value: str | None) -> str:
    """Only a local admin path, never back to the verify step itself."""
    ok = value and value.startswith("/admin") and not value.startswith("//") and "\\" not in value
    return value if ok and not value.startswith(VERIFY) else "/admin"  # type: ignore[return-value]


async def _form(request: web.Request) -> dict[str, str]:
    form = await request.post()
    return {k: str(v)[:4096] for k, v in form.items() if isinstance(v, str)}


def _rotated(request: web.Request, who: chrome.Who, rotated: mfa.Rotated) -> None:
    """This response already speaks for the new session (its CSRF token, its identity)."""
    request["admin_identity"] = dataclasses.replace(
        who.identity, session_id=rotated.session_id, mfa_pending=False, elevated=False
    )


async def _elevate(request: web.Request, who: chrome.Who, password: str) -> str:
    """The re-auth wall inside the form: '' when the session is (now) elevated, else an error."""
    if who.identity.elevated and not password:
        return ""
    if not password:
        return "Enter your password to confirm it is you."
    try:
        ok = await auth.confirm_password(request, who.identity, password)
    except AuthError as exc:
        return exc.message + (f" {exc.hint}" if exc.hint else "")
    return "" if ok else _BAD_PASSWORD


# --- the account page ---------------------------------------------------------------------------


async def page(request: web.Request) -> web.Response:
    who = await chrome.signed_in(request)
    return await _page(request, who, {})


async def _page(
    request: web.Request, who: chrome.Who, errors: dict[str, str], status: int = 200
) -> web.Response:
    state = await mfa.status(request, who.token)
    enrolment = None
    if state.enrolling:
        enrolment = await mfa.enrolment_in_progress(request, who.identity, who.token)
    context: dict[str, Any] = {
        "title": "Two-step sign-in",
        "state": state,
        "enrolment": enrolment,
        "errors": errors,
        "policy_allows": request.app[auth.AUTH_CONFIG].mfa.enrolment_allowed,
        "required": who.identity.mfa_enrolment_due,
    }
    return chrome.render(request, "mfa/account.html", context, status=status)


async def enrol(request: web.Request) -> web.StreamResponse:
    who = await chrome.signed_in(request)
    form = await _form(request)
    error = await _elevate(request, who, form.get("password", ""))
    if error:
        return await _page(request, who, {"password": error}, status=400)
    try:
        await mfa.start_enrolment(request, who.identity, who.token)
    except AuthError as exc:
        return await _page(request, who, {"enrol": exc.message}, status=exc.status)
    return chrome.redirect(request, PAGE, "Scan the QR code, then enter the code it shows.", "info")


async def confirm(request: web.Request) -> web.StreamResponse:
    who = await chrome.signed_in(request)
    code = (await _form(request)).get("code", "")
    try:
        rotated, codes = await mfa.confirm_enrolment(request, who.token, code)
    except AuthError as exc:
        if exc.code == "invalid_code":
            return await _page(request, who, {"code": _BAD_CODE}, status=401)
        message = _EXPIRED if exc.code == "reauth_required" else exc.message
        return await _page(request, who, {"enrol": message}, status=exc.status)
    _rotated(request, who, rotated)
    response = _codes_page(request, codes, "Two-step sign-in is on")
    auth.set_session_cookie(request, response, rotated.token, rotated.expires)
    return response


def _codes_page(request: web.Request, codes: list[str], heading: str) -> web.Response:
    """The backup codes, shown this once (no-store; never again readable)."""
    context = {"title": heading, "heading": heading, "codes": codes}
    return chrome.render(request, "mfa/codes.html", context)


async def regenerate(request: web.Request) -> web.StreamResponse:
    who = await chrome.signed_in(request)
    form = await _form(request)
    error = await _elevate(request, who, form.get("password", ""))
    if error:
        return await _page(request, who, {"regenerate": error}, status=400)
    try:
        codes = await mfa.regenerate_codes(request, who.token)
    except AuthError as exc:
        return await _page(request, who, {"regenerate": exc.message}, status=exc.status)
    return _codes_page(request, codes, "New backup codes")


async def disable(request: web.Request) -> web.StreamResponse:
    who = await chrome.signed_in(request)
    form = await _form(request)
    error = await _elevate(request, who, form.get("password", ""))
    if error:
        return await _page(request, who, {"disable_password": error}, status=400)
    try:
        await mfa.prove_code(request, who.token, form.get("code", ""))
        await mfa.disable_mfa(request, who.token)
    except AuthError as exc:
        message = _BAD_CODE if exc.code == "invalid_code" else exc.message
        return await _page(request, who, {"disable_code": message}, status=exc.status)
    return chrome.redirect(
        request, PAGE, "Two-step sign-in is off; your other sessions were signed out."
    )


# --- the sign-in step ---------------------------------------------------------------------------


async def verify_page(request: web.Request) -> web.StreamResponse:
    who = await chrome.signed_in(request)
    if not who.identity.mfa_pending:
        return chrome.redirect(request, _next(request.query.get("next")))
    return _verify_form(request, request.query.get("next"), "", 200)


def _verify_form(request: web.Request, target: str | None, error: str, status: int) -> web.Response:
    context = {"title": "Two-step sign-in", "error": error, "next": _next(target)}
    return chrome.render(request, "mfa/verify.html", context, status=status)


async def verify(request: web.Request) -> web.StreamResponse:
    who = await chrome.signed_in(request)
    form = await _form(request)
    target = form.get("next")
    if not who.identity.mfa_pending:
        return chrome.redirect(request, _next(target))
    try:
        rotated = await mfa.verify_code(request, who.token, form.get("code", "")[:64])
    except AuthError as exc:
        if exc.code != "invalid_code":
            raise chrome.AdminError(exc.status, exc.message) from None
        return _verify_form(request, target, _BAD_CODE, 401)
    response = chrome.redirect(request, _next(target))
    auth.set_session_cookie(request, response, rotated.token, rotated.expires)
    return response


ROUTES = [
    ("GET", PAGE, page),
    ("POST", PAGE + "/enrol", enrol),
    ("POST", PAGE + "/confirm", confirm),
    ("POST", PAGE + "/backup-codes", regenerate),
    ("POST", PAGE + "/disable", disable),
    ("GET", VERIFY, verify_page),
    ("POST", VERIFY, verify),
]
