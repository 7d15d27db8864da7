"""Writes on a relation: POST (insert, upsert), PUT (one-row upsert), PATCH, DELETE. The write
and its representation are one statement; the commit is vetoed only by what the client asked
for (max-affected, a singular object, tx=rollback) or a session token that did not resolve."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from webui.rest import statements as st
from webui.rest.build import Frag, ReadSpec, build_rows
from webui.rest.errors import ApiError
from webui.rest.grammar import Field, Filter, SelectColumn, split_top, unquote
from webui.rest.handlers import explain
from webui.rest.params import read_spec
from webui.rest.parse import Call, csv_rows, media_type, read_body, read_payload
from webui.rest.respond import respond, singular_check, write_count, write_response
from webui.rest.runner import Outcome, run
from webui.rest.schema import Table
from webui.rest.statements import COMMAND, Statement


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
    raise ApiError(
        405,
        "PGRST117",
        f"Unsupported HTTP method: {method}",
        headers={"Allow": "OPTIONS,GET,HEAD,POST,PUT,PATCH,DELETE"},
    )


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
    if media_type(call.request) == "text/csv":
        rows = csv_rows(await read_body(call.request))
        body = orjson.dumps(rows)
    else:
        payload, body = await read_payload(call.request)
        rows = st.require_object_rows(payload)
        if not isinstance(payload, list):
            body = b"[" + body + b"]"
    if not rows:  # `[]`: nothing to insert, as PostgREST answers it
        body_out = b"[]" if call.prefer.return_ == "representation" else None
        return respond(call, 201, body_out, {"Content-Range": "*/*"})
    columns = _payload_columns(call, rows)
    if not columns:
        raise ApiError(400, "PGRST102", "Empty or invalid json", details="no columns to insert")
    dml = st.insert_statement(
        call.table,
        columns,
        _on_conflict(call),
        call.prefer.resolution,
        call.prefer.missing == "default",
    )
    kind = "upsert" if call.prefer.resolution else "insert"
    return await finish_write(call, Frag(dml.text, (body,)), kind)


async def update(call: Call) -> web.StreamResponse:
    payload, raw = await read_payload(call.request)
    if not isinstance(payload, dict):
        raise ApiError(400, "PGRST102", "Invalid body: PATCH expects a JSON object")
    spec = read_spec(call.request.query.items())
    columns = st.check_columns(call.table, list(payload))
    if not columns:
        return respond(call, 204, None, {})
    dml = st.update_statement(call.table, columns, st.dml_where(call.table, spec))
    params = (raw, *dml.params)
    return await finish_write(call, Frag(dml.text, params), "update", spec=spec)


async def delete(call: Call) -> web.StreamResponse:
    spec = read_spec(call.request.query.items())
    dml = st.delete_statement(call.table, st.dml_where(call.table, spec))
    return await finish_write(call, dml, "delete", spec=spec)


async def put(call: Call) -> web.StreamResponse:
    spec = read_spec(call.request.query.items())
    if () in spec.limit or () in spec.offset:
        raise ApiError(
            400, "PGRST114", "limit/offset querystring parameters are not allowed for PUT"
        )
    keys = _put_keys(call.table, spec)
    payload, raw = await read_payload(call.request)
    rows = payload if isinstance(payload, list) else [payload]
    if len(rows) != 1 or not isinstance(rows[0], dict):
        raise ApiError(400, "PGRST102", "PUT expects exactly one JSON object")
    if any(str(rows[0].get(k)) != v and _json_text(rows[0].get(k)) != v for k, v in keys.items()):
        raise ApiError(400, "PGRST115", "Payload values do not match URL in primary key column(s)")
    columns = st.check_columns(call.table, list(rows[0]))
    dml = st.insert_statement(call.table, columns, list(keys), "merge-duplicates", False)
    body = raw if isinstance(payload, list) else b"[" + raw + b"]"
    return await finish_write(call, Frag(dml.text, (body,)), "put")


def _json_text(value: Any) -> str:
    return orjson.dumps(value).decode()


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
    call: Call, dml: Frag, kind: str, spec: ReadSpec | None = None
) -> web.StreamResponse:
    """`kind`: insert, upsert (POST with a resolution), put, update or delete."""
    mode = call.prefer.return_ or "minimal"
    if call.accept.kind == "object" and mode == "minimal":
        mode = "representation"
    # `order` sorts the representation of a PATCH or DELETE; `limit`/`offset` change nothing on
    # a write (PostgREST v13 dropped limited updates and deletes).
    select_spec = ReadSpec(items=read_spec(_select_only(call)).items)
    if spec is not None:
        select_spec.order = spec.order
    created = kind in ("insert", "upsert")
    location_keys = call.table.primary_key if (created and mode == "headers-only") else []
    wrapped = mode != "minimal" or _counts_inserts(call, kind)
    if not wrapped:
        statement = Statement(dml, COMMAND)
        if select_spec.items:  # an unknown column in select= is 400 whatever is returned
            build_rows(call.table, select_spec, source=Frag("pgrst_source"), paged=False)
    else:
        if mode != "representation":
            select_spec = ReadSpec(items=[SelectColumn(Field(k)) for k in call.table.primary_key])
        built = build_rows(
            call.table,
            select_spec,
            source=Frag("pgrst_source"),
            paged=bool(select_spec.order),
            positional=call.accept.kind == "csv",
        )
        statement = st.returning(dml, built, call.shape, location_keys)
    if call.accept.kind == "plan":
        return await explain(call, statement.frag)
    outcome = await run(
        call.db,
        [statement],
        read_only=False,
        decide=None if commits_blindly(call) else (lambda o: _decide(call, wrapped, o)),
    )
    return write_response(call, mode, kind, wrapped, outcome.result, location_keys)


def _counts_inserts(call: Call, kind: str) -> bool:
    return kind == "put" or (kind == "upsert" and call.prefer.resolution == "merge-duplicates")


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


def _decide(call: Call, wrapped: bool, outcome: Outcome) -> bool:
    affected = write_count(wrapped, outcome.result)
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
    singular_check(call, affected)
    commit = not call.state.config.tx_rollback_default
    if call.state.config.tx_override and prefer.tx:
        commit = prefer.tx == "commit"
    return commit
