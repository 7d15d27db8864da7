"""Reads (GET/HEAD) on a relation, top to bottom: parse the query (`parse.py`), build one
statement (`build.py`, `statements.py`), run it in one round trip (`runner.py`) and respond with
the body PostgreSQL built (`respond.py`). RPC's set-returning calls read through `execute_read`
too; EXPLAIN (`Accept: application/vnd.pgrst.plan`) answers the plan instead."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from webui.rest import limits
from webui.rest import statements as st
from webui.rest.build import Built, Frag, ReadSpec, build_rows
from webui.rest.parse import Call, read_request
from webui.rest.respond import read_response
from webui.rest.runner import run


async def read(call: Call) -> web.StreamResponse:
    spec = read_request(call)
    declared = call.state.limits.get((call.table.schema, call.table.name))
    cap = limits.page_cap(declared, spec, call.state.config.db_max_rows)
    built = build_rows(call.table, spec, cap=cap, positional=call.accept.kind == "csv")
    return await execute_read(call, built, spec)


async def execute_read(
    call: Call, built: Built, spec: ReadSpec, read_only: bool = True, decide: Any = None
) -> web.StreamResponse:
    if call.accept.kind == "plan":
        return await explain(call, st.read_statement(built, None, call.shape).frag)
    count = call.prefer.count
    statements = []
    if count in ("planned", "estimated"):
        statements.append(st.explain_count(built))
    exact = st.exact_count(built) if count in ("exact", "estimated") else None
    statements.append(st.read_statement(built, exact, call.shape))
    outcome = await run(call.db, statements, read_only=read_only, decide=decide)
    result, total = outcome.result, outcome.result.total
    if count in ("planned", "estimated"):
        total = _estimate(call, st.planned_rows(outcome.results[0].body or b"[]"), total)
    return read_response(call, spec, total, result)


def _estimate(call: Call, planned: int, exact: int | None) -> int:
    limit = call.state.config.db_max_rows
    if call.prefer.count == "estimated" and exact is not None and (limit is None or exact <= limit):
        return exact
    return planned


async def explain(call: Call, statement: Frag) -> web.Response:
    fmt = "json" if call.accept.plan_format == "json" else "text"
    plan = Frag(f"explain (format {fmt}) " + statement.text, statement.params)
    outcome = await run(call.db, [st.Statement(plan, st.LINES)], read_only=True)
    media = f"application/vnd.pgrst.plan+{fmt}; charset=utf-8"
    return web.Response(status=200, body=outcome.result.body, headers={"Content-Type": media})
