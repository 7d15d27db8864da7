"""Users in the admin, for administrators and developers: list (tier, active, locked, search),
new, edit, delete, and a view with tabs (profile, sessions, groups, effective permissions,
history). Every row is read and written through the REST dialect's `auth` profile as the
signed-in user, so the grants, row policies and rank guards of sql/auth decide; their refusal is
shown on the form. The R2 actions are in `users_actions`. Doctrine: docs/admin.md, "Users and
groups"."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from postgrest.types import CountMethod, ReturnMethod

from webui.admin import chrome
from webui.admin.client import RestFailure, execute
from webui.admin.listing import search_value
from webui.auth import admin_actions
from webui.auth.http import AuthError
from webui.core.roles import TIERS

PER_PAGE = 50
USER_COLUMNS = (
    "id,email,display_name,role,is_active,must_change_password,password_changed_at,"
    "failed_login_count,locked_until,last_login_at,created_at,updated_at"
)
MANAGERS = ("administrator", "developer")
TABS = ("profile", "sessions", "groups", "permissions", "history")


async def manager(request: web.Request) -> chrome.Who:
    """The signed-in administrator or developer (the database checks again on every row)."""
    who = await chrome.staff(request)
    if who.identity.tier not in MANAGERS:
        raise chrome.AdminError(403, "Users and groups are for administrators and developers.")
    return who


def auth_rest(request: web.Request, who: chrome.Who) -> Any:
    return chrome.rest_schema(request, who, "auth")


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def tiers_up_to(tier: str) -> list[str]:
    """The tiers an actor may give: up to their own (the ceiling; SQL enforces it too)."""
    return list(TIERS[: TIERS.index(tier) + 1]) if tier in TIERS else []


def is_locked(user: dict[str, Any]) -> bool:
    raw = user.get("locked_until")
    try:
        until = datetime.fromisoformat(str(raw)) if raw else None
    except ValueError:
        return True  # shown as locked rather than hidden
    return until is not None and until > datetime.now(UTC)


async def fetch_user(request: web.Request, who: chrome.Who, key: int) -> dict[str, Any]:
    builder = auth_rest(request, who).from_("users").select(USER_COLUMNS).eq("id", key).limit(1)
    rows = (await execute(builder)).data
    if not rows:
        raise chrome.AdminError(404, f"No user {key}, or it is not visible to your account.")
    user = dict(rows[0])
    user["locked"] = is_locked(user)
    return user


# --- the list -------------------------------------------------------------------------------------

# Writes of auth.users ask for no representation (it would include password_hash, which no tier
# may read) and for the count of rows written (0: row policies or the guards refused).
_MINIMAL: dict[str, Any] = {"count": CountMethod.exact, "returning": ReturnMethod.minimal}

_FILTERS = {
    "tier": lambda v: v in TIERS,
    "active": lambda v: v in ("yes", "no"),
    "locked": lambda v: v in ("yes", "no"),
    "q": lambda v: len(v) <= 200,
    "p": lambda v: v.isdigit() and 0 < len(v) <= 6 and int(v) > 0,
}


def _filters(request: web.Request) -> dict[str, str]:
    found = {}
    for name, value in request.query.items():
        if name not in _FILTERS:
            raise chrome.AdminError(400, f"Unknown filter {name[:60]!r}.")
        if value and not _FILTERS[name](value):
            raise chrome.AdminError(400, f"{value[:60]!r} is not a valid {name}.")
        if value:
            found[name] = value
    return found


def _apply(builder: Any, filters: dict[str, str]) -> Any:
    if "tier" in filters:
        builder = builder.eq("role", filters["tier"])
    if "active" in filters:
        builder = builder.eq("is_active", "true" if filters["active"] == "yes" else "false")
    if filters.get("locked") == "yes":
        builder = builder.gt("locked_until", now_iso())
    elif filters.get("locked") == "no":
        builder = builder.or_(f"locked_until.is.null,locked_until.lte.{now_iso()}")
    term = filters.get("q", "").strip()
    if term:
        pattern = search_value(f"*{term}*")
        builder = builder.or_(f"email.ilike.{pattern},display_name.ilike.{pattern}")
    return builder


async def users_list(request: web.Request) -> web.Response:
    who = await manager(request)
    filters = _filters(request)
    page = int(filters.get("p", "1"))
    builder = auth_rest(request, who).from_("users").select(USER_COLUMNS, count=CountMethod.exact)
    offset = (page - 1) * PER_PAGE
    result = await execute(
        _apply(builder, filters).order("id").range(offset, offset + PER_PAGE - 1)
    )
    users = [{**u, "locked": is_locked(u)} for u in result.data]
    total = int(result.count or 0)
    keep = {k: v for k, v in filters.items() if k != "p"}
    context = {
        "title": "Users",
        "users": users,
        "total": total,
        "filters": filters,
        "tiers": TIERS,
        "page": page,
        "pages": max(1, -(-total // PER_PAGE)),
        "query_with": lambda k, v: urlencode({**keep, k: v}),
        "query_without": lambda k: urlencode({n: v for n, v in keep.items() if n != k}),
    }
    return chrome.render(request, "users/list.html", context)


# --- new and edit ---------------------------------------------------------------------------------


def _values(form: Any, tiers: list[str]) -> tuple[dict[str, Any], dict[str, str]]:
    values = {
        "email": str(form.get("email", ""))[:254].strip(),
        "display_name": str(form.get("display_name", ""))[:200].strip(),
        "role": str(form.get("role", "user")),
        "is_active": form.get("is_active") == "on",
        "must_change_password": form.get("must_change_password") == "on",
    }
    errors = {}
    if not values["email"]:
        errors["email"] = "Email is required."
    if values["role"] not in tiers:
        errors["role"] = "Choose a tier up to your own."
    return values, errors


def _form(
    request: web.Request,
    who: chrome.Who,
    values: dict[str, Any],
    key: int | None = None,
    errors: dict[str, str] | None = None,
    form_error: str = "",
    status: int = 200,
) -> web.Response:
    context = {
        "title": f"Change user {key}" if key else "Add user",
        "key": key,
        "values": values,
        "tiers": tiers_up_to(who.identity.tier),
        "errors": errors or {},
        "form_error": form_error,
    }
    return chrome.render(request, "users/form.html", context, status=status)


def refusal(exc: RestFailure) -> str:
    """The database's own words for a refused write (rank guards, constraints, RLS)."""
    if exc.code == "23505" and "email" in exc.message:
        return "That email address already has an account."
    if exc.code == "23514" and "email" in exc.message:
        return "That is not an email address."
    if exc.status in (401, 403) and "permission denied" in exc.message:
        return "The database refused this for your account: permission denied."
    return exc.message


