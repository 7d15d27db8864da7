"""Add, edit (stale edits refused), delete (with a cascade preview), history with field diffs
and restore: every read and write through the REST dialect as the user."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web
from postgrest.types import CountMethod

from webui.admin import chrome, forms, listing
from webui.admin.client import RestFailure, execute
from webui.admin.registry import REGISTRY, AdminResource
from webui.admin.views_list import SELECT_WIDGET_MAX, lookup_choices

REDACTED = "<redacted>"


async def fetch_row(
    request: web.Request, who: chrome.Who, r: AdminResource, key: int
) -> dict[str, Any]:
    builder = chrome.rest(request, who, r).from_(r.name).select("*").eq(r.key, key).limit(1)
    rows = (await execute(builder)).data
    if not rows:
        raise chrome.AdminError(404, f"No {r.name} {key}, or it is not visible to your account.")
    return dict(rows[0])


async def _fk_choices(
    request: web.Request, who: chrome.Who, r: AdminResource
) -> dict[str, list[tuple[str, str]]]:
    """A select for each foreign key whose target is small (no JS needed); None → autocomplete.
    The lookups run concurrently."""
    registry = request.app[REGISTRY]
    wanted = [
        (f.name, target)
        for f in r.form_fields
        if f.references and (target := registry.get(f.references)) and r.editable(f)
    ]
    asked = [listing.page_limit(t, SELECT_WIDGET_MAX + 1) for _, t in wanted]  # ≤ max_limit
    lists = await asyncio.gather(
        *(lookup_choices(request, who, t, "", n) for (_, t), n in zip(wanted, asked, strict=True))
    )
    return {  # a select only when every row was read
        name: choices
        for (name, _), choices, n in zip(wanted, lists, asked, strict=True)
        if len(choices) < n
    }


FormParts = tuple[dict[str, list[tuple[str, str]]], list[dict[str, Any]], bool, bool]


async def _form_parts(
    request: web.Request, who: chrome.Who, r: AdminResource, key: int | None
) -> FormParts:
    """What a form shows besides the row (its select choices, inlines, which buttons), at once."""
    fk, inlines, may_delete, may_save = await asyncio.gather(
        _fk_choices(request, who, r),
        _inlines(request, who, r, key),
        chrome.may(request, who, r, "delete"),
        chrome.may(request, who, r, "create" if key is None else "update"),
    )
    return fk, inlines, may_delete, may_save


async def _render_form(
    request: web.Request,
    who: chrome.Who,
    r: AdminResource,
    values: dict[str, Any],
    *,
    key: int | None = None,
    errors: dict[str, str] | None = None,
    form_error: str = "",
    version: str = "",
    original: dict[str, Any] | None = None,
    stale: list[tuple[str, Any, Any]] | None = None,
    status: int = 200,
    parts: FormParts | None = None,
) -> web.Response:
    fk, inlines, may_delete, may_save = parts or await _form_parts(request, who, r, key)
    sets = [
        (title, [forms.widget(r, f, values.get(f.name), fk) for f in fs])
        for title, fs in r.fieldsets()
    ]
    context = {
        "title": f"Change {r.name.rstrip('s')} {key}"
        if key is not None
        else f"Add {r.name.rstrip('s')}",
        "r": r,
        "key": key,
        "fieldsets": sets,
        "errors": errors or {},
        "form_error": form_error,
        "version": version,
        "original": json.dumps(original or {}, default=str),
        "stale": stale,
        "inlines": inlines,
        "may_delete": key is not None and may_delete,
        "may_save": may_save,
    }
    return chrome.render(request, "form.html", context, status=status)


async def _inlines(
    request: web.Request, who: chrome.Who, r: AdminResource, key: int | None
) -> list[dict[str, Any]]:
    """The first rows of each inline child of object `key` (none on an add page), concurrently."""
    if key is None:
        return []
    registry = request.app[REGISTRY]
    wanted = []
    for name in r.options.inlines:
        child = registry.get(name)
        fk = (
            next((f for f in child.resource.fields if f.references == r.name), None)
            if child
            else None
        )
        if child is not None and fk is not None:
            wanted.append((child, fk.name))
    found = await asyncio.gather(*(_inline(request, who, child, fk, key) for child, fk in wanted))
    return [inline for inline in found if inline is not None]


async def _inline(
    request: web.Request, who: chrome.Who, child: AdminResource, fk: str, key: int
) -> dict[str, Any] | None:
    columns = ",".join(dict.fromkeys([child.key, *child.options.list_display]))
    builder = (
        chrome.rest(request, who, child).from_(child.name).select(columns, count=CountMethod.exact)
    )
    try:
        result = await execute(builder.eq(fk, key).order(child.key).limit(20))
    except RestFailure:
        return None
    return {"r": child, "rows": result.data, "count": result.count or 0, "fk": fk}


async def add_page(request: web.Request) -> web.Response:
    who = await chrome.staff(request)
    r = chrome.resource_or_404(request)
    defaults = {f.name: f.default for f in r.resource.fields if f.default is not None}
    return await _render_form(request, who, r, defaults)


async def add(request: web.Request) -> web.StreamResponse:
    who = await chrome.staff(request)
    r = chrome.resource_or_404(request)
    chrome.writable()
    values, errors, raw = forms.parse_form(r, await request.post())
    if errors:
        return await _render_form(request, who, r, raw, errors=errors, status=400)
    try:
        result = await execute(chrome.rest(request, who, r).from_(r.name).insert(values))
    except RestFailure as exc:
        return await _write_refused(request, who, r, exc, raw)
    created = result.data[0] if result.data else {}
    key = created.get(r.key)
    form = await request.post()
    target = f"/admin/{r.name}/{key}/edit" if "_continue" in form else f"/admin/{r.name}"
    if "_addanother" in form:
        target = f"/admin/{r.name}/new"
    return chrome.redirect(
        request, target, f"The {r.name.rstrip('s')} “{created.get(r.display, key)}” was added."
    )


async def _write_refused(
    request: web.Request,
    who: chrome.Who,
    r: AdminResource,
    exc: RestFailure,
    raw: dict[str, Any],
    **kw: Any,
) -> web.Response:
    if not exc.code.startswith(("23", "22")):
        raise exc
    field, message = forms.constraint_error(r, exc)
    if field and r.field(field):
        return await _render_form(request, who, r, raw, errors={field: message}, status=400, **kw)
    return await _render_form(request, who, r, raw, form_error=message, status=400, **kw)


async def edit_page(request: web.Request) -> web.Response:
    who = await chrome.staff(request)
    r = chrome.resource_or_404(request)
    key = chrome.object_id(request)
    row, parts = await asyncio.gather(
        fetch_row(request, who, r, key), _form_parts(request, who, r, key)
    )
    return await _render_form(
        request, who, r, row, key=key, version=forms.row_version(row), original=row, parts=parts
    )


def _original(form: Any) -> dict[str, Any]:
    try:
        value = json.loads(str(form.get("_original", "{}")))
    except ValueError:
        raise chrome.AdminError(400, "The form is damaged: reload the page.") from None
    if not isinstance(value, dict):
        raise chrome.AdminError(400, "The form is damaged: reload the page.")
    return value


async def edit(request: web.Request) -> web.StreamResponse:
    who = await chrome.staff(request)
    r = chrome.resource_or_404(request)
    key = chrome.object_id(request)
    chrome.writable()
    form = await request.post()
    original, version = _original(form), str(form.get("_version", ""))
    values, errors, raw = forms.parse_form(r, form)
    kw = {"key": key, "version": version, "original": original}
    if errors:
        return await _render_form(request, who, r, raw, errors=errors, status=400, **kw)
    # the update below is conditional on every value the form loaded, so it cannot overwrite a
    # newer version; the row is read first only when the form's own version does not add up
    if forms.row_version(original) != version:
        current = await fetch_row(request, who, r, key)
        stale = forms.changed_fields(r, original, current)
        kw = {"key": key, "version": forms.row_version(current), "original": current}
        message = "Someone changed this object since you opened it: nothing was saved."
        return await _render_form(
            request, who, r, raw, form_error=message, stale=stale, status=409, **kw
        )
    builder = chrome.rest(request, who, r).from_(r.name).update(values).eq(r.key, key)
    for name, value in original.items():  # the update applies only to the version the form saw
        f = r.field(name)
        if f is not None and f.type != "jsonb":
            builder = builder.is_(name, "null") if value is None else builder.eq(name, value)
    try:
        result = await execute(builder)
    except RestFailure as exc:
        return await _write_refused(request, who, r, exc, raw, **kw)
    if not result.data:
        latest = await fetch_row(request, who, r, key)
        if forms.row_version(latest) == version:
            raise chrome.AdminError(403, "The database refused this change for your account.")
        stale = forms.changed_fields(r, original, latest)
        kw = {"key": key, "version": forms.row_version(latest), "original": latest}
        message = "Someone changed this object since you opened it: nothing was saved."
        return await _render_form(
            request, who, r, raw, form_error=message, stale=stale, status=409, **kw
        )
    target = f"/admin/{r.name}/{key}/edit" if "_continue" in form else f"/admin/{r.name}"
    return chrome.redirect(
        request,
        target,
        f"The {r.name.rstrip('s')} “{result.data[0].get(r.display, key)}” was changed.",
    )


# --- delete ---------------------------------------------------------------------------------------


async def cascade_preview(
    request: web.Request, who: chrome.Who, r: AdminResource, keys: list[int]
) -> list[dict[str, Any]]:
    """For each resource referencing this one: how many of its rows point at `keys`, counted
    through REST as the user, and whether the delete removes them (cascade) or is blocked."""
    found = []
    for child, fk in request.app[REGISTRY].children(r.name):
        builder = (
            chrome.rest(request, who, child)
            .from_(child.name)
            .select(child.key, count=CountMethod.exact, head=True)
        )
        try:
            count = int((await execute(builder.in_(fk.name, keys[:500]).limit(1))).count or 0)
        except RestFailure:
            count = -1
        if count:
            found.append({"r": child, "field": fk.name, "count": count, "on_delete": fk.on_delete})
    return found


async def delete_page(request: web.Request) -> web.Response:
    who = await chrome.staff(request)
    r = chrome.resource_or_404(request)
    key = chrome.object_id(request)
    row = await fetch_row(request, who, r, key)
    related = await cascade_preview(request, who, r, [key])
    context = {"title": "Are you sure?", "r": r, "key": key, "row": row, "related": related}
    return chrome.render(request, "delete.html", context)


async def delete(request: web.Request) -> web.StreamResponse:
    who = await chrome.staff(request)
    r = chrome.resource_or_404(request)
    key = chrome.object_id(request)
    chrome.writable()
    builder = chrome.rest(request, who, r).from_(r.name).delete().eq(r.key, key)
    try:
        result = await execute(builder)
    except RestFailure as exc:
        if exc.code == "23503":
            raise chrome.AdminError(
                409, "Other rows still refer to this object: delete or change them first."
            ) from None
        raise
    if not result.data:
        raise chrome.AdminError(404, f"No {r.name} {key} you may delete.")
    return chrome.redirect(
        request, f"/admin/{r.name}", f"The {r.name.rstrip('s')} {key} was deleted."
    )


# --- history --------------------------------------------------------------------------------------


def via(event: dict[str, Any]) -> str:
    """Through which path: the admin (its correlation ids start with adm-), the REST API, or a
    DBA's SQL session."""
    if str(event.get("correlation_id") or "").startswith("adm-"):
        return "admin"
    if event.get("set_role"):
        return "REST API"
    return f"SQL ({event.get('db_role')})"


