"""HTTP handlers of the dialect: reads (GET/HEAD) and writes (POST/PUT/PATCH/DELETE) on a
relation. Each parses, builds one statement, runs it in one transaction and passes on the body
that PostgreSQL built."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote as url_quote

from aiohttp import web

from webui.rest import statements as st
from webui.rest.build import Built, Frag, ReadSpec, build_rows
from webui.rest.errors import JSON_TYPE, ApiError, table_not_found
from webui.rest.grammar import Field, Filter, SelectColumn, split_top, unquote
from webui.rest.negotiate import Accept, context, negotiate, profile
from webui.rest.params import Prefer, parse_prefer, parse_range, read_spec
from webui.rest.runner import Context, Outcome, run
from webui.rest.schema import Table
from webui.rest.state import REST, RestState

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
        return st.Shape(kind if kind != "plan" else "json", self.accept.strip_nulls)

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES["json" if self.single_json else self.shape.kind]


def relation(state: RestState, schema_name: str, name: str) -> Table:
    table = state.schema_cache().tables.get((schema_name, name))
    if table is None:
        raise table_not_found(schema_name, name)
    return table


async def handle_relation(request: web.Request) -> web.StreamResponse:
    state = request.app[REST]
    try:
        call = _call(request, state)
        if request.method in ("GET", "HEAD"):
            return await read(call)
        return await write(call)
    except ApiError as error:
        return error.response()


def _call(request: web.Request, state: RestState) -> Call:
    schema_name = profile(request, state)
    table = relation(state, schema_name, request.match_info["name"])
    accept = negotiate(request.headers.get("Accept"), state.config.db_plan_enabled)
    prefer = parse_prefer(request.headers.getall("Prefer", []))
    return Call(request, state, table, context(request, state), accept, prefer)


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


async def read(call: Call) -> web.StreamResponse:
    spec = read_spec(call.request.query.items())
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
        _pool(call),
        call.context,
        statements,
        read_only=read_only,
        decide=decide,
        acquire_timeout=call.state.config.db_pool_acquisition_timeout,
    )
    total, page, body = outcome.integer(-1, 0), outcome.integer(-1, 1) or 0, outcome.value(-1, 2)
    if count in ("planned", "estimated"):
        total = _estimate(call, st.planned_rows(outcome.value(0) or b"[]"), total)
    return _read_response(call, spec, total, page, body or b"")


def _estimate(call: Call, planned: int, exact: int | None) -> int:
    limit = call.state.config.db_max_rows
    if call.prefer.count == "estimated" and exact is not None and (limit is None or exact <= limit):
        return exact
    return planned


def _read_response(
    call: Call, spec: ReadSpec, total: int | None, page: int, body: bytes
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
        _singular_check(call, page)
    headers = {"Content-Range": _content_range(offset, page, total)}
    _applied(call, headers)
    return _respond(call, status, body, headers)


def _content_range(offset: int, page: int, total: int | None) -> str:
    total_text = "*" if total is None else str(total)
    if page == 0:
        return f"*/{total_text}"
    return f"{offset}-{offset + page - 1}/{total_text}"


def _singular_check(call: Call, page: int) -> None:
    if call.accept.kind == "object" and page != 1:
        raise ApiError(
            406,
            "PGRST116",
            "JSON object requested, multiple (or no) rows returned",
            details=f"The result contains {page} rows",
        )


def _respond(call: Call, status: int, body: bytes | None, headers: dict[str, str]) -> web.Response:
    if body is None or status == 204:
        return web.Response(status=status, headers=headers)
    headers["Content-Type"] = call.content_type
    if call.request.method == "HEAD":
        return web.Response(status=status, headers=headers)
    return web.Response(status=status, body=body, headers=headers)


def _applied(call: Call, headers: dict[str, str]) -> None:
    prefer, applied = call.prefer, []
    for name, value in (
        ("return", prefer.return_),
        ("count", prefer.count),
        ("resolution", prefer.resolution),
        ("missing", prefer.missing),
        ("handling", prefer.handling if prefer.handling == "strict" else None),
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
    outcome = await run(_pool(call), call.context, [plan], read_only=True)
    lines = [row[0] or b"" for row in outcome.rows[0]]
    media = f"application/vnd.pgrst.plan+{fmt}; charset=utf-8"
    return web.Response(status=200, body=b"\n".join(lines), headers={"Content-Type": media})


def _pool(call: Call) -> Any:
    assert call.state.pool is not None
    return call.state.pool


# --- writes --------------------------------------------------------------------------------
async def read_json(request: web.Request) -> Any:
    content_type = request.headers.get("Content-Type", "application/json").split(";")[0].strip()
    if content_type not in ("application/json", "application/vnd.pgrst.object+json"):
        raise ApiError(
            415, "PGRST107", f"The request's Content-Type is not acceptable: {content_type}"
        )
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise ApiError(
            413,
            "PGW413",
            "Payload too large",
            details=f"The body exceeds {request.app._client_max_size} bytes",
        ) from None
    try:
        return json.loads(raw) if raw.strip() else None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "PGRST102", "Empty or invalid json", details=str(exc)[:200]) from None


async def write(call: Call) -> web.StreamResponse:
    method = call.request.method
    if method == "POST":
        return await insert(call)
    if method == "PUT":
        return await put(call)
    if method == "PATCH":
        return await update(call)
    if method == "DELETE":
        return await delete(call)
    raise ApiError(405, "PGRST117", f"Unsupported HTTP method: {method}")


def _columns_param(call: Call) -> list[str] | None:
    value = call.request.query.get("columns")
    if value is None:
        return None
    return [unquote(c.strip()) for c in split_top(value) if c.strip()]


def _payload_columns(call: Call, rows: list[dict[str, Any]]) -> list[str]:
    explicit = _columns_param(call)
    if explicit is not None:
        return st.check_columns(call.table, explicit)
    if not rows:
        return []
    keys = list(rows[0])
    if call.prefer.missing != "default" and any(set(r) != set(keys) for r in rows[1:]):
        raise ApiError(400, "PGRST102", "All object keys must match")
    if call.prefer.missing == "default":
        keys = list(dict.fromkeys(k for r in rows for k in r))
    return st.check_columns(call.table, keys)


def _on_conflict(call: Call) -> list[str] | None:
    if not call.prefer.resolution:
        return None
    value = call.request.query.get("on_conflict")
    names = [unquote(c.strip()) for c in split_top(value)] if value else call.table.primary_key
    if not names:
        raise ApiError(400, "PGRST100", "Upsert needs on_conflict or a primary key")
    return st.check_columns(call.table, names)


async def insert(call: Call) -> web.StreamResponse:
    rows = st.require_object_rows(await read_json(call.request))
    columns = _payload_columns(call, rows)
    if not columns:
        raise ApiError(400, "PGRST102", "Empty or invalid json", details="no columns to insert")
    body = json.dumps(rows, separators=(",", ":"))
    dml = st.insert_statement(
        call.table,
        columns,
        _on_conflict(call),
        call.prefer.resolution,
        call.prefer.missing == "default",
    )
    return await finish_write(call, Frag(dml.text, (body,)), created=True)


async def update(call: Call) -> web.StreamResponse:
    payload = await read_json(call.request)
    if not isinstance(payload, dict):
        raise ApiError(400, "PGRST102", "Invalid body: PATCH expects a JSON object")
    spec = read_spec(call.request.query.items())
    _no_limits(spec)
    columns = st.check_columns(call.table, list(payload))
    if not columns:
        return _respond(call, 204, None, {})
    dml = st.update_statement(call.table, columns, st.dml_where(call.table, spec))
    params = (json.dumps(payload), *dml.params)
    return await finish_write(call, Frag(dml.text, params), created=False, spec=spec)


async def delete(call: Call) -> web.StreamResponse:
    spec = read_spec(call.request.query.items())
    _no_limits(spec)
    dml = st.delete_statement(call.table, st.dml_where(call.table, spec))
    return await finish_write(call, dml, created=False, spec=spec)


def _no_limits(spec: ReadSpec) -> None:
    if () in spec.limit or () in spec.offset:
        raise ApiError(
            400,
            "PGRST109",
            "limit/offset on PATCH and DELETE is not supported",
            hint="Filter on a unique column instead",
        )


async def put(call: Call) -> web.StreamResponse:
    spec = read_spec(call.request.query.items())
    if () in spec.limit or () in spec.offset:
        raise ApiError(
            400, "PGRST114", "limit/offset querystring parameters are not allowed for PUT"
        )
    keys = _put_keys(call.table, spec)
    payload = await read_json(call.request)
    rows = payload if isinstance(payload, list) else [payload]
    if len(rows) != 1 or not isinstance(rows[0], dict):
        raise ApiError(400, "PGRST102", "PUT expects exactly one JSON object")
    if any(str(rows[0].get(k)) != v and json.dumps(rows[0].get(k)) != v for k, v in keys.items()):
        raise ApiError(400, "PGRST115", "Payload values do not match URL in primary key column(s)")
    columns = st.check_columns(call.table, list(rows[0]))
    dml = st.insert_statement(call.table, columns, list(keys), "merge-duplicates", False)
    return await finish_write(call, Frag(dml.text, (json.dumps(rows),)), created=False)


def _put_keys(table: Table, spec: ReadSpec) -> dict[str, str]:
    filters = spec.filters.get((), [])
    keys = {}
    for node in filters:
        if (
            isinstance(node, Filter)
            and node.operator == "eq"
            and not node.negate
            and not node.field.path
        ):
            keys[node.field.name] = str(node.value)
    if not table.primary_key or set(keys) != set(table.primary_key) or len(filters) != len(keys):
        raise ApiError(
            405,
            "PGRST105",
            "Filters must include all and only primary key columns with 'eq' operators",
        )
    return keys


async def finish_write(
    call: Call, dml: Frag, created: bool, spec: ReadSpec | None = None
) -> web.StreamResponse:
    mode = call.prefer.return_ or "minimal"
    if call.accept.kind == "object" and mode == "minimal":
        mode = "representation"
    select_spec = ReadSpec(items=read_spec(_select_only(call)).items)
    location_keys = call.table.primary_key if (created and mode == "headers-only") else []
    if mode == "minimal":
        statement = dml
    else:
        if mode == "headers-only":
            select_spec = ReadSpec(items=[SelectColumn(Field(k)) for k in call.table.primary_key])
        built = build_rows(
            call.table,
            select_spec,
            source=Frag("pgrst_source"),
            paged=False,
            positional=call.accept.kind == "csv",
        )
        statement = st.returning(dml, built, call.shape, location_keys)
    if call.accept.kind == "plan":
        return await explain(call, statement)
    outcome = await run(
        _pool(call),
        call.context,
        [statement],
        read_only=False,
        decide=None if commits_blindly(call) else (lambda o: _decide(call, mode, o)),
        acquire_timeout=call.state.config.db_pool_acquisition_timeout,
    )
    return _write_response(call, mode, created, outcome, location_keys)


def commits_blindly(call: Call) -> bool:
    """True when nothing about the result can turn the commit into a rollback: the write then
    commits with the pipeline's Sync, in one round trip."""
    prefer, config = call.prefer, call.state.config
    return not (
        call.accept.kind == "object"
        or (prefer.handling == "strict" and prefer.max_affected is not None)
        or config.tx_rollback_default
        or (config.tx_override and prefer.tx == "rollback")
        or call.context.session_required
    )