async def new_page(request: web.Request) -> web.Response:
    who = await manager(request)
    return _form(request, who, {"role": "user", "is_active": True})


async def new(request: web.Request) -> web.StreamResponse:
    who = await manager(request)
    chrome.writable()
    values, errors = _values(await request.post(), tiers_up_to(who.identity.tier))
    if errors:
        return _form(request, who, values, errors=errors, status=400)
    client = auth_rest(request, who)
    try:  # minimal: a representation would return password_hash, which no tier may read
        await execute(client.from_("users").insert(values, returning=ReturnMethod.minimal))
    except RestFailure as exc:
        return _form(request, who, values, form_error=refusal(exc), status=_status(exc))
    found = client.from_("users").select("id").eq("email", values["email"].lower()).limit(1)
    rows = (await execute(found)).data
    if not rows:
        return chrome.redirect(request, "/admin/users", f"User {values['email']} was added.")
    key = rows[0]["id"]
    message = f"User {values['email']} was added. Set a password with Reset password."
    return chrome.redirect(request, f"/admin/users/{key}", message)


def _status(exc: RestFailure) -> int:
    return exc.status if 400 <= exc.status < 500 else 400


async def edit_page(request: web.Request) -> web.Response:
    who = await manager(request)
    key = chrome.object_id(request)
    return _form(request, who, await fetch_user(request, who, key), key)


