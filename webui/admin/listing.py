"""A changelist's state, read from the URL (the only state) and checked against the resource's
options, then applied to a postgrest request builder. Unknown parameters, fields, filter
values, page sizes and oversized searches are a 400, never a 500."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from webui.admin.chrome import AdminError
from webui.admin.registry import AdminResource
from webui.policies.admin_options import PER_PAGE_CHOICES

MAX_Q = 200
RESERVED = {"q", "o", "p", "per_page"}
_DATE_SUFFIXES = ("__gte", "__lt")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class ListState:
    q: str = ""
    order: list[str] = field(default_factory=list)
    page: int = 1
    per_page: int = 25
    filters: dict[str, str] = field(default_factory=dict)

    def query(self, **changes: Any) -> str:
        """This state's query string with some parameters changed (None removes one)."""
        params: dict[str, Any] = {"q": self.q, "o": ",".join(self.order), "p": self.page}
        params["per_page"] = self.per_page
        params.update(self.filters)
        params.update(changes)
        kept = {k: v for k, v in params.items() if v not in (None, "", 1) or k == "per_page"}
        if kept.get("p") == 1:
            kept.pop("p")
        return "?" + urlencode(kept)

    def filter_params(self) -> dict[str, str]:
        return {"q": self.q, **self.filters} if self.q else dict(self.filters)


def per_page_choices(r: AdminResource) -> tuple[int, ...]:
    """The page sizes offered: at most the list's `max_limit`, the largest page the REST
    dialect serves (a larger one would be cut, and the page arithmetic would skip rows)."""
    top = r.resource.list.max_limit
    return tuple(c for c in PER_PAGE_CHOICES if top is None or c <= top) or (top or 25,)


def page_limit(r: AdminResource, wanted: int) -> int:
    """`wanted` rows, or fewer when the list's `max_limit` caps a REST read below it."""
    top = r.resource.list.max_limit
    return wanted if top is None else min(wanted, top)


def parse(request: web.Request, r: AdminResource) -> ListState:
    choices = per_page_choices(r)
    state = ListState(per_page=min(r.options.list_per_page, max(choices)))
    query = request.query
    filters = set(r.options.list_filter)
    for name in query:
        base = name.removesuffix("__gte").removesuffix("__lt")
        if name not in RESERVED and base not in filters:
            raise AdminError(400, f"Unknown parameter or filter {name[:60]!r}.")
    state.q = query.get("q", "").strip()
    if len(state.q) > MAX_Q:
        raise AdminError(400, f"A search is at most {MAX_Q} characters.")
    state.page = _int(query.get("p", "1"), "page")
    state.per_page = _int(query.get("per_page", str(state.per_page)), "per_page")
    if state.per_page not in choices:
        raise AdminError(400, f"per_page must be one of {', '.join(map(str, choices))}.")
    state.order = _order(r, query.get("o", ""))
    for name, value in query.items():
        if name not in RESERVED:
            state.filters[name] = _filter_value(r, name, value)
    return state


def _int(raw: str, name: str) -> int:
    if not raw.isdigit() or len(raw) > 9 or int(raw) < 1:
        raise AdminError(400, f"{name} must be a positive whole number.")
    return int(raw)


def _order(r: AdminResource, raw: str) -> list[str]:
    if not raw:
        return list(r.options.ordering)
    order = []
    for part in raw.split(",")[:5]:
        name = part.removeprefix("-")
        if r.field(name) is None:
            raise AdminError(400, f"Cannot sort by {name[:60]!r}: no such field.")
        order.append(part)
    return order


def _filter_value(r: AdminResource, name: str, value: str) -> str:
    base = name.removesuffix("__gte").removesuffix("__lt")
    f = r.field(base)
    assert f is not None
    ok = (
        (f.type == "boolean" and value in ("true", "false"))
        or (bool(f.choices) and value in f.choices)
        or (bool(f.references) and value.isdigit() and len(value) <= 18)
        or (
            f.type in ("date", "timestamptz")
            and name.endswith(_DATE_SUFFIXES)
            and bool(_DATE.match(value))
        )
    )
    if not ok:
        raise AdminError(400, f"{value[:60]!r} is not a valid value of the filter {base!r}.")
    return value


_RESERVED = re.compile(r'[,()"\\]')


def search_value(value: str) -> str:
    """A search term inside PostgREST's or=(…) list. PostgREST would take it double-quoted; the
    dialect does not expand `*` inside quotes yet (issue 17), so the list's reserved characters
    become `*` wildcards instead."""
    return _RESERVED.sub("*", value)


def apply(builder: Any, r: AdminResource, state: ListState) -> Any:
    """Filters and search of the state on a postgrest select builder."""
    for name, value in state.filters.items():
        base = name.removesuffix("__gte").removesuffix("__lt")
        if name.endswith("__gte"):
            builder = builder.gte(base, value)
        elif name.endswith("__lt"):
            builder = builder.lt(base, value)
        else:
            builder = builder.eq(base, value)
    searchable = [n for n in r.options.search_fields if (f := r.field(n)) and f.type == "text"]
    if state.q and searchable:
        pattern = search_value(f"*{state.q}*")
        builder = builder.or_(",".join(f"{n}.ilike.{pattern}" for n in searchable))
    return builder


def apply_order(builder: Any, r: AdminResource, order: list[str]) -> Any:
    for part in [*order, r.key]:
        desc = part.startswith("-")
        builder = builder.order(part.removeprefix("-"), desc=desc)
    return builder


# --- what the template shows ----------------------------------------------------------------------


def page_numbers(page: int, pages: int) -> list[int | None]:
    """Django's numbered pagination: both ends and the neighbourhood of the current page, with
    None for an ellipsis."""
    if pages <= 10:
        return list(range(1, pages + 1))
    wanted = {1, 2, pages - 1, pages, *range(page - 2, page + 3)}
    shown: list[int | None] = []
    for number in range(1, pages + 1):
        if number in wanted:
            shown.append(number)
        elif shown and shown[-1] is not None:
            shown.append(None)
    return shown


def date_presets(today: date | None = None) -> list[tuple[str, str, str]]:
    """(label, gte, lt) ranges of a date filter."""
    day = today or datetime.now(UTC).date()
    tomorrow = day + timedelta(days=1)
    return [
        ("Today", day.isoformat(), tomorrow.isoformat()),
        ("Past 7 days", (day - timedelta(days=7)).isoformat(), tomorrow.isoformat()),
        ("Next 7 days", day.isoformat(), (day + timedelta(days=8)).isoformat()),
        ("This month", day.replace(day=1).isoformat(), _next_month(day).isoformat()),
        (
            "This year",
            day.replace(month=1, day=1).isoformat(),
            date(day.year + 1, 1, 1).isoformat(),
        ),
    ]


def _next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def mask(value: Any) -> str:
    """RustIO's mask_pii: the first character, then stars; an email keeps its domain."""
    text = "" if value is None else str(value)
    local, at, domain = text.partition("@")
    head = local[:1] + "•" * max(3, len(local) - 1)
    return f"{head}@{domain}" if at else head
