"""The entry points of `/<relation>`: parse the call (`parse.py`), then read (`handlers.py`),
write (`writes.py`) or answer OPTIONS; `respond.dialect_response` maps errors and adds CORS and
`Content-Profile` on whatever leaves."""

from __future__ import annotations

from aiohttp import web

from webui.rest.build import Frag
from webui.rest.errors import ApiError
from webui.rest.handlers import read
from webui.rest.parse import Call, parse_call
from webui.rest.respond import dialect_response, error_response
from webui.rest.runner import run
from webui.rest.state import REST
from webui.rest.statements import VALUE, Statement
from webui.rest.writes import write

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
    return error_response(ApiError(404, "PGRST125", "Invalid path specified in request URL"))