async def edit(request: web.Request) -> web.StreamResponse:
    who = await manager(request)
    chrome.writable()
    key = chrome.object_id(request)
    await fetch_user(request, who, key)
    tiers = tiers_up_to(who.identity.tier)
    values, errors = _values(await request.post(), tiers)
    if errors:
        return _form(request, who, values, key, errors=errors, status=400)
    builder = auth_rest(request, who).from_("users").update(values, **_MINIMAL).eq("id", key)
    try:
        result = await execute(builder)
    except RestFailure as exc:
        return _form(request, who, values, key, form_error=refusal(exc), status=_status(exc))
    if not result.count:
        return _form(
            request, who, values, key, form_error="Nothing changed: not allowed.", status=403
        )
    return chrome.redirect(request, f"/admin/users/{key}", f"User {values['email']} was changed.")


# --- delete ---------------------------------------------------------------------------------------


async def delete_page(request: web.Request) -> web.Response:
    who = await manager(request)
    user = await fetch_user(request, who, chrome.object_id(request))
    return chrome.render(request, "users/delete.html", {"title": "Delete user", "user": user})


async def delete(request: web.Request) -> web.StreamResponse:
    who = await manager(request)
    chrome.writable()
    key = chrome.object_id(request)
    user = await fetch_user(request, who, key)
    try:
        builder = auth_rest(request, who).from_("users").delete(**_MINIMAL).eq("id", key)
        result = await execute(builder)
    except RestFailure as exc:
        raise chrome.AdminError(_status(exc), refusal(exc)) from None
    if not result.count:
        raise chrome.AdminError(403, "The database refused this for your account.")
    return chrome.redirect(request, "/admin/users", f"User {user['email']} was deleted.")


# --- the view and its tabs ------------------------------------------------------------------------


async def view(request: web.Request) -> web.Response:
    who = await manager(request)
    key = chrome.object_id(request)
    tab = request.query.get("tab", "profile")
    if tab not in TABS:
        raise chrome.AdminError(400, f"{tab[:40]!r} is not a tab: {', '.join(TABS)}.")
    user = await fetch_user(request, who, key)
    context = {"title": user["email"], "user": user, "tab": tab, "tabs": TABS}
    context.update(await _TAB_LOADERS[tab](request, who, user))
    return chrome.render(request, "users/view.html", context)


async def _profile(request: web.Request, who: chrome.Who, user: dict[str, Any]) -> dict[str, Any]:
    return {"is_self": user["id"] == who.identity.user_id}


async def _sessions(request: web.Request, who: chrome.Who, user: dict[str, Any]) -> dict[str, Any]:
    builder = (
        auth_rest(request, who)
        .from_("sessions")
        .select("id,created_at,last_seen_at,absolute_expires_at,elevated_until,ip,user_agent")
        .eq("user_id", user["id"])
        .is_("revoked_at", "null")
        .gt("absolute_expires_at", now_iso())
        .order("created_at", desc=True)
        .limit(100)
    )
    return {"sessions": (await execute(builder)).data}


async def _groups(request: web.Request, who: chrome.Who, user: dict[str, Any]) -> dict[str, Any]:
    client = auth_rest(request, who)
    groups = (
        await execute(client.from_("groups").select("id,name,description").order("name"))
    ).data
    member = await _member_of(request, who, user["id"])
    return {"groups": groups, "member_of": member}


async def _member_of(request: web.Request, who: chrome.Who, key: int) -> set[int]:
    builder = auth_rest(request, who).from_("user_groups").select("group_id").eq("user_id", key)
    return {int(r["group_id"]) for r in (await execute(builder)).data}