def _select_only(call: Call) -> list[tuple[str, str]]:
    return [(k, v) for k, v in call.request.query.items() if k == "select"]


def _affected(mode: str, outcome: Outcome) -> int:
    if mode == "minimal":
        return max(outcome.rowcounts[-1], 0)
    return outcome.integer(-1, 1) or 0


def _decide(call: Call, mode: str, outcome: Outcome) -> bool:
    affected = _affected(mode, outcome)
    prefer = call.prefer
    if (
        prefer.handling == "strict"
        and prefer.max_affected is not None
        and affected > prefer.max_affected
    ):
        raise ApiError(
            400,
            "PGRST124",
            "Query result exceeds max-affected preference constraint",
            details=f"The query affects {affected} rows",
        )
    _singular_check(call, affected)
    commit = not call.state.config.tx_rollback_default
    if call.state.config.tx_override and prefer.tx:
        commit = prefer.tx == "commit"
    return commit


def _write_response(
    call: Call, mode: str, created: bool, outcome: Outcome, location_keys: list[str]
) -> web.StreamResponse:
    headers: dict[str, str] = {}
    _applied(call, headers)
    affected = _affected(mode, outcome)
    if call.prefer.count == "exact" or mode != "minimal":
        headers["Content-Range"] = f"*/{affected}" if call.prefer.count == "exact" else "*/*"
    location = outcome.value(-1, 3) if location_keys else None
    if location:
        keys = json.loads(location)
        query = "&".join(f"{url_quote(k)}=eq.{url_quote(str(v))}" for k, v in keys.items())
        headers["Location"] = f"/{call.table.name}?{query}"
    if mode != "representation":
        return _respond(call, 201 if created else 204, None, headers)
    body = outcome.value(-1, 2)
    return _respond(call, 201 if created else 200, body, headers)
