"""The R2 actions on a user's page: reset password (email link or a temporary password shown
once), lock (presets or an explicit time), unlock, revoke sessions. Each form asks for a reason;
each page sits behind the re-auth wall (an unelevated session goes to /admin/reauth and comes
back). The rules (tier, elevation, reason of 8+ characters, self and cross-rank guards) are the
SQL functions' (sql/auth/52_admin_recovery.sql), called through the auth room; their refusal is
shown on the form. Doctrine: docs/recovery.md."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web

from webui.admin import chrome
from webui.admin.recovery_pages import reauth_url, require_elevated
from webui.admin.users_pages import fetch_user, manager
from webui.auth import admin_actions
from webui.auth.http import AuthError

LOCK_PRESETS = (
    ("15m", "15 minutes"),
    ("1h", "1 hour"),
    ("24h", "24 hours"),
    ("7d", "7 days"),
    ("indefinite", "Indefinitely"),
)


@dataclass(frozen=True)
class Action:
    slug: str
    title: str
    button: str
    explains: str


ACTIONS = {
    a.slug: a
    for a in (
        Action(
            "reset-password",
            "Reset password",
            "Reset the password",
            "Email: a link valid for 1 hour is mailed to the user; their sessions end when they "
            "use it. Temporary password: 16 characters shown to you once; the user must change "
            "it at the next sign-in, and every session of theirs ends now.",
        ),
        Action(
            "lock",
            "Lock account",
            "Lock the account",
            "The user cannot sign in until the lock ends, and every session of theirs ends now.",
        ),
        Action(
            "unlock",
            "Unlock account",
            "Unlock the account",
            "Clears the lock and the failed-login counter. Sessions are left alone.",
        ),
        Action(
            "revoke-sessions",
            "Revoke sessions",
            "Revoke every session",
            "Signs the user out everywhere. The account stays usable.",
        ),
    )
}


def _action(request: web.Request) -> Action:
    found = ACTIONS.get(request.match_info.get("action", ""))
    if found is None:
        raise chrome.AdminError(404, "There is no such action.")
    return found


def _form(
    request: web.Request,
    action: Action,
    user: dict[str, Any],
    values: dict[str, str],
    error: str = "",
    status: int = 200,
) -> web.Response:
    context = {
        "title": f"{action.title}: {user['email']}",
        "action": action,
        "user": user,
        "values": values,
        "error": error,
        "presets": LOCK_PRESETS,
    }
    return chrome.render(request, "users/action.html", context, status=status)


async def action_page(request: web.Request) -> web.Response:
    who = await manager(request)
    action = _action(request)
    require_elevated(request, who, request.path)
    user = await fetch_user(request, who, chrome.object_id(request))
    return _form(request, action, user, {"mode": "email", "duration": "1h"})


def _until(raw: str) -> datetime | None:
    """A datetime-local value (UTC, as the form says) or an ISO time with an offset."""
    if not raw:
        return None
    text = raw if ("+" in raw[10:] or raw.endswith("Z")) else raw + "+00:00"
    value = admin_actions.parse_until(text.replace("Z", "+00:00"))
    if value is None:
        raise AuthError(400, "invalid_until", "The end of the lock is not a valid time.")
    return value


async def _run(
    request: web.Request, who: chrome.Who, action: Action, key: int, values: dict[str, str]
) -> web.StreamResponse:
    identity, reason = who.identity, values["reason"]
    back = f"/admin/users/{key}"
    if action.slug == "reset-password":
        result = await admin_actions.admin_reset(request, identity, key, reason, values["mode"])
        if values["mode"] == "temp_pw":
            return _shown_once(request, key, result)
        return chrome.redirect(request, back, "A reset link was mailed to the user (1 hour).")
    if action.slug == "lock":
        until = _until(values["until"])
        duration = None if until else values["duration"]
        ends = await admin_actions.admin_lock(request, identity, key, reason, duration, until)
        shown = "indefinitely" if ends.year == 9999 else f"until {ends:%Y-%m-%d %H:%M} UTC"
        return chrome.redirect(request, back, f"Account locked {shown}; its sessions ended.")
    if action.slug == "unlock":
        await admin_actions.admin_unlock(request, identity, key, reason)
        return chrome.redirect(request, back, "Account unlocked.")
    count = await admin_actions.admin_revoke(request, identity, key, reason)
    return chrome.redirect(request, back + "?tab=sessions", f"{count} session(s) revoked.")


def _shown_once(request: web.Request, key: int, result: dict[str, Any]) -> web.Response:
    """The temporary password, on this one page (no-store, never logged, never audited)."""
    context = {
        "title": "Temporary password",
        "key": key,
        "password": result["temporary_password"],
        "revoked": result.get("invalidated_session_count", 0),
    }
    return chrome.render(request, "users/temp_password.html", context)


async def action(request: web.Request) -> web.StreamResponse:
    who = await manager(request)
    chrome.writable()
    act = _action(request)
    require_elevated(request, who, request.path)
    key = chrome.object_id(request)
    user = await fetch_user(request, who, key)
    form = await request.post()
    values = {
        name: str(form.get(name, ""))[:500] for name in ("reason", "mode", "duration", "until")
    }
    if act.slug == "reset-password" and values["mode"] not in ("email", "temp_pw"):
        return _form(request, act, user, values, "Choose email or temporary password.", 400)
    try:
        return await _run(request, who, act, key, values)
    except AuthError as exc:
        if exc.code == "reauth_required":
            raise web.HTTPSeeOther(reauth_url(request.path)) from None
        return _form(request, act, user, values, exc.message, exc.status)


ROUTES = [
    (
        "GET",
        r"/admin/users/{id:\d+}/{action:reset-password|lock|unlock|revoke-sessions}",
        action_page,
    ),
    ("POST", r"/admin/users/{id:\d+}/{action:reset-password|lock|unlock|revoke-sessions}", action),
]