def diffs(r: AdminResource, event: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    before, after = event.get("before") or {}, event.get("after") or {}
    names = [f.name for f in r.resource.fields]
    return [
        (n.replace("_", " "), before.get(n), after.get(n))
        for n in names
        if before.get(n) != after.get(n)
    ]


async def history(request: web.Request) -> web.Response:
    who = await chrome.staff(request)
    r = chrome.resource_or_404(request)
    key = chrome.object_id(request)
    client = chrome.rest_schema(request, who, "audit")
    builder = client.from_("row_history").select("*").eq("target_table", r.resource.qualified)
    try:
        events = (
            await execute(
                builder.eq("target_id", str(key)).order("occurred_at", desc=True).limit(200)
            )
        ).data
    except RestFailure as exc:
        if exc.status in (401, 403, 404):
            raise chrome.AdminError(
                403, "The audit trail of this object is not visible to your account."
            ) from None
        raise
    shown = [{**e, "via": via(e), "diffs": diffs(r, e)} for e in events]
    context = {
        "title": f"History of {r.name.rstrip('s')} {key}",
        "r": r,
        "key": key,
        "events": shown,
        "may_restore": await chrome.may(request, who, r, "update"),
    }
    return chrome.render(request, "history.html", context)


async def restore(request: web.Request) -> web.StreamResponse:
    """Write a past version's values back as an ordinary, audited update through REST."""
    who = await chrome.staff(request)
    r = chrome.resource_or_404(request)
    key = chrome.object_id(request)
    chrome.writable()
    raw_event = request.match_info.get("event", "")
    if not raw_event.isdigit() or len(raw_event) > 18:
        raise chrome.AdminError(404, "An event id is a positive integer.")
    client = chrome.rest_schema(request, who, "audit")
    builder = client.from_("row_history").select("id,target_table,target_id,after")
    rows = (await execute(builder.eq("id", int(raw_event)).limit(1))).data
    if (
        not rows
        or rows[0]["target_table"] != r.resource.qualified
        or rows[0]["target_id"] != str(key)
    ):
        raise chrome.AdminError(404, "No such version of this object.")
    image = rows[0].get("after") or {}
    values = {
        f.name: image[f.name]
        for f in r.resource.fields
        if r.editable(f) and f.name in image and image[f.name] != REDACTED
    }
    if not values:
        raise chrome.AdminError(400, "That version has no values to restore.")
    result = await execute(chrome.rest(request, who, r).from_(r.name).update(values).eq(r.key, key))
    if not result.data:
        raise chrome.AdminError(404, f"No {r.name} {key} you may change.")
    return chrome.redirect(
        request, f"/admin/{r.name}/{key}/history", f"Restored the version of event {raw_event}."
    )
