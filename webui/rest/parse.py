"""Stage 1 of a request (**parse** → build → run → respond): the HTTP request → a typed `Call`.

Headers (identity, profile, Accept, Prefer: `negotiate.py`, `params.py`), the query grammar
(`grammar.py`, read into a `ReadSpec` by `params.read_spec`) and the body (JSON, form or CSV,
below). Nothing here touches the database; every refusal is an `ApiError`."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl

import orjson
from aiohttp import web

from webui.core.replica import READ_POOL
from webui.rest import statements as st
from webui.rest.build import ReadSpec
from webui.rest.errors import JSON_TYPE, ApiError, table_not_found
from webui.rest.grammar import uses_aggregates
from webui.rest.negotiate import Accept, context, negotiate, profile
from webui.rest.params import Prefer, parse_prefer, parse_range, read_spec
from webui.rest.runner import Context, DbCall
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
    stable: bool = False  # an RPC of a stable or immutable function: a read, on any method

    @property
    def shape(self) -> st.Shape:
        kind = "object" if self.single_json else self.accept.kind
        bodiless = self.request.method == "HEAD"
        return st.Shape(kind if kind != "plan" else "json", self.accept.strip_nulls, bodiless)

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES["json" if self.single_json else self.shape.kind]

    @property
    def db(self) -> DbCall:
        """Where this request's statements run: every statement kind waits at most
        `db-pool-acquisition-timeout` for a connection. The primary's pool, or for a read
        (GET/HEAD, or an RPC of a stable or immutable function, PostgREST's GET rule) the one
        `webui.web.reads` chose for this request: the standby's when it is fit for this client
        (docs/operations.md#read-replicas)."""
        assert self.state.pool is not None
        pool = self.state.pool
        if self.stable or self.request.method in ("GET", "HEAD"):
            pool = self.request.get(READ_POOL) or pool
        return DbCall(pool, self.context, self.state.config.db_pool_acquisition_timeout)


def relation(state: RestState, schema_name: str, name: str) -> Table:
    table = state.schema_cache().tables.get((schema_name, name))
    if table is None:
        raise table_not_found(schema_name, name)
    return table


def parse_call(request: web.Request, state: RestState) -> Call:
    """`/<relation>`: the relation of the profile's schema, then the headers."""
    schema_name = profile(request, state)
    table = relation(state, schema_name, request.match_info["name"])
    identity, accept, prefer = parse_headers(request, state)
    return Call(request, state, table, identity, accept, prefer)


def parse_headers(request: web.Request, state: RestState) -> tuple[Context, Accept, Prefer]:
    """What every dialect request says in its headers, in this order: who is asking (a bad
    token is 401 before anything else is said), what it accepts, what it prefers."""
    identity = context(request, state)
    accept = negotiate(request.headers.get("Accept"), state.config.db_plan_enabled)
    prefer = parse_prefer(request.headers.getall("Prefer", []))
    return replace(identity, timezone=prefer.timezone), accept, prefer


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


def read_request(call: Call) -> ReadSpec:
    """The query string of a read as a `ReadSpec`, aggregates checked, the Range header as
    top-level limit and offset."""
    spec = read_spec(call.request.query.items())
    check_aggregates(call, spec)
    _page(call, spec)
    return spec


def check_aggregates(call: Call, spec: ReadSpec) -> None:
    if not call.state.config.db_aggregates_enabled and uses_aggregates(spec.items):
        raise ApiError(400, "PGRST123", "Use of aggregate functions is not allowed")


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


def csv_rows(raw: bytes) -> list[dict[str, Any]]:
    """A CSV body as PostgREST reads it: the first line names the columns, an empty field is
    the empty string and the bare word NULL is SQL null; the database casts each text value."""
    try:
        lines = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ApiError(400, "PGRST102", "Empty or invalid csv", details=str(exc)[:200]) from None
    lines = [line for line in lines if line]
    if not lines:
        raise ApiError(400, "PGRST102", "Empty or invalid csv", details="no header line")
    header, rows = lines[0], []
    for number, values in enumerate(lines[1:], start=2):
        if len(values) != len(header):
            raise ApiError(
                400,
                "PGRST102",
                "Empty or invalid csv",
                details=f"line {number} has {len(values)} fields, the header {len(header)}",
            )
        rows.append({k: (None if v == "NULL" else v) for k, v in zip(header, values, strict=True)})
    return rows
