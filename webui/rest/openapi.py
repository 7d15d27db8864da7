"""`GET /` of the dialect: an OpenAPI 3.1 document of what the caller's role may actually do,
read from its privileges, with `COMMENT ON` text as descriptions."""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web

from webui import __version__
from webui.rest.build import Frag
from webui.rest.errors import ApiError
from webui.rest.negotiate import context, profile
from webui.rest.respond import error_response
from webui.rest.runner import DbCall, run
from webui.rest.schema import Column, Function, SchemaCache, Table
from webui.rest.state import REST, RestState
from webui.rest.statements import VALUE, Statement

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
  'description', pg_catalog.obj_description(pg_catalog.to_regnamespace(%s), 'pg_namespace'),
  'checks', (select coalesce(json_agg(json_build_array(c.relname, a.attname,
      pg_catalog.pg_get_constraintdef(k.oid))), '[]')
    from pg_catalog.pg_constraint k
    join pg_catalog.pg_class c on c.oid = k.conrelid
    join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum = k.conkey[1]
    where n.nspname = %s and k.contype = 'c' and pg_catalog.array_length(k.conkey, 1) = 1)
)::text
"""


def privileges_statement(schema: str) -> tuple[str, tuple[str, ...]]:
    """The privileges query of one schema and its parameters (every placeholder is the schema)."""
    return PRIVILEGES_SQL, (schema,) * PRIVILEGES_SQL.count("%s")


_INTEGER = {"smallint", "integer", "bigint"}
_INTEGER_RANGE = {"smallint": 2**15 - 1, "integer": 2**31 - 1, "bigint": 2**63 - 1}
_NUMBER = {"numeric", "real", "double precision"}


def json_schema(column: Column) -> dict[str, Any]:
    base = column.type.split("(")[0]
    if base.endswith("[]"):
        item = Column(column.name, base[:-2], True, None, False, None)
        out: dict[str, Any] = {"type": "array", "items": json_schema(item)}
    elif base in _INTEGER:
        top = _INTEGER_RANGE[base]
        out = {"type": "integer", "format": base, "minimum": -top - 1, "maximum": top}
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


def table_schema(
    table: Table, checks: dict[str, list[str]] | None = None, mode: str = "read"
) -> dict[str, Any]:
    """A row as read (`read`), as a POST body (`insert`: required columns, CHECK bounds, no
    unknown keys) or as a PATCH body (`update`: no column required)."""
    required = [
        c.name
        for c in table.columns.values()
        if not c.nullable and not c.default and not c.generated and not c.identity
    ]
    properties = {}
    for column in table.columns.values():
        if mode != "read" and column.generated:
            continue
        prop = json_schema(column)
        # What PostgreSQL will store. It checks a PATCH body only against the rows it matches:
        # a PATCH that matches nothing accepts any body.
        for definition in (checks or {}).get(column.name, []) if mode != "read" else []:
            prop.update(check_bounds(column.name, definition))
        properties[column.name] = prop
    out: dict[str, Any] = {"type": "object", "properties": properties}
    if mode != "read":
        out["additionalProperties"] = False
    if required and mode == "insert":
        out["required"] = required
    if table.description:
        out["description"] = table.description
    return out


_NUM = r"(-?[0-9]+(?:\.[0-9]+)?)"


def check_bounds(column: str, definition: str) -> dict[str, Any]:
    """JSON Schema keywords read off a one-column CHECK, as pg_get_constraintdef prints it:
    `CHECK ((n >= 1))`, `CHECK (((n >= 1) AND (n <= 5)))`, `CHECK ((length(t) <= 40))`,
    `CHECK ((k = ANY (ARRAY['a'::text, 'b'::text])))`, `CHECK ((t ~ '^x'::text))`."""
    name = re.escape(column) + "|" + re.escape(f'"{column}"')
    out: dict[str, Any] = {}
    for op, value in re.findall(rf"\((?:{name}) (>=|>|<=|<) \(?{_NUM}\)?(?:::\w+)?\)", definition):
        number: float = float(value) if "." in value else int(value)
        key = {">=": "minimum", ">": "exclusiveMinimum", "<=": "maximum", "<": "exclusiveMaximum"}
        out[key[op]] = number
    for _function, op, value in re.findall(
        rf"\((char_length|length)\((?:{name})\) (>=|>|<=|<) ([0-9]+)\)", definition
    ):
        size = int(value) + {">=": 0, ">": 1, "<=": 0, "<": -1}[op]
        out["minLength" if op.startswith(">") else "maxLength"] = size
    listed = re.search(rf"\((?:{name}) = ANY \(ARRAY\[(.*)\]\)\)", definition)
    if listed:
        out["enum"] = [v.replace("''", "'") for v in re.findall(r"'((?:[^']|'')*)'::", listed[1])]
    pattern = re.search(rf"\((?:{name}) ~ '((?:[^']|'')*)'::text\)", definition)
    if pattern:
        out["pattern"] = pattern[1].replace("''", "'")
    return out


ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error of the dialect, PostgREST's shape",
    "required": ["code", "message", "details", "hint"],
    "properties": {
        "code": {"type": "string", "description": "PGRSTxxx, or PostgreSQL's SQLSTATE"},
        "message": {"type": "string"},
        "details": {"type": ["string", "null"]},
        "hint": {"type": ["string", "null"]},
    },
}
_ERROR_TEXT = {
    "400": "Bad request: a query string, body or value the dialect or PostgreSQL refuses",
    "401": "No or invalid credentials for what was asked",
    "403": "Refused to the caller's role",
    "404": "Not found",
    "405": "Method not allowed here",
    "406": "None of the accepted media types, or an unknown schema",
    "409": "Conflicts with a unique or foreign key",
    "413": "Body too large",
    "415": "Content-Type not accepted",
    "416": "Requested range not satisfiable",
}


def errors(*codes: str) -> dict[str, Any]:
    return {
        code: {
            "description": _ERROR_TEXT[code],
            "content": {"application/json": {"schema": _ref("PgrstError")}},
        }
        for code in codes
    }


READ_ERRORS = ("400", "401", "403", "404", "406", "416")
WRITE_ERRORS = ("400", "401", "403", "404", "405", "406", "409", "413", "415")


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


# The `Prefer` header's grammar, as `x-prefer` on each operation. It is described, not declared
# as a parameter: with the default `handling=lenient` an unknown preference is ignored (as in
# PostgREST), so a strict schema of it would be a promise the server does not keep.
PREFER_READ = ["count=exact", "count=planned", "count=estimated", "timezone=<zone>"]
PREFER_WRITE = [
    "return=minimal",
    "return=representation",
    "return=headers-only",
    "count=exact",
    "handling=strict",
    "max-affected=<n>",
    "tx=commit",
    "tx=rollback",
    "timezone=<zone>",
]
PREFER_INSERT = [
    *PREFER_WRITE,
    "missing=default",
    "resolution=merge-duplicates",
    "resolution=ignore-duplicates",
]


COMMON_PARAMETERS = {
    "limit": {
        "name": "limit",
        "in": "query",
        "schema": {"type": "integer", "minimum": 0, "maximum": 10**12 - 1},
    },
    "offset": {
        "name": "offset",
        "in": "query",
        "schema": {"type": "integer", "minimum": 0, "maximum": 10**12 - 1},
    },
}
# The value part of a filter a column's type accepts for sure: schema-valid means valid.
_INT_VALUE = r"-?[0-9]{1,9}"
_NUM_VALUE = r"-?[0-9]{1,9}(\.[0-9]{1,6})?"
_TEXT_VALUE = r"[A-Za-z0-9 _*-]{0,20}"
_COMPARE = r"(eq|neq|gt|gte|lt|lte)"


def filter_pattern(column: Column) -> str:
    """The filter grammar for the column, as a regular expression of `[not.]operator.value`."""
    base = column.type.split("(")[0]
    tails = [r"is\.null"]
    if base in _INTEGER:
        tails += [rf"{_COMPARE}\.{_INT_VALUE}", rf"in\.\({_INT_VALUE}(,{_INT_VALUE}){{0,4}}\)"]
    elif base in _NUMBER:
        tails += [rf"{_COMPARE}\.{_NUM_VALUE}"]
    elif base == "boolean":
        tails += [r"is\.(true|false)", r"eq\.(true|false)"]
    elif base in ("text", "character varying", "character", "citext"):
        tails += [rf"({_COMPARE}|like|ilike)\.{_TEXT_VALUE}"]
    return r"^(not\.)?(" + "|".join(tails) + r")$"


def _filters(table: Table) -> list[dict[str, Any]]:
    return [
        {
            "name": c.name,
            "in": "query",
            "schema": {"type": "string", "pattern": filter_pattern(c)},
            "description": "[not.]operator.value, e.g. eq.1, in.(1,2), is.null",
        }
        for c in table.columns.values()
    ]


def _column_list(table: Table) -> str:
    return "(" + "|".join(re.escape(name) for name in table.columns) + ")"


def select_parameter(table: Table) -> dict[str, Any]:
    names = _column_list(table)
    return {
        "name": "select",
        "in": "query",
        "schema": {"type": "string", "pattern": rf"^(\*|{names}(,{names}){{0,7}})$"},
        "description": "Columns (and embedded resources), e.g. id,name,parent(*)",
    }


def order_parameter(table: Table) -> dict[str, Any]:
    term = _column_list(table) + r"(\.(asc|desc))?(\.(nullsfirst|nullslast))?"
    return {
        "name": "order",
        "in": "query",
        "schema": {"type": "string", "pattern": rf"^{term}(,{term}){{0,3}}$"},
        "description": "e.g. name.desc.nullslast,id",
    }


def _param(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/parameters/{name}"}


def _options(methods: str) -> dict[str, Any]:
    return {
        "summary": "What the caller may do here",
        "responses": {
            "200": {
                "description": "The methods in Allow",
                "headers": {"Allow": {"schema": {"type": "string", "example": methods}}},
            },
            **errors("401", "404"),
        },
    }


def table_path(
    table: Table, rights: list[bool], checks: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    can_read, can_insert, can_update, can_delete = rights
    filters = _filters(table)
    select = select_parameter(table)
    new = table_schema(table, checks, "insert")
    # In an array every object names the same columns (else 400 PGRST102, as in PostgREST);
    # JSON Schema cannot say "the same keys", so the document asks each to name every column.
    same_keys = {**new, "required": [n for n, c in table.columns.items() if not c.generated]}
    body = {
        "content": {
            "application/json": {"schema": {"oneOf": [new, {"type": "array", "items": same_keys}]}}
        }
    }
    # No content is declared: with the default return=minimal the body is empty.
    written = {"description": "Written (the rows, with Prefer: return=representation)"}
    item: dict[str, Any] = {"options": _options("OPTIONS,GET,HEAD,POST,PUT,PATCH,DELETE")}
    summary = table.description or table.name
    common = {"summary": summary, "tags": [table.name]}
    if can_read:
        item["get"] = {
            **common,
            "x-prefer": PREFER_READ,
            "parameters": [
                select,
                order_parameter(table),
                _param("limit"),
                _param("offset"),
                *filters,
            ],
            "responses": {
                "200": _rows_response(table.name, "Rows"),
                "206": _rows_response(table.name, "Partial content (with a count)"),
                **errors(*READ_ERRORS),
            },
        }
    if can_read:
        item["head"] = {
            **common,
            "parameters": item["get"]["parameters"],
            "responses": {
                "200": {"description": "The headers of the rows"},
                "206": {"description": "The headers of a partial page"},
                **{code: {"description": _ERROR_TEXT[code]} for code in READ_ERRORS},
            },
        }
    if can_insert and can_update and table.primary_key:
        keys = [
            {**f, "required": True, "schema": {"type": "string", "pattern": r"^eq\..+$"}}
            for f in filters
            if f["name"] in table.primary_key
        ]
        item["put"] = {
            **common,
            "description": "Insert or replace the one row the primary key filters (eq.) name",
            "requestBody": {"content": {"application/json": {"schema": new}}},
            "parameters": [*keys, select],
            "responses": {
                "200": written,
                "201": written,
                "204": {"description": "Written"},
                **errors(*WRITE_ERRORS),
            },
        }
    if can_insert:
        # (text/csv bodies are accepted too; docs/rest.md describes them)
        insert_body = {"required": True, **body}
        item["post"] = {
            **common,
            "x-prefer": PREFER_INSERT,
            "requestBody": insert_body,
            "parameters": [select],
            "responses": {"201": written, **errors(*WRITE_ERRORS)},
        }
    if can_update:
        item["patch"] = {
            **common,
            "x-prefer": PREFER_WRITE,
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": table_schema(table, checks, "update")}},
            },
            "parameters": [*filters, select],
            "responses": {
                "200": written,
                "204": {"description": "Updated"},
                **errors(*WRITE_ERRORS),
            },
        }
    if can_delete:
        item["delete"] = {
            **common,
            "x-prefer": PREFER_WRITE,
            "parameters": [*filters, select],
            "responses": {
                "200": written,
                "204": {"description": "Deleted"},
                **errors(*WRITE_ERRORS),
            },
        }
    return item


def _argument_schema(argument: Any, nullable: bool = True) -> dict[str, Any]:
    """A JSON body may pass NULL to an argument; a query string cannot."""
    column = Column(argument.name, argument.type, nullable, None, False, None)
    out = json_schema(column)
    out.pop("x-sql-default", None)
    return out


def function_path(function: Function) -> dict[str, Any]:
    properties = {a.name: _argument_schema(a) for a in function.arguments}
    required = [a.name for a in function.arguments if not a.has_default]
    body_schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        body_schema["required"] = required
    result = {"description": "Result", "content": {"application/json": {"schema": {}}}}
    responses = {"200": result, "204": {"description": "No result (void)"}}
    operation = {
        "summary": function.description or function.name,
        "tags": ["(rpc)"],
        "requestBody": {
            "required": bool(required),
            "content": {"application/json": {"schema": body_schema}},
        },
        "responses": {**responses, **errors(*WRITE_ERRORS)},
    }
    volatile = function.volatility not in ("i", "s")
    item: dict[str, Any] = {
        "post": operation,
        "options": _options("OPTIONS,POST" if volatile else "OPTIONS,GET,HEAD,POST"),
    }
    if not volatile:
        parameters = [
            {
                "name": a.name,
                "in": "query",
                "required": not a.has_default,
                "schema": _argument_schema(a, nullable=False),
            }
            for a in function.arguments
        ]
        item["get"] = {
            "summary": operation["summary"],
            "tags": ["(rpc)"],
            "parameters": parameters,
            "responses": {**responses, **errors(*READ_ERRORS)},
        }
    return item


def document(
    cache: SchemaCache, schema_name: str, privileges: dict[str, Any], server_url: str
) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {"PgrstError": ERROR_SCHEMA}
    checks: dict[str, dict[str, list[str]]] = {}
    for table_name, column, definition in privileges.get("checks", []):
        checks.setdefault(table_name, {}).setdefault(column, []).append(definition)
    for (schema, name), table in sorted(cache.tables.items()):
        rights = privileges["tables"].get(name)
        if schema != schema_name or not rights or not any(rights):
            continue
        paths[f"/{name}"] = table_path(table, rights, checks.get(name))
        schemas[name] = table_schema(table, checks.get(name))
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
        statement = Statement(Frag(*privileges_statement(schema_name)), VALUE)
        assert state.pool is not None
        db = DbCall(state.pool, ctx, state.config.db_pool_acquisition_timeout)
        outcome = await run(db, [statement], read_only=True)
        privileges = json.loads(outcome.result.body or b"{}")
        if state.config.openapi_mode == "ignore-privileges":
            privileges["tables"] = {
                n: [True] * 4 for (s, n) in state.schema_cache().tables if s == schema_name
            }
        server = f"{request.scheme}://{request.host}{state.prefix}"
        body = document(state.schema_cache(), schema_name, privileges, server)
    except ApiError as error:
        return error_response(error)
    return web.json_response(body, content_type="application/openapi+json")