async def _permissions(
    request: web.Request, who: chrome.Who, user: dict[str, Any]
) -> dict[str, Any]:
    """Effective permissions: direct, through groups and from the tier (administrators and
    developers hold every permission: auth.has_perm)."""
    client = auth_rest(request, who)
    everything = await execute(client.from_("permissions").select("codename").order("codename"))
    direct_rows = await execute(
        client.from_("user_permissions").select("codename").eq("user_id", user["id"])
    )
    member = await _member_of(request, who, user["id"])
    via: dict[str, list[str]] = {}
    if member:
        names = await execute(client.from_("groups").select("id,name").in_("id", sorted(member)))
        name_of = {int(g["id"]): g["name"] for g in names.data}
        links = await execute(
            client.from_("group_permissions")
            .select("group_id,codename")
            .in_("group_id", sorted(member))
        )
        for link in links.data:
            via.setdefault(link["codename"], []).append(name_of.get(int(link["group_id"]), "?"))
    direct = {r["codename"] for r in direct_rows.data}
    from_tier = user["role"] in MANAGERS and user["is_active"]
    rows = [
        {
            "codename": p["codename"],
            "direct": p["codename"] in direct,
            "groups": sorted(via.get(p["codename"], [])),
            "tier": from_tier,
        }
        for p in everything.data
    ]
    return {"permissions": rows, "from_tier": from_tier}


async def _history(request: web.Request, who: chrome.Who, user: dict[str, Any]) -> dict[str, Any]:
    builder = (
        chrome.rest_schema(request, who, "audit")
        .from_("events")
        .select("id,occurred_at,event,actor_id,summary,correlation_id,metadata")
        .eq("target_table", "auth.users")
        .eq("target_id", str(user["id"]))
        .order("id", desc=True)
        .limit(100)
    )
    events = (await execute(builder)).data
    for e in events:
        metadata = e.get("metadata") or {}
        e["reason"] = metadata.get("reason") or metadata.get("action_reason") or ""
        e["via"] = metadata.get("via") or ""
    return {"events": events}


_TAB_LOADERS = {
    "profile": _profile,
    "sessions": _sessions,
    "groups": _groups,
    "permissions": _permissions,
    "history": _history,
}


async def set_groups(request: web.Request) -> web.StreamResponse:
    """The groups tab's form: add and remove memberships (the cross-rank trigger applies)."""
    who = await manager(request)
    chrome.writable()
    key = chrome.object_id(request)
    await fetch_user(request, who, key)
    form = await request.post()
    wanted = {int(v) for v in form.getall("group", []) if isinstance(v, str) and v.isdigit()}
    current = await _member_of(request, who, key)
    client = auth_rest(request, who)
    back = f"/admin/users/{key}?tab=groups"
    try:
        if wanted - current:
            rows = [{"user_id": key, "group_id": g} for g in sorted(wanted - current)]
            await execute(client.from_("user_groups").insert(rows))
        if current - wanted:
            builder = client.from_("user_groups").delete().eq("user_id", key)
            await execute(builder.in_("group_id", sorted(current - wanted)))
    except RestFailure as exc:
        return chrome.redirect(request, back, refusal(exc), "error")
    return chrome.redirect(request, back, "Groups saved.")


async def revoke_session(request: web.Request) -> web.StreamResponse:
    """Revoke one session from the sessions tab (auth.admin_revoke_session: no re-auth)."""
    who = await manager(request)
    chrome.writable()
    key = chrome.object_id(request)
    raw = request.match_info["sid"]
    back = f"/admin/users/{key}?tab=sessions"
    try:
        done = await admin_actions.admin_revoke_one(request, who.identity, int(raw))
    except AuthError as exc:
        return chrome.redirect(request, back, exc.message, "error")
    if not done:
        return chrome.redirect(request, back, f"Session {raw} had already ended.", "warning")
    return chrome.redirect(request, back, f"Session {raw} revoked.")


ROUTES = [
    ("GET", "/admin/users", users_list),
    ("GET", "/admin/users/new", new_page),
    ("POST", "/admin/users/new", new),
    ("GET", r"/admin/users/{id:\d+}", view),
    ("GET", r"/admin/users/{id:\d+}/edit", edit_page),
    ("POST", r"/admin/users/{id:\d+}/edit", edit),
    ("GET", r"/admin/users/{id:\d+}/delete", delete_page),
    ("POST", r"/admin/users/{id:\d+}/delete", delete),
    ("POST", r"/admin/users/{id:\d+}/groups", set_groups),
    ("POST", r"/admin/users/{id:\d+}/sessions/{sid:\d{1,18}}/revoke", revoke_session),
]
