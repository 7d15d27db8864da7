"""Stage 2 of a request (parse → **build** → run → respond): the one statement of each request
kind, and the names of the columns it answers (`Statement.layout`, read back as a `Result`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple, Protocol

from webui.rest.build import Builder, Built, Frag, ReadSpec, cat, join
from webui.rest.errors import ApiError, column_not_found
from webui.rest.schema import Table, quote


class RawResult(Protocol):
    """A statement's rows as the wire brought them (webui/rest/wire.py)."""

    rows: list[list[bytes | None]]
    affected: int


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


# The columns a statement answers, in its select list's order (below).
# A read: the total (or null), the page's row count, the body, then what SQL set for the
# response (`response.headers`, `response.status`).
READ = ("total", "page", "body", "headers", "status")
# A write wrapped to build its representation: as a read, with the Location keys after the
# body and, last, the rows an upsert inserted.
WRITE = ("total", "page", "body", "location", "headers", "status", "inserted")
# A function called for its value (or for nothing: a null body).
SCALAR = ("body", "headers", "status")
SCALAR_SET = ("body", "headers", "status", "page")  # a set-returning function: its row count too
# A bare write: no row, only the command's row count.
COMMAND: tuple[str, ...] = ()
# One text value (a JSON document, an Allow list) as the body.
VALUE = ("body",)
# Rows of one text column (EXPLAIN's lines), joined by newlines as the body.
LINES = ("lines",)


class Statement(NamedTuple):
    """One SQL statement of the request, and what its columns are (a layout above)."""

    frag: Frag
    layout: tuple[str, ...]


@dataclass(slots=True)
class Result:
    """What one statement answered, by name. Values stay the bytes PostgreSQL sent (the body is
    never decoded); `affected` is the command's row count."""

    total: int | None = None
    page: int = 0
    body: bytes | None = None
    location: bytes | None = None
    headers: bytes | None = None  # response.headers as SQL set it (JSON text)
    status: bytes | None = None  # response.status as SQL set it
    inserted: int | None = None
    affected: int = 0

    @classmethod
    def of(cls, layout: tuple[str, ...], result: RawResult) -> Result:
        if layout == LINES:
            return cls(body=b"\n".join(r[0] or b"" for r in result.rows), affected=result.affected)
        if not layout or not result.rows:
            return cls(affected=result.affected)
        row = result.rows[0]
        t, p, b, loc, h, st, ins = [None if k is None else row[k] for k in _positions(layout)]
        return cls(_integer(t), _integer(p) or 0, b, loc, h, st, _integer(ins), result.affected)


_FIELDS = ("total", "page", "body", "location", "headers", "status", "inserted")


@lru_cache(maxsize=16)
def _positions(layout: tuple[str, ...]) -> tuple[int | None, ...]:
    """Where each of `Result`'s columns sits in a layout (None: not there), once per layout."""
    return tuple(layout.index(name) if name in layout else None for name in _FIELDS)


def _integer(value: bytes | None) -> int | None:
    return None if value is None else int(value)


def read_statement(built: Built, count: Frag | None, shape: Shape) -> Statement:
    """The `READ` columns: total (or null), page count, body, response.headers and status."""
    total = count if count is not None else Frag("null")
    frag = cat(
        "select ",
        total,
        "::bigint, pg_catalog.count(*)::bigint, ",
        body_expression(shape, built.names),
        RESPONSE_GUCS,
        " from (",
        built.rows,
        ") _r",
    )
    return Statement(frag, READ)


def exact_count(built: Built) -> Frag:
    return cat("(select pg_catalog.count(*) from ", built.from_clause, built.where, ")")


def explain_count(built: Built) -> Statement:
    """The planner's row estimate, as EXPLAIN's JSON document (`planned_rows` reads it)."""
    frag = cat("explain (format json) select 1 from ", built.from_clause, built.where)
    return Statement(frag, VALUE)


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


def returning(dml: Frag, built: Built, shape: Shape, location_keys: list[str]) -> Statement:
    """The write wrapped so that PostgreSQL also builds the representation (and Location keys).
    The `WRITE` columns: null, affected rows, body, Location keys, response.headers and status,
    rows an upsert inserted."""
    keys = Frag("null")
    if location_keys:
        pairs = ", ".join(f"'{k}', _s.{quote(k)}" for k in location_keys if "'" not in k)
        keys = Frag(f"(select json_build_object({pairs})::text from pgrst_source _s limit 1)")
    frag = cat(
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
    return Statement(frag, WRITE)


def function_call(source: Frag, kind: str) -> Statement:
    """A function called for its value, `source` aliased `_f`: the `SCALAR` columns. `kind`:
    void (a null body), set (a JSON array of its rows) or one (its one value as JSON)."""
    value = {
        "void": "select null",
        "set": "select coalesce(json_agg(_f), '[]')::text",
        "one": "select to_json(_f)::text",
    }[kind]
    if kind == "set":  # its row count, for max-affected
        return Statement(
            cat(value, RESPONSE_GUCS, ", pg_catalog.count(*)::bigint from ", source, " _f"),
            SCALAR_SET,
        )
    return Statement(cat(value, RESPONSE_GUCS, " from ", source, " _f"), SCALAR)


def require_object_rows(payload: Any) -> list[dict[str, Any]]:
    rows = payload if isinstance(payload, list) else [payload]
    if not all(isinstance(r, dict) for r in rows):
        raise ApiError(
            400, "PGRST102", "Invalid body: expected a JSON object or an array of objects"
        )
    return rows
