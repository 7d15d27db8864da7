"""The entry point of `/<relation>`: parse the call, then read or write."""

from __future__ import annotations

from aiohttp import web

from webui.rest.errors import ApiError
from webui.rest.handlers import parse_call, read
from webui.rest.state import REST
from webui.rest.writes import write


async def handle_relation(request: web.Request) -> web.StreamResponse:
    state = request.app[REST]
    try:
        call = parse_call(request, state)
        if request.method in ("GET", "HEAD"):
            return await read(call)
        return await write(call)
    except ApiError as error:
        return error.response()


async def handle_nested_path(request: web.Request) -> web.StreamResponse:
    """`/a/b`: PostgREST serves one level of resources (and `/rpc/f`), nothing below."""
    return ApiError(404, "PGRST125", "Invalid path specified in request URL").response()
