"""Dashboard, changelist, FK lookup and CSV export: reads through the REST dialect as the user."""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from markupsafe import Markup, escape
from postgrest.types import CountMethod

from webui.admin import chrome, listing
from webui.admin.client import RestFailure, execute, stream
from webui.admin.registry import REGISTRY, AdminResource

EXPORT_CHUNK = 5000
LOOKUP_LIMIT = 20
SELECT_WIDGET_MAX = 200


# --- dashboard ------------------------------------------------------------------------------------


async def _estimate(request: web.Request, who: chrome.Who, r: AdminResource) -> int | None:
    """The planner's row estimate (pg_class.reltuples, through Prefer: count=planned), or None
    when the user may not read the resource."""
    builder = chrome.rest(request, who, r).from_(r.name).select(r.key, count=CountMethod.planned)
    try:
        result = await execute(builder.limit(1))
    except RestFailure:
        return None
    return int(result.count or 0)


async def _events(request: web.Request, who: chrome.Who) -> list[dict[str, Any]] | None:
    client = chrome.rest_schema(request, who, "audit")
    builder = client.from_("events").select(
        "id,occurred_at,event,actor_id,target_table,target_id,correlation_id"
    )
    try:
        return list((await execute(builder.order("id", desc=True).limit(10))).data)
    except RestFailure:
        return None


async def _day_count(request: web.Request, who: chrome.Who, start: datetime) -> int:
    client = chrome.rest_schema(request, who, "audit")
    builder = client.from_("events").select("id", count=CountMethod.exact, head=True)
    builder = builder.gte("occurred_at", start.isoformat()).lt(
        "occurred_at", (start + timedelta(days=1)).isoformat()
    )
    try:
        return int((await execute(builder.limit(1))).count or 0)
    except RestFailure:
        return 0


def sparkline(counts: list[int], width: int = 140, height: int = 32) -> Markup:
    """An inline SVG polyline of the counts, drawn by the server."""
    top = max(counts) or 1
    step = width / max(1, len(counts) - 1)
    points = " ".join(
        f"{i * step:.1f},{height - 2 - (c / top) * (height - 4):.1f}" for i, c in enumerate(counts)
    )
    label = escape(", ".join(map(str, counts)))
    return Markup(  # noqa: S704 - numbers and an escaped label only
        f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="Events per day, last 7 days: {label}">'
        f'<polyline fill="none" stroke="currentColor" stroke-width="2" points="{points}"/></svg>'
    )


async def dashboard(request: web.Request) -> web.Response:
    who = await chrome.staff(request)
    resources = sorted(request.app[REGISTRY].resources.values(), key=lambda r: r.label)
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    days = [today - timedelta(days=n) for n in range(6, -1, -1)]
    estimates, events, *counts = await asyncio.gather(
        asyncio.gather(*(_estimate(request, who, r) for r in resources)),
        _events(request, who),
        *(_day_count(request, who, d) for d in days),
    )
    visible = [(r, n) for r, n in zip(resources, estimates, strict=True) if n is not None]
    context = {
        "title": "Site administration",
        "resources": visible,
        "events": events,
        "spark": sparkline(list(counts)) if events is not None else None,
        "spark_total": sum(counts),
        "registry": request.app[REGISTRY],
    }
    return chrome.render(request, "dashboard.html", context)


# --- changelist -----------------------------------------------------------------------------------


async def _count(
    request: web.Request, who: chrome.Who, r: AdminResource, state: listing.ListState
) -> tuple[int, bool]:
    """(count, exact): the planner's estimate when it is beyond `count_threshold`; otherwise an
    exact count made by reading at most threshold + 1 keys (bounded work, unlike count(*), when
    the estimate was wrong), labelled "about" if even those were all there."""
    client = chrome.rest(request, who, r)
    planned = listing.apply(
        client.from_(r.name).select(r.key, count=CountMethod.planned, head=True), r, state
    )
    estimate = int((await execute(planned.limit(1))).count or 0)
    limit = r.options.count_threshold + 1
    if estimate >= limit:
        return estimate, False
    top = r.resource.list.max_limit
    if top is not None and top < limit:
        # the REST dialect serves at most max_limit keys a page: count them exactly (the
        # planner put them below the threshold)
        exact = client.from_(r.name).select(r.key, count=CountMethod.exact, head=True)
        return int((await execute(listing.apply(exact, r, state).limit(1))).count or 0), True
    keys = listing.apply(client.from_(r.name).select(r.key), r, state)
    found = len((await execute(keys.limit(limit))).data)
    return found, found < limit


