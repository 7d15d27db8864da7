"""Global history for administrators: audit.events through the REST dialect (`audit` profile),
filtered by resource, event type, actor, correlation id and date."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from webui.admin import chrome
from webui.admin.client import RestFailure, execute
from webui.admin.registry import REGISTRY
from webui.admin.views_edit import via

PER_PAGE = 50
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EVENT = re.compile(r"^[a-z_]{1,64}$")
_CORRELATION = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
FILTERS = ("resource", "event", "actor", "correlation_id", "since", "until", "p")


def _filters(request: web.Request) -> dict[str, str]:
    query = request.query
    unknown = set(query) - set(FILTERS)
    if unknown:
        raise chrome.AdminError(400, f"Unknown filter {sorted(unknown)[0][:60]!r}.")
    tables = {r.resource.qualified for r in request.app[REGISTRY].resources.values()}
    checks = {
        "resource": lambda v: v in tables,
        "event": lambda v: bool(_EVENT.match(v)),
        "actor": lambda v: v.isdigit() and len(v) <= 18,
        "correlation_id": lambda v: bool(_CORRELATION.match(v)),
        "since": lambda v: bool(_DATE.match(v)),
        "until": lambda v: bool(_DATE.match(v)),
        "p": lambda v: v.isdigit() and 0 < len(v) <= 6 and int(v) > 0,
    }
    found = {}
    for name, value in query.items():
        if value and not checks[name](value):
            raise chrome.AdminError(400, f"{value[:60]!r} is not a valid {name.replace('_', ' ')}.")
        if value:
            found[name] = value
    return found


def _apply(builder: Any, filters: dict[str, str]) -> Any:
    if "resource" in filters:
        builder = builder.eq("target_table", filters["resource"])
    if "event" in filters:
        builder = builder.eq("event", filters["event"])
    if "actor" in filters:
        builder = builder.eq("actor_id", filters["actor"])
    if "correlation_id" in filters:
        builder = builder.eq("correlation_id", filters["correlation_id"])
    if "since" in filters:
        builder = builder.gte("occurred_at", filters["since"])
    if "until" in filters:
        builder = builder.lt("occurred_at", filters["until"] + "T23:59:59.999999+00:00")
    return builder


async def global_history(request: web.Request) -> web.Response:
    who = await chrome.staff(request)
    if who.identity.tier not in ("administrator", "developer"):
        raise chrome.AdminError(403, "The global history is for administrators.")
    filters = _filters(request)
    page = int(filters.get("p", "1"))
    client = chrome.rest_schema(request, who, "audit")
    columns = (
        "id,occurred_at,event,actor_id,db_role,set_role,correlation_id,target_table,target_id,"
        "summary"
    )
    builder = _apply(client.from_("events").select(columns), filters)
    offset = (page - 1) * PER_PAGE
    try:
        rows = (await execute(builder.order("id", desc=True).range(offset, offset + PER_PAGE))).data
    except RestFailure as exc:
        if exc.status in (401, 403, 404):
            raise chrome.AdminError(
                403, "The audit trail is not visible to your account."
            ) from None
        raise
    more = len(rows) > PER_PAGE
    kept = {k: v for k, v in filters.items() if k != "p"}
    context = {
        "title": "History",
        "events": [{**e, "via": via(e)} for e in rows[:PER_PAGE]],
        "filters": kept,
        "resources": sorted(r.resource.qualified for r in request.app[REGISTRY].resources.values()),
        "page": page,
        "next_query": "?" + urlencode({**kept, "p": page + 1}) if more else "",
        "prev_query": "?" + urlencode({**kept, "p": page - 1}) if page > 1 else "",
    }
    return chrome.render(request, "global_history.html", context)
