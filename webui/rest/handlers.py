"""Reads (GET/HEAD) on a relation, and what every handler shares: the parsed call, the JSON
body reader, the response helpers. A read parses, builds one statement, runs it in one round
trip and passes on the body that PostgreSQL built."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl

import orjson
from aiohttp import web

from webui.rest import statements as st
from webui.rest.build import Built, Frag, ReadSpec, build_rows
from webui.rest.errors import JSON_TYPE, ApiError, table_not_found
from webui.rest.grammar import uses_aggregates
from webui.rest.negotiate import Accept, context, negotiate, profile
from webui.rest.params import Prefer, parse_prefer, parse_range, read_spec
from webui.rest.runner import Context, Outcome, run
from webui.rest.schema import Table
from webui.rest.state import RestState

CONTENT_TYPES = {
    "json": JSON_TYPE,
    "object": "application/vnd.pgrst.object+json; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
}


@dataclass
class Call:
    """One request, parsed: who, on what, how the body should look, what the client prefers."""

    request: web.Request
    state: RestState
    table: Table
    context: Context
    accept: Accept
    prefer: Prefer
    single_json: bool = False  # a function returning one composite: an object as application/json

    @property
    def shape(self) -> st.Shape:
        kind = "object" if self.single_json else self.accept.kind
        bodiless = self.request.method == "HEAD"
        return st.Shape(kind if kind != "plan" else "json", self.accept.strip_nulls, bodiless)

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES["json" if self.single_json else self.shape.kind]


def relation(state: RestState, schema_name: str, name: str) -> Table:
    table = state.schema_cache().tables.get((schema_name, name))
    if table is None:
        raise table_not_found(schema_name, name)
    return table


def parse_call(request: web.Request, state: RestState) -> Call:
    schema_name = profile(request, state)
    table = relation(state, schema_name, request.match_info["name"])
    accept = negotiate(request.headers.get("Accept"), state.config.db_plan_enabled)
    prefer = parse_prefer(request.headers.getall("Prefer", []))
    identity = replace(context(request, state), timezone=prefer.timezone)
    return Call(request, state, table, identity, accept, prefer)


# --- reads ---------------------------------------------------------------------------------
def _page(call: Call, spec: ReadSpec) -> None:
    """Range header → top-level limit/offset when the query string gives none."""
    if call.request.method not in ("GET", "HEAD"):
        return
    bounds = parse_range(call.request.headers.get("Range"))
    if bounds is None:
        return
    offset, limit = bounds
    spec.offset.setdefault((), offset)
    if limit is not None:
        spec.limit.setdefault((), limit)


def check_aggregates(call: Call, spec: ReadSpec) -> None:
    if not call.state.config.db_aggregates_enabled and uses_aggregates(spec.items):
        raise ApiError(400, "PGRST123", "Use of aggregate functions is not allowed")


async def read(call: Call) -> web.StreamResponse:
    spec = read_spec(call.request.query.items())
    check_aggregates(call, spec)
    _page(call, spec)
    built = build_rows(
        call.table, spec, cap=call.state.config.db_max_rows, positional=call.accept.kind == "csv"
    )
    return await execute_read(call, built, spec)


async def execute_read(
    call: Call, built: Built, spec: ReadSpec, read_only: bool = True, decide: Any = None
) -> web.StreamResponse:
    if call.accept.kind == "plan":
        return await explain(call, st.read_statement(built, None, call.shape))
    count = call.prefer.count
    statements = []
    if count in ("planned", "estimated"):
        statements.append(st.explain_count(built))
    exact = st.exact_count(built) if count in ("exact", "estimated") else None
    statements.append(st.read_statement(built, exact, call.shape))
    outcome = await run(
        pool_of(call),
        call.context,
        statements,
        read_only=read_only,
        decide=decide,
        acquire_timeout=call.state.config.db_pool_acquisition_timeout,
    )
    total, page, body = outcome.integer(-1, 0), outcome.integer(-1, 1) or 0, outcome.value(-1, 2)
    if count in ("planned", "estimated"):
        total = _estimate(call, st.planned_rows(outcome.value(0) or b"[]"), total)
    return _read_response(call, spec, total, page, body or b"", outcome)


def _estimate(call: Call, planned: int, exact: int | None) -> int:
    limit = call.state.config.db_max_rows
    if call.prefer.count == "estimated" and exact is not None and (limit is None or exact <= limit):
        return exact
    return planned


def _read_response(
    call: Call, spec: ReadSpec, total: int | None, page: int, body: bytes, outcome: Outcome
) -> web.StreamResponse:
    offset = spec.offset.get((), 0)
    status = 200
    if total is not None and offset > total:
        raise ApiError(
            416,
            "PGRST103",
            "Requested range not satisfiable",
            details=f"An offset of {offset} was requested, but there are only {total} rows.",
            headers={"Content-Range": f"*/{total}"},
        )
    if total is not None and page < total:
        status = 206
    if not call.single_json:
        singular_check(call, page)
    headers = {"Content-Range": _content_range(offset, page, total)}
    applied_preferences(call, headers)
    status = sql_overrides(outcome, 3, status, headers)
    return respond(call, status, body, headers)


def sql_overrides(outcome: Outcome, column: int, status: int, headers: dict[str, str]) -> int:
    """Apply `response.headers` (a JSON array of one-key objects) and `response.status` as set
    by SQL during the request; malformed values are PGRST111/PGRST112 (500), as in PostgREST."""
    raw_headers, raw_status = outcome.value(-1, column), outcome.value(-1, column + 1)
    if raw_headers:
        headers.update(_guc_headers(raw_headers))
    if raw_status:
        if not raw_status.isdigit() or not 100 <= int(raw_status) <= 599:
            raise ApiError(500, "PGRST112", "response.status guc must be a valid status code")
        return int(raw_status)
    return status


def _guc_headers(raw: bytes) -> dict[str, str]:
    try:
        entries = orjson.loads(raw)
        pairs = [next(iter(e.items())) for e in entries if isinstance(e, dict) and len(e) == 1]
        if len(pairs) != len(entries) or not all(isinstance(v, str) for _, v in pairs):
            raise ValueError
    except (ValueError, TypeError):
        raise ApiError(
            500,
            "PGRST111",
            "response.headers guc must be a JSON array composed of objects with a single key "
            "and a string value",
        ) from None
    return {str(k): v for k, v in pairs if "\n" not in k + v and "\r" not in k + v}


def _content_range(offset: int, page: int, total: int | None) -> str:
    total_text = "*" if total is None else str(total)
    if page == 0:
        return f"*/{total_text}"
    return f"{offset}-{offset + page - 1}/{total_text}"


def singular_check(call: Call, page: int) -> None:
    if call.accept.kind == "object" and page != 1:
        raise ApiError(
            406,
            "PGRST116",
            "Cannot coerce the result to a single JSON object",
            details=f"The result contains {page} rows",
        )


def respond(call: Call, status: int, body: bytes | None, headers: dict[str, str]) -> web.Response:
    if body is None or status == 204:
        return web.Response(status=status, headers=headers)
    headers["Content-Type"] = call.content_type
    if call.request.method == "HEAD":
        return web.Response(status=status, headers=headers)
    return web.Response(status=status, body=body, headers=headers)


def applied_preferences(call: Call, headers: dict[str, str]) -> None:
    prefer, applied = call.prefer, []
    for name, value in (
        ("return", prefer.return_),
        ("count", prefer.count),
        ("resolution", prefer.resolution),
        ("missing", prefer.missing),
        ("handling", prefer.handling if prefer.handling == "strict" else None),
        ("timezone", prefer.timezone),
        ("tx", prefer.tx if call.state.config.tx_override else None),
    ):
        if value:
            applied.append(f"{name}={value}")
    if prefer.max_affected is not None and prefer.handling == "strict":
        applied.append(f"max-affected={prefer.max_affected}")
    if applied:
        headers["Preference-Applied"] = ", ".join(applied)


async def explain(call: Call, statement: Frag) -> web.Response:
    fmt = "json" if call.accept.plan_format == "json" else "text"
    plan = Frag(f"explain (format {fmt}) " + statement.text, statement.params)
    outcome = await run(pool_of(call), call.context, [plan], read_only=True)
    lines = [row[0] or b"" for row in outcome.rows[0]]
    media = f"application/vnd.pgrst.plan+{fmt}; charset=utf-8"
    return web.Response(status=200, body=b"\n".join(lines), headers={"Content-Type": media})


def pool_of(call: Call) -> Any:
    assert call.state.pool is not None
    return call.state.pool


# --- writes --------------------------------------------------------------------------------
def media_type(request: web.Request) -> str:
    """The request body's media type, lower-cased, without parameters (JSON when absent)."""
    return request.headers.get("Content-Type", "application/json").split(";")[0].strip().lower()


