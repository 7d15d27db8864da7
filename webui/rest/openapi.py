"""`GET /` of the dialect: an OpenAPI 3.1 document of what the caller's role may actually do,
read from its privileges, with `COMMENT ON` text as descriptions."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from webui import __version__
from webui.rest.build import Frag
from webui.rest.errors import ApiError
from webui.rest.negotiate import context, profile
from webui.rest.runner import run
from webui.rest.schema import Column, Function, SchemaCache, Table
from webui.rest.state import REST, RestState

PRIVILEGES_SQL = """
select json_build_object(
  'tables', (select coalesce(json_object_agg(c.relname, json_build_array(
      pg_catalog.has_any_column_privilege(c.oid, 'SELECT'),
      pg_catalog.has_any_column_privilege(c.oid, 'INSERT'),
      pg_catalog.has_any_column_privilege(c.oid, 'UPDATE'),
      pg_catalog.has_table_privilege(c.oid, 'DELETE'))), '{}')
    from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where n.nspname = %s and c.relkind in ('r', 'v', 'm', 'f', 'p')
      and pg_catalog.has_schema_privilege(n.oid, 'USAGE')),
  'functions', (select coalesce(json_agg(distinct p.proname), '[]')
    from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
    where n.nspname = %s and pg_catalog.has_function_privilege(p.oid, 'EXECUTE')
      and pg_catalog.has_schema_privilege(n.oid, 'USAGE')),
  'description', pg_catalog.obj_description(pg_catalog.to_regnamespace(%s), 'pg_namespace')
)::text
"""
_INTEGER = {"smallint", "integer", "bigint"}
_NUMBER = {"numeric", "real", "double precision"}


def json_schema(column: Column) -> dict[str, Any]:
    base = column.type.split("(")[0]
    if base.endswith("[]"):
        item = Column(column.name, base[:-2], True, None, False, None)
        out: dict[str, Any] = {"type": "array", "items": json_schema(item)}
    elif base in _INTEGER:
        out = {"type": "integer", "format": base}
    elif base in _NUMBER:
        out = {"type": "number", "format": base}
    elif base == "boolean":
        out = {"type": "boolean"}
    elif base in ("json", "jsonb"):
        out = {"format": base}
    else:
        out = {"type": "string", "format": column.type}
    if column.nullable and "type" in out:
        out["type"] = [out["type"], "null"]
    if column.description:
        out["description"] = column.description
    if column.default:
        out["x-sql-default"] = column.default  # an SQL expression, not a JSON value
    return out


def table_schema(table: Table) -> dict[str, Any]:
    required = [
        c.name
        for c in table.columns.values()
        if not c.nullable and not c.default and not c.generated
    ]
    out: dict[str, Any] = {
        "type": "object",
        "properties": {c.name: json_schema(c) for c in table.columns.values()},
    }
    if required:
        out["required"] = required
    if table.description:
        out["description"] = table.description
    return out


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _rows_response(name: str, description: str) -> dict[str, Any]:
    array = {"type": "array", "items": _ref(name)}
    content = {
        "application/json": {"schema": array},
        "application/vnd.pgrst.object+json": {"schema": _ref(name)},
        "text/csv": {"schema": {"type": "string"}},
    }
    return {"description": description, "content": content}


COMMON_PARAMETERS = {
    "select": {
        "name": "select",
        "in": "query",
        "schema": {"type": "string"},
        "description": "Columns and embedded resources, e.g. id,name,parent(*)",
    },
    "order": {
        "name": "order",
        "in": "query",
        "schema": {"type": "string"},
        "description": "e.g. name.desc.nullslast",
    },
    "limit": {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 0}},
    "offset": {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
    "prefer": {
        "name": "Prefer",
        "in": "header",
        "schema": {"type": "string"},
        "description": "return=, count=, resolution=, missing=, handling=, max-affected=, tx=",
    },
    "range": {
        "name": "Range",
        "in": "header",
        "schema": {"type": "string"},
        "description": "e.g. 0-24",
    },
}


def _filters(table: Table) -> list[dict[str, Any]]:
    return [
        {
            "name": c.name,
            "in": "query",
            "schema": {"type": "string"},
            "description": "operator.value, e.g. eq.1, in.(1,2), is.null",
        }
        for c in table.columns.values()
    ]


def table_path(table: Table, rights: list[bool]) -> dict[str, Any]:
    can_read, can_insert, can_update, can_delete = rights
    filters = _filters(table)
    refs = [
        {"$ref": f"#/components/parameters/{p}"}
        for p in ("select", "order", "limit", "offset", "range", "prefer")
    ]
    body = {
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [_ref(table.name), {"type": "array", "items": _ref(table.name)}]
                }
            }
        }
    }
    item: dict[str, Any] = {}
    summary = table.description or table.name
    if can_read:
        item["get"] = {
            "summary": summary,
            "tags": [table.name],
            "parameters": refs + filters,
            "responses": {
                "200": _rows_response(table.name, "Rows"),
                "206": {"description": "Partial content"},
            },
        }
    if can_insert:
        item["post"] = {
            "summary": summary,
            "tags": [table.name],
            "requestBody": {
                "content": {
                    **body["content"],
                    "text/csv": {
                        "schema": {
                            "type": "string",
                            "description": "A header line of column names, then one line per "
                            "row; NULL is SQL null",
                        }
                    },
                }
            },
            "parameters": [refs[0], refs[-1]],
            "responses": {"201": {"description": "Created"}},
        }
    if can_update:
        item["patch"] = {
            "summary": summary,
            "tags": [table.name],
            "requestBody": body,
            "parameters": [*filters, refs[0], refs[-1]],
            "responses": {"200": {"description": "Updated"}, "204": {"description": "Updated"}},
        }
    if can_delete:
        item["delete"] = {
            "summary": summary,
            "tags": [table.name],
            "parameters": filters,
            "responses": {"200": {"description": "Deleted"}, "204": {"description": "Deleted"}},
        }
    return item


def function_path(function: Function) -> dict[str, Any]:
    properties = {a.name: {"format": a.type} for a in function.arguments}
    required = [a.name for a in function.arguments if not a.has_default]
    body_schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        body_schema["required"] = required
    operation = {
        "summary": function.description or function.name,
        "tags": ["(rpc)"],
        "requestBody": {"content": {"application/json": {"schema": body_schema}}},
        "responses": {"200": {"description": "Result"}},
    }
    item: dict[str, Any] = {"post": operation}
    if function.volatility in ("i", "s"):
        parameters = [
            {
                "name": a.name,
                "in": "query",
                "required": not a.has_default,
                "schema": {"type": "string", "format": a.type},
            }
            for a in function.arguments
        ]
        item["get"] = {
            "summary": operation["summary"],
            "tags": ["(rpc)"],
            "parameters": parameters,
            "responses": operation["responses"],
        }
    return item


def document(
    cache: SchemaCache, schema_name: str, privileges: dict[str, Any], server_url: str
) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for (schema, name), table in sorted(cache.tables.items()):
        rights = privileges["tables"].get(name)
        if schema != schema_name or not rights or not any(rights):
            continue
        paths[f"/{name}"] = table_path(table, rights)
        schemas[name] = table_schema(table)
    callable_names = set(privileges["functions"])
    for (schema, name), overloads in sorted(cache.functions.items()):
        if schema == schema_name and name in callable_names:
            paths[f"/rpc/{name}"] = function_path(overloads[0])
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"pgwarden REST: {schema_name}",
            "version": __version__,
            "description": privileges.get("description") or "",
        },
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "parameters": COMMON_PARAMETERS,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
        "security": [{"bearer": []}, {}],
    }


async def handle_root(request: web.Request) -> web.StreamResponse:
    state: RestState = request.app[REST]
    try:
        if state.config.openapi_mode == "disabled":
            raise ApiError(404, "PGRST126", "Open API has been disabled")
        schema_name = profile(request, state)
        ctx = context(request, state)
        statement = Frag(PRIVILEGES_SQL, (schema_name, schema_name, schema_name))
        assert state.pool is not None
        outcome = await run(state.pool, ctx, [statement], read_only=True)
        privileges = json.loads(outcome.value(0) or b"{}")
        if state.config.openapi_mode == "ignore-privileges":
            privileges["tables"] = {
                n: [True] * 4 for (s, n) in state.schema_cache().tables if s == schema_name
            }
        server = f"{request.scheme}://{request.host}{state.prefix}"
        body = document(state.schema_cache(), schema_name, privileges, server)
    except ApiError as error:
        return error.response()
    return web.json_response(body, content_type="application/openapi+json")
