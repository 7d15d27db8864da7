"""Bulk delete and bulk actions: a confirm page listing the chosen rows (or the count of every
matching row, select-all-matching), then one POST. Actions are SQL functions called through the
REST dialect's RPC with the ids; they report each skipped row with its reason."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from multidict import MultiDict, MultiDictProxy

from webui.admin import chrome, listing
from webui.admin.client import RestFailure, execute
from webui.admin.registry import AdminResource
from webui.admin.views_edit import cascade_preview

MAX_IDS = 10_000
SHOWN = 100
_CHUNK = 500


class _ListRequest:
    """The changelist's query string, replayed for listing.parse (select-all-matching)."""

    def __init__(self, query: str) -> None:
        self.query = MultiDictProxy(MultiDict(parse_qsl(query.lstrip("?"))))


def _ids(form: MultiDictProxy[Any]) -> list[int]:
    raw = form.getall("ids", [])
    if len(raw) > MAX_IDS:
        raise chrome.AdminError(
            413, f"At most {MAX_IDS:,} rows at once: select all matching instead."
        )
    ids = []
    for value in raw:
        text = str(value)
        if not text.isdigit() or len(text) > 18:
            raise chrome.AdminError(400, "A selected id is not a positive integer.")
        ids.append(int(text))
    return sorted(set(ids))


def _action(r: AdminResource, name: str) -> Any:
    if name == "delete":
        return None
    found = next((a for a in r.options.bulk_actions if a.name == name), None)
    if found is None:
        raise chrome.AdminError(400, f"Unknown action {name[:60]!r}.")
    return found


async def _matching_ids(
    request: web.Request, who: chrome.Who, r: AdminResource, query: str
) -> list[int]:
    state = listing.parse(_ListRequest(query), r)  # type: ignore[arg-type]
    page = listing.page_limit(r, MAX_IDS + 1)  # the REST dialect serves max_limit keys a read
    ids: list[int] = []
    while len(ids) <= MAX_IDS:
        builder = listing.apply(chrome.rest(request, who, r).from_(r.name).select(r.key), r, state)
        if ids:
            builder = builder.gt(r.key, ids[-1])
        rows = (await execute(builder.order(r.key).limit(page))).data
        ids += [int(row[r.key]) for row in rows]
        if len(rows) < page:
            break
    if len(ids) > MAX_IDS:
        raise chrome.AdminError(413, f"More than {MAX_IDS:,} rows match: narrow the filters first.")
    return ids


async def bulk(request: web.Request) -> web.StreamResponse:
    who = await chrome.staff(request)
    r = chrome.resource_or_404(request)
    chrome.writable()
    form = await request.post()
    action = _action(r, str(form.get("action", "")))
    query = str(form.get("_query", ""))[:4000]
    across = form.get("select_across") == "1"
    ids = await _matching_ids(request, who, r, query) if across else _ids(form)
    if not ids:
        return chrome.redirect(
            request, f"/admin/{r.name}{query}", "Select some rows first.", "error"
        )
    if form.get("confirmed") != "1":
        return await _confirm(request, who, r, action, ids, query, across)
    if action is None:
        return await _delete_many(request, who, r, ids, query)
    return await _run_action(request, who, r, action, ids, query)


async def _confirm(
    request: web.Request,
    who: chrome.Who,
    r: AdminResource,
    action: Any,
    ids: list[int],
    query: str,
    across: bool,
) -> web.Response:
    columns = ",".join(dict.fromkeys([r.key, r.display]))
    builder = chrome.rest(request, who, r).from_(r.name).select(columns)
    shown = listing.page_limit(r, SHOWN)
    rows = (await execute(builder.in_(r.key, ids[:shown]).order(r.key).limit(shown))).data
    related = await cascade_preview(request, who, r, ids) if action is None else []
    context = {
        "title": "Are you sure?",
        "r": r,
        "action": action,
        "ids": [] if across else ids,
        "count": len(ids),
        "rows": rows,
        "more": max(0, len(ids) - SHOWN),
        "query": query,
        "across": across,
        "related": related,
    }
    return chrome.render(request, "bulk_confirm.html", context)


async def _delete_many(
    request: web.Request, who: chrome.Who, r: AdminResource, ids: list[int], query: str
) -> web.StreamResponse:
    deleted = 0
    for start in range(0, len(ids), _CHUNK):
        builder = (
            chrome.rest(request, who, r)
            .from_(r.name)
            .delete()
            .in_(r.key, ids[start : start + _CHUNK])
        )
        try:
            deleted += len((await execute(builder)).data)
        except RestFailure as exc:
            if exc.code == "23503":
                raise chrome.AdminError(
                    409, "Other rows still refer to some of these: nothing more was deleted."
                ) from None
            raise
    skipped = len(ids) - deleted
    message = f"Deleted {deleted} of {len(ids)} {r.name}" + (
        f" ({skipped} not found or not yours to delete)." if skipped else "."
    )
    return chrome.redirect(
        request, f"/admin/{r.name}{query}", message, "success" if not skipped else "warning"
    )


async def _run_action(
    request: web.Request, who: chrome.Who, r: AdminResource, action: Any, ids: list[int], query: str
) -> web.Response:
    client = chrome.rest(request, who, r)
    result = (await execute(client.rpc(action.name, {"ids": ids}))).data
    if not isinstance(result, dict):
        raise chrome.AdminError(502, f"The action {action.name} did not return a report.")
    failed = [f for f in result.get("failed", []) if isinstance(f, dict)]
    context = {
        "title": action.label,
        "r": r,
        "action": action,
        "message": str(result.get("message", "")),
        "succeeded": result.get("succeeded", 0),
        "failed": failed,
        "query": query,
    }
    return chrome.render(request, "bulk_result.html", context)
