"""The one statement of each request kind. Each returns (total, page count, body[, location])."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from webui.rest.build import Builder, Built, Frag, ReadSpec, cat, join
from webui.rest.errors import ApiError, column_not_found
from webui.rest.schema import Table, quote

# A CSV line is PostgreSQL's own row text without its parentheses, as PostgREST sends it: a
# value with a comma, quote, backslash, parenthesis or white space, or an empty string, is
# double-quoted (quotes and backslashes doubled), and NULL is nothing.
CSV_LINE = "substring(_r::text, 2, length(_r::text) - 2)"


@dataclass
class Shape:
    """How PostgreSQL shapes the body: json array, one object, csv, with or without nulls."""

    kind: str = "json"  # json | object | csv
    strip_nulls: bool = False
    bodiless: bool = False  # HEAD: counts and headers only, no body built (as PostgREST)


def body_expression(shape: Shape, names: list[str]) -> Frag:
    if shape.bodiless:
        return Frag("''")
    if shape.kind == "csv":
        header = ",".join(_csv_header(n) for n in names)
        line = CSV_LINE if names else "''"
        return cat(Frag("%s || ", (header,)), f"coalesce(E'\\n' || string_agg({line}, E'\\n'), '')")
    aggregate = "json_agg(_r)"
    if shape.strip_nulls:
        aggregate = "json_agg(json_strip_nulls(row_to_json(_r)))"
    if shape.kind == "object":
        return Frag(f"coalesce(({aggregate} -> 0)::text, '')")
    return Frag(f"coalesce({aggregate}, '[]')::text")


def _csv_header(name: str) -> str:
    if any(c in name for c in ',"\r\n'):
        return '"' + name.replace('"', '""') + '"'
    return name


# What SQL may set for the response (PostgREST's response.headers and response.status GUCs),
# read after the body so that a function called while building it can set them.
RESPONSE_GUCS = (
    ", nullif(pg_catalog.current_setting('response.headers', true), '')"
    ", nullif(pg_catalog.current_setting('response.status', true), '')"
)


def read_statement(built: Built, count: Frag | None, shape: Shape) -> Frag:
    """Columns: total (or null), page count, body, response.headers, response.status."""
    total = count if count is not None else Frag("null")
    return cat(
        "select ",
        total,
        "::bigint, pg_catalog.count(*)::bigint, ",
        body_expression(shape, built.names),
        RESPONSE_GUCS,
        " from (",
        built.rows,
        ") _r",
    )


def exact_count(built: Built) -> Frag:
    return cat("(select pg_catalog.count(*) from ", built.from_clause, built.where, ")")


def explain_count(built: Built) -> Frag:
    return cat("explain (format json) select 1 from ", built.from_clause, built.where)


def planned_rows(plan_json: Any) -> int:
    document = plan_json if isinstance(plan_json, list) else json.loads(plan_json)
    return int(document[0]["Plan"]["Plan Rows"])


def dml_where(table: Table, spec: ReadSpec) -> Frag:
    builder = Builder(spec)
    conditions = builder.where(table, '"t0"', (), {})
    return cat(" where ", join(" and ", conditions)) if conditions else Frag("")


def check_columns(table: Table, names: list[str]) -> list[str]:
    for name in names:
        column = table.columns.get(name)
        if column is None:
            raise column_not_found(name, table.name)
    return names


def _default_row(table: Table) -> str:
    values = [
        c.default if c.default and not c.generated else "null" for c in table.columns.values()
    ]
    return f"row({', '.join(values)})::{table.qualified}"


# PostgREST's way of telling an upsert's inserts from its updates, through a transaction-local
# counter: +1 for each row offered to the insert, -1 for each conflicting row it updated.
_INSERTED = "coalesce(nullif(pg_catalog.current_setting('pgrst.inserted', true), '')::int, 0)"
COUNT_OFFERED = f"pg_catalog.set_config('pgrst.inserted', ({_INSERTED} + 1)::text, true) <> '0'"
COUNT_UPDATED = f"pg_catalog.set_config('pgrst.inserted', ({_INSERTED} - 1)::text, true) <> '-1'"
INSERTED = ", nullif(pg_catalog.current_setting('pgrst.inserted', true), '')::int"


def insert_statement(
    table: Table,
    columns: list[str],
    on_conflict: list[str] | None,
    resolution: str | None,
    missing_default: bool,
) -> Frag:
    """insert …; the JSON body (always an array) is the only parameter. An upsert counts the
    rows it inserted in `pgrst.inserted`."""
    quoted = ", ".join(quote(c) for c in columns)
    selected = ", ".join(f"_j.{quote(c)}" for c in columns)
    if missing_default:
        row = f"json_populate_record({_default_row(table)}, e)"
        source = f"(select ({row}).* from json_array_elements(%s::json) e) _j"
    else:
        source = f"json_populate_recordset(null::{table.qualified}, %s::json) _j"
    text = f'insert into {table.qualified} as "t0" ({quoted}) select {selected} from {source}'
    if on_conflict is not None and resolution:
        if resolution == "merge-duplicates":
            text += f" where {COUNT_OFFERED}"
        text += _conflict_clause(columns, on_conflict, resolution)
    return Frag(text)


def _conflict_clause(columns: list[str], target: list[str], resolution: str) -> str:
    keys = ", ".join(quote(c) for c in target)
    updates = [f"{quote(c)} = excluded.{quote(c)}" for c in columns if c not in target]
    if resolution == "ignore-duplicates":
        return f" on conflict ({keys}) do nothing"
    if not updates:  # every column is a key: an update would change nothing; count it as one
        updates = [f"{quote(target[0])} = excluded.{quote(target[0])}"]
    return f" on conflict ({keys}) do update set {', '.join(updates)} where {COUNT_UPDATED}"


def update_statement(table: Table, columns: list[str], where: Frag) -> Frag:
    sets = ", ".join(f"{quote(c)} = _j.{quote(c)}" for c in columns)
    head = (
        f'update {table.qualified} as "t0" set {sets} '
        f"from (select * from json_populate_record(null::{table.qualified}, %s::json)) _j"
    )
    return cat(head, where)


def delete_statement(table: Table, where: Frag) -> Frag:
    return cat(f'delete from {table.qualified} as "t0"', where)


def returning(dml: Frag, built: Built, shape: Shape, location_keys: list[str]) -> Frag:
    """The write wrapped so that PostgreSQL also builds the representation (and Location keys).
    Columns: null, affected rows, body, Location keys, response.headers, response.status, rows
    an upsert inserted."""
    keys = Frag("null")
    if location_keys:
        pairs = ", ".join(f"'{k}', _s.{quote(k)}" for k in location_keys if "'" not in k)
        keys = Frag(f"(select json_build_object({pairs})::text from pgrst_source _s limit 1)")
    return cat(
        "with pgrst_source as (",
        dml,
        ' returning "t0".*) select null::bigint, ',
        "(select pg_catalog.count(*) from pgrst_source)::bigint, ",
        body_expression(shape, built.names),
        ", ",
        keys,
        RESPONSE_GUCS,
        INSERTED,
        " from (",
        built.rows,
        ") _r",
    )


def require_object_rows(payload: Any) -> list[dict[str, Any]]:
    rows = payload if isinstance(payload, list) else [payload]
    if not all(isinstance(r, dict) for r in rows):
        raise ApiError(
            400, "PGRST102", "Invalid body: expected a JSON object or an array of objects"
        )
    return rows