async def read_body(request: web.Request) -> bytes:
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise ApiError(
            413,
            "PGW413",
            "Payload too large",
            details=f"The body exceeds {request.app._client_max_size} bytes",
        ) from None


JSON_BODY_TYPES = ("application/json", "application/vnd.pgrst.object+json")
FORM = "application/x-www-form-urlencoded"


def invalid_json() -> ApiError:
    return ApiError(400, "PGRST102", "Empty or invalid json")


async def read_json(request: web.Request, empty_ok: bool = False) -> Any:
    """The JSON body, decoded by orjson (which refuses nesting past 1,024 levels: 400, never a
    RecursionError); an empty body is None where `empty_ok`, else 400 `PGRST102`."""
    value, _ = await read_payload(request, empty_ok)
    return value


async def read_payload(request: web.Request, empty_ok: bool = False) -> tuple[Any, bytes]:
    """(decoded body, the bytes to hand PostgreSQL). A form body (`x-www-form-urlencoded`) is
    an object of strings, as PostgREST reads it."""
    content_type = media_type(request)
    raw = await read_body(request)
    if content_type == FORM:
        return _form(raw)
    if content_type not in JSON_BODY_TYPES:
        raise ApiError(
            415, "PGRST107", f"The request's Content-Type is not acceptable: {content_type}"
        )
    if not raw.strip():
        if empty_ok:
            return None, b""
        raise invalid_json()
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise invalid_json() from None
    if b"." in raw or b"e" in raw or b"E" in raw:
        integral = _integral(value)
        if integral is not value:  # 5.0 is the integer 5 in JSON; PostgreSQL's int refuses it
            return integral, orjson.dumps(integral)
    return value, raw


_EXACT = 2**53


def _integral(value: Any) -> Any:
    """The value with integral floats (exactly representable) as ints; the same object when
    there are none, so that the body's own bytes go on."""
    if isinstance(value, float) and value.is_integer() and abs(value) < _EXACT:
        return int(value)
    if isinstance(value, list):
        items = [_integral(v) for v in value]
        return items if any(a is not b for a, b in zip(items, value, strict=True)) else value
    if isinstance(value, dict):
        pairs = {k: _integral(v) for k, v in value.items()}
        changed = any(pairs[k] is not v for k, v in value.items())
        return pairs if changed else value
    return value


def _form(raw: bytes) -> tuple[dict[str, str], bytes]:
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except (UnicodeDecodeError, ValueError):
        raise invalid_json() from None
    payload = dict(pairs)
    return payload, orjson.dumps(payload)