def select_columns(request: web.Request, r: AdminResource) -> str:
    registry = request.app[REGISTRY]
    columns = [r.key, *[c for c in r.options.list_display if c != r.key]]
    parts = list(dict.fromkeys(columns))
    for name in columns:
        f = r.field(name)
        target = registry.get(f.references) if f and f.references else None
        if target is not None and target.display != target.key:
            parts.append(f"fk_{name}:{name}({target.display})")
    return ",".join(parts)


def when(value: Any) -> str:
    """A timestamp as the admin shows it: UTC, to the minute."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def highlight(text: Any, q: str) -> Markup:
    """The value with every case-insensitive match of q in <mark>, escaped."""
    value = "" if text is None else str(text)
    if not q:
        return escape(value)
    out, lower, needle, start = [], value.lower(), q.lower(), 0
    while (index := lower.find(needle, start)) >= 0:
        out += [
            escape(value[start:index]),
            Markup("<mark>"),
            escape(value[index : index + len(q)]),
            Markup("</mark>"),
        ]
        start = index + len(q)
    out.append(escape(value[start:]))
    return Markup("").join(out)


async def changelist(request: web.Request) -> web.Response:
    who = await chrome.staff(request)
    r = chrome.resource_or_404(request)
    state = listing.parse(request, r)
    client = chrome.rest(request, who, r)
    builder = listing.apply(client.from_(r.name).select(select_columns(request, r)), r, state)
    builder = listing.apply_order(builder, r, state.order)
    offset = (state.page - 1) * state.per_page
    # the count, the page's rows and the filters' choices are independent: one round trip's wait
    (total, exact), page, filters = await asyncio.gather(
        _count(request, who, r, state),
        execute(builder.range(offset, offset + state.per_page - 1)),
        _filter_choices(request, who, r),
    )
    pages = max(1, math.ceil(total / state.per_page))
    if state.page > pages and total:
        raise chrome.AdminError(404, f"There is no page {state.page}: the last page is {pages}.")
    rows = page.data
    context = {
        "title": r.label,
        "r": r,
        "state": state,
        "rows": rows,
        "total": total,
        "exact": exact,
        "pages": pages,
        "page_numbers": listing.page_numbers(state.page, pages),
        "filters": filters,
        "highlight": highlight,
        "when": when,
        "mask": listing.mask,
        "per_page_choices": listing.per_page_choices(r),
        "may_add": await chrome.may(request, who, r, "create"),
        "may_delete": await chrome.may(request, who, r, "delete"),
        "may_change": await chrome.may(request, who, r, "update"),
        "actions": [] if chrome.read_only() else r.options.bulk_actions,
        "sort_state": _sort_state(state.order),
    }
    return chrome.render(request, "changelist.html", context)


def _sort_state(order: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in order[:1]:
        found[part.removeprefix("-")] = "descending" if part.startswith("-") else "ascending"
    return found


async def _filter_choices(
    request: web.Request, who: chrome.Who, r: AdminResource
) -> list[dict[str, Any]]:
    """For each list_filter: its label and choices (value, label); lookups run concurrently."""
    fields = [f for name in r.options.list_filter if (f := r.field(name)) is not None]
    return list(await asyncio.gather(*(_filter_choice(request, who, f) for f in fields)))


async def _filter_choice(request: web.Request, who: chrome.Who, f: Any) -> dict[str, Any]:
    registry = request.app[REGISTRY]
    if f.type == "boolean":
        choices = [("true", "Yes"), ("false", "No")]
    elif f.choices:
        choices = [(c, c.replace("_", " ")) for c in f.choices]
    elif f.references and (target := registry.get(f.references)):
        widest = listing.page_limit(target, SELECT_WIDGET_MAX)
        choices = await lookup_choices(request, who, target, "", widest)
    else:
        return {"name": f.name, "kind": "date", "presets": listing.date_presets()}
    return {"name": f.name, "kind": "choice", "choices": choices}


async def lookup_choices(
    request: web.Request, who: chrome.Who, target: AdminResource, q: str, limit: int
) -> list[tuple[str, str]]:
    columns = target.key if target.display == target.key else f"{target.key},{target.display}"
    builder = chrome.rest(request, who, target).from_(target.name).select(columns)
    display_field = target.field(target.display)
    if q and display_field is not None and display_field.type == "text":
        builder = builder.ilike(target.display, f"*{q}*")
    elif q and q.isdigit():
        builder = builder.eq(target.key, q)
    try:
        rows = (await execute(builder.order(target.display).limit(limit))).data
    except RestFailure:
        return []
    return [(str(row[target.key]), str(row.get(target.display, row[target.key]))) for row in rows]


async def lookup(request: web.Request) -> web.Response:
    """GET /admin/_lookup/<resource>?q=: JSON choices for a foreign key, filtered by RLS."""
    who = await chrome.staff(request)
    target = chrome.resource_or_404(request)
    q = request.query.get("q", "")[: listing.MAX_Q]
    choices = await lookup_choices(request, who, target, q, LOOKUP_LIMIT)
    results = [{"id": value, "text": text} for value, text in choices]
    return web.json_response({"results": results})


# --- CSV export -----------------------------------------------------------------------------------


def export_columns(r: AdminResource) -> list[str]:
    names = [f.name for f in r.form_fields if f.name not in r.options.masked_fields]
    return [r.key, *[n for n in names if n != r.key]]


async def _boundary(
    client: Any, r: AdminResource, state: listing.ListState, after: int | None
) -> int | None:
    """The key of the EXPORT_CHUNK-th row after `after` (None: fewer rows remain)."""
    builder = listing.apply(client.from_(r.name).select(r.key), r, state)
    if after is not None:
        builder = builder.gt(r.key, after)
    chunk = listing.page_limit(r, EXPORT_CHUNK)
    builder = builder.order(r.key).range(chunk - 1, chunk - 1)
    rows = (await execute(builder)).data
    return int(rows[0][r.key]) if rows else None


async def export_csv(request: web.Request) -> web.StreamResponse:
    """Every row the user can see under the current filters, streamed in key order, one REST
    text/csv request per EXPORT_CHUNK rows: memory stays flat whatever the row count."""
    who = await chrome.staff(request)
    r = chrome.resource_or_404(request)
    state = listing.parse(request, r)
    client = chrome.rest(request, who, r)
    first = await _boundary(client, r, state, None)
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{r.name}.csv"',
        }
    )
    chrome.finish(request, response)
    await response.prepare(request)
    after, upto, header = None, first, True
    while True:
        builder = listing.apply(client.from_(r.name).select(",".join(export_columns(r))), r, state)
        if after is not None and upto is not None:
            builder.request.params = builder.request.params.add(
                "and", f"({r.key}.gt.{after},{r.key}.lte.{upto})"
            )
        elif after is not None:
            builder = builder.gt(r.key, after)
        elif upto is not None:
            builder = builder.lte(r.key, upto)
        chunk = builder.order(r.key).limit(listing.page_limit(r, EXPORT_CHUNK))
        await _send_chunk(response, chunk, header)
        header = False
        if upto is None:
            break
        after, upto = upto, await _boundary(client, r, state, upto)
    await response.write_eof()
    return response


async def _send_chunk(response: web.StreamResponse, builder: Any, header: bool) -> None:
    """One chunk of CSV; after the first, its header line is dropped and a newline joins it."""
    skipping, joined = not header, header
    async for chunk in stream(builder):
        if skipping:
            newline = chunk.find(b"\n")
            if newline < 0:
                continue  # the header line continues in the next piece (or there are no rows)
            chunk, skipping = chunk[newline + 1 :], False
        if chunk and not joined:
            await response.write(b"\n")
            joined = True
        if chunk:
            await response.write(chunk)
