"""Groups in the admin, for administrators and developers: list, new, edit with a permission
matrix (resources × view/add/change/delete), delete. Rows go through the REST dialect's `auth`
profile as the signed-in user (auth.groups and auth.group_permissions: grants and row policies
of sql/auth/29_users_access.sql decide). Doctrine: docs/admin.md, "Users and groups"."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from webui.admin import chrome
from webui.admin.client import RestFailure, execute
from webui.admin.users_pages import auth_rest, manager, refusal

ACTIONS = ("view", "add", "change", "delete")


async def _group(request: web.Request, who: chrome.Who, key: int) -> dict[str, Any]:
    builder = auth_rest(request, who).from_("groups").select("id,name,description,auto_actions")
    rows = (await execute(builder.eq("id", key).limit(1))).data
    if not rows:
        raise chrome.AdminError(404, f"No group {key}, or it is not visible to your account.")
    return dict(rows[0])


async def groups_list(request: web.Request) -> web.Response:
    who = await manager(request)
    client = auth_rest(request, who)
    groups = (
        await execute(
            client.from_("groups").select("id,name,description,auto_actions").order("name")
        )
    ).data
    members = (await execute(client.from_("user_groups").select("group_id"))).data
    grants = (await execute(client.from_("group_permissions").select("group_id"))).data
    for g in groups:
        g["members"] = sum(1 for m in members if m["group_id"] == g["id"])
        g["grants"] = sum(1 for p in grants if p["group_id"] == g["id"])
    return chrome.render(request, "groups/list.html", {"title": "Groups", "groups": groups})


async def _matrix(
    request: web.Request, who: chrome.Who, key: int | None
) -> list[tuple[str, list[tuple[str, str | None, bool]]]]:
    """[(resource, [(action, codename or None, granted)])], resources in name order."""
    client = auth_rest(request, who)
    perms = (await execute(client.from_("permissions").select("codename").order("codename"))).data
    granted: set[str] = set()
    if key is not None:
        links = client.from_("group_permissions").select("codename").eq("group_id", key)
        granted = {r["codename"] for r in (await execute(links)).data}
    by_resource: dict[str, set[str]] = {}
    for p in perms:
        resource, _, act = p["codename"].partition(".")
        by_resource.setdefault(resource, set()).add(act)
    return [
        (
            resource,
            [
                (a, f"{resource}.{a}" if a in acts else None, f"{resource}.{a}" in granted)
                for a in ACTIONS
            ],
        )
        for resource, acts in sorted(by_resource.items())
    ]


async def _members(request: web.Request, who: chrome.Who, key: int) -> list[dict[str, Any]]:
    client = auth_rest(request, who)
    ids = [
        r["user_id"]
        for r in (
            await execute(client.from_("user_groups").select("user_id").eq("group_id", key))
        ).data
    ]
    if not ids:
        return []
    users = client.from_("users").select("id,email,role").in_("id", ids).order("email")
    return list((await execute(users)).data)


async def _form(
    request: web.Request,
    who: chrome.Who,
    values: dict[str, Any],
    key: int | None = None,
    error: str = "",
    status: int = 200,
) -> web.Response:
    context = {
        "title": f"Change group {values.get('name', key)}" if key else "Add group",
        "key": key,
        "values": values,
        "actions": ACTIONS,
        "matrix": await _matrix(request, who, key),
        "members": await _members(request, who, key) if key else [],
        "error": error,
    }
    return chrome.render(request, "groups/form.html", context, status=status)


def _values(form: Any) -> dict[str, Any]:
    return {
        "name": str(form.get("name", ""))[:63].strip(),
        "description": str(form.get("description", ""))[:500].strip(),
    }


async def new_page(request: web.Request) -> web.Response:
    who = await manager(request)
    return await _form(request, who, {"name": "", "description": ""})


async def new(request: web.Request) -> web.StreamResponse:
    who = await manager(request)
    chrome.writable()
    form = await request.post()
    values = _values(form)
    try:
        result = await execute(auth_rest(request, who).from_("groups").insert(values))
        key = int(result.data[0]["id"])
        await _save_matrix(request, who, key, _wanted(form))
    except RestFailure as exc:
        return await _form(request, who, values, error=_refusal(exc), status=_status(exc))
    return chrome.redirect(
        request, f"/admin/groups/{key}/edit", f"Group {values['name']} was added."
    )


def _refusal(exc: RestFailure) -> str:
    if exc.code.startswith("23") and "name" in exc.message:
        return "Use a unique lowercase name: a letter, then letters, digits, - or _."
    return refusal(exc)


def _status(exc: RestFailure) -> int:
    return exc.status if 400 <= exc.status < 500 else 400


def _wanted(form: Any) -> set[str]:
    return {v for v in form.getall("perm", []) if isinstance(v, str) and len(v) <= 130}


async def _save_matrix(request: web.Request, who: chrome.Who, key: int, wanted: set[str]) -> None:
    client = auth_rest(request, who)
    links = client.from_("group_permissions").select("codename").eq("group_id", key)
    current = {r["codename"] for r in (await execute(links)).data}
    if wanted - current:
        rows = [{"group_id": key, "codename": c} for c in sorted(wanted - current)]
        await execute(client.from_("group_permissions").insert(rows))
    if current - wanted:
        builder = client.from_("group_permissions").delete().eq("group_id", key)
        await execute(builder.in_("codename", sorted(current - wanted)))


async def edit_page(request: web.Request) -> web.Response:
    who = await manager(request)
    key = chrome.object_id(request)
    return await _form(request, who, await _group(request, who, key), key)


async def edit(request: web.Request) -> web.StreamResponse:
    who = await manager(request)
    chrome.writable()
    key = chrome.object_id(request)
    await _group(request, who, key)
    form = await request.post()
    values = _values(form)
    try:
        builder = auth_rest(request, who).from_("groups").update(values).eq("id", key)
        if not (await execute(builder)).data:
            raise chrome.AdminError(403, "The database refused this for your account.")
        await _save_matrix(request, who, key, _wanted(form))
    except RestFailure as exc:
        return await _form(request, who, values, key, _refusal(exc), _status(exc))
    return chrome.redirect(
        request, f"/admin/groups/{key}/edit", f"Group {values['name']} was saved."
    )


async def delete_page(request: web.Request) -> web.Response:
    who = await manager(request)
    group = await _group(request, who, chrome.object_id(request))
    context = {"title": "Delete group", "group": group}
    return chrome.render(request, "groups/delete.html", context)


async def delete(request: web.Request) -> web.StreamResponse:
    who = await manager(request)
    chrome.writable()
    key = chrome.object_id(request)
    group = await _group(request, who, key)
    try:
        result = await execute(auth_rest(request, who).from_("groups").delete().eq("id", key))
    except RestFailure as exc:
        raise chrome.AdminError(_status(exc), refusal(exc)) from None
    if not result.data:
        raise chrome.AdminError(403, "The database refused this for your account.")
    return chrome.redirect(request, "/admin/groups", f"Group {group['name']} was deleted.")


ROUTES = [
    ("GET", "/admin/groups", groups_list),
    ("GET", "/admin/groups/new", new_page),
    ("POST", "/admin/groups/new", new),
    ("GET", r"/admin/groups/{id:\d+}/edit", edit_page),
    ("POST", r"/admin/groups/{id:\d+}/edit", edit),
    ("GET", r"/admin/groups/{id:\d+}/delete", delete_page),
    ("POST", r"/admin/groups/{id:\d+}/delete", delete),
]
