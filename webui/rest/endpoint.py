"""The entry points of `/<relation>` (parse the call, then read or write), OPTIONS, CORS and the
headers every dialect response carries (`Content-Profile` when several schemas are exposed)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from webui.rest.build import Frag
from webui.rest.errors import ApiError
from webui.rest.handlers import Call, parse_call, read
from webui.rest.negotiate import PROFILE_KEY
from webui.rest.runner import run
from webui.rest.state import REST, RestState
from webui.rest.statements import VALUE, Statement
from webui.rest.writes import write

CORS_METHODS = "GET, POST, PATCH, PUT, DELETE, OPTIONS, HEAD"
CORS_EXPOSED = (
    "Content-Encoding, Content-Location, Content-Range, Content-Type, Date, Location, Server, "
    "Transfer-Encoding, Range-Unit"
)
# What the caller's role may do on the relation, and what the relation itself allows (a view
# that is not auto-updatable and has no INSTEAD OF trigger refuses writes whatever the grant):
# the `Allow` list itself, one value. The last parameter says whether PUT applies (a primary key).
ALLOW_SQL = (
    "select concat_ws(',', 'OPTIONS',"
    " case when pg_catalog.has_any_column_privilege(%s::regclass, 'SELECT') then 'GET,HEAD' end,"
    " case when _a.ins then 'POST' end,"
    " case when _a.ins and _a.upd and %s::bool then 'PUT' end,"
    " case when _a.upd then 'PATCH' end,"
    " case when pg_catalog.has_table_privilege(%s::regclass, 'DELETE')"
    " and pg_catalog.pg_relation_is_updatable(%s::regclass, true) & 16 = 16 then 'DELETE' end)"
    " from (select pg_catalog.has_table_privilege(%s::regclass, 'INSERT')"
    " and pg_catalog.pg_relation_is_updatable(%s::regclass, true) & 8 = 8 as ins,"
    " pg_catalog.has_table_privilege(%s::regclass, 'UPDATE')"
    " and pg_catalog.pg_relation_is_updatable(%s::regclass, true) & 4 = 4 as upd) _a"
)


async def handle_relation(request: web.Request) -> web.StreamResponse:
    state = request.app[REST]

    async def answer() -> web.StreamResponse:
        call = parse_call(request, state)
        if request.method == "OPTIONS":
            return await allow(call)
        if request.method in ("GET", "HEAD"):
            return await read(call)
        return await write(call)

    return await dialect_response(request, state, answer)


async def dialect_response(
    request: web.Request, state: RestState, answer: Callable[[], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Run a handler: a CORS preflight is answered before it, an ApiError becomes its typed
    response, and CORS and Content-Profile headers go on whatever leaves."""
    if _preflight(request):
        return _cors_preflight(request)
    try:
        response = await answer()
    except ApiError as error:
        response = error.response()
    schema = request.get(PROFILE_KEY)
    if schema and len(state.config.db_schemas) > 1:
        response.headers["Content-Profile"] = schema
    if request.headers.get("Origin"):
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = CORS_EXPOSED
    return response


def _preflight(request: web.Request) -> bool:
    return (
        request.method == "OPTIONS"
        and bool(request.headers.get("Origin"))
        and bool(request.headers.get("Access-Control-Request-Method"))
    )


def _cors_preflight(request: web.Request) -> web.Response:
    """As PostgREST answers a preflight: any origin, the dialect's methods, the asked headers.
    No `Access-Control-Allow-Credentials`: a browser never sends cookies cross-origin here."""
    asked = request.headers.get("Access-Control-Request-Headers", "")
    headers = ["Authorization", *[h.strip() for h in asked.split(",") if h.strip()]]
    headers += ["Accept", "Accept-Language", "Content-Language"]
    return web.Response(
        status=200,
        headers={
            "Access-Control-Allow-Origin": "*",
            "Access-Control-Allow-Methods": CORS_METHODS,
            "Access-Control-Allow-Headers": ", ".join(headers),
            "Access-Control-Max-Age": "86400",
        },
    )


async def allow(call: Call) -> web.Response:
    """OPTIONS on a relation: `Allow` lists what the caller's role may do on it."""
    oid, has_key = call.table.qualified, bool(call.table.primary_key)
    params = (oid, has_key, *(oid,) * 6)
    outcome = await run(call.db, [Statement(Frag(ALLOW_SQL, params), VALUE)], read_only=True)
    allowed = (outcome.result.body or b"OPTIONS").decode()
    return web.Response(status=200, headers={"Allow": allowed})


async def handle_root_options(request: web.Request) -> web.StreamResponse:
    state = request.app[REST]

    async def answer() -> web.StreamResponse:
        return web.Response(status=200, headers={"Allow": "OPTIONS,GET,HEAD"})

    return await dialect_response(request, state, answer)


async def handle_nested_path(request: web.Request) -> web.StreamResponse:
    """`/a/b`: PostgREST serves one level of resources (and `/rpc/f`), nothing below."""
    return ApiError(404, "PGRST125", "Invalid path specified in request URL").response()
