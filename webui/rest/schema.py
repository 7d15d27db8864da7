"""The schema cache: tables, views, columns, keys, relationships and functions of the exposed
schemas, read from the catalog in one statement at start and on `NOTIFY pgrst, 'reload schema'`.

Every identifier that reaches SQL comes from here, pre-quoted with `psycopg.sql.Identifier`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from psycopg import AsyncConnection, sql


@lru_cache(maxsize=8192)
def quote(name: str) -> str:
    """The identifier, quoted by psycopg, with `%` doubled for the placeholder parser."""
    return sql.Identifier(name).as_string(None).replace("%", "%%")


@dataclass
class Column:
    name: str
    type: str
    nullable: bool
    default: str | None
    generated: bool
    description: str | None
    quoted: str = ""

    def __post_init__(self) -> None:
        self.quoted = quote(self.name)


@dataclass
class Relationship:
    """From the table it hangs on: m2o (this table holds the FK), o2m, o2o, or m2m (junction)."""

    kind: str
    constraint: str
    target: Table
    pairs: list[tuple[str, str]]  # (this column, target column); for m2m: (this, junction)
    junction: Table | None = None
    junction_pairs: list[tuple[str, str]] = field(default_factory=list)  # (junction, target)
    junction_constraint: str = ""

    @property
    def to_one(self) -> bool:
        return self.kind in ("m2o", "o2o")


@dataclass
class Table:
    schema: str
    name: str
    kind: str  # r v m f p, or "fn" for a function's result shape
    description: str | None
    columns: dict[str, Column]
    primary_key: list[str]
    uniques: list[frozenset[str]] = field(default_factory=list)
    relationships: list[Relationship] = field(default_factory=list)
    qualified: str = ""
    # statement parts that depend on the table alone, built once (webui/rest/build.py)
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.qualified = f"{quote(self.schema)}.{quote(self.name)}"

    @property
    def insertable(self) -> bool:
        return self.kind in ("r", "p", "v", "f")


@dataclass
class Argument:
    name: str
    type: str
    has_default: bool


@dataclass
class Function:
    schema: str
    name: str
    description: str | None
    volatility: str  # i s v
    returns_set: bool
    return_type: str
    return_kind: str  # scalar | rows | void
    arguments: list[Argument]
    result: Table | None  # the row shape when return_kind == "rows"
    raw_body: bool = False  # one unnamed json/jsonb argument: a POST body is passed whole
    qualified: str = ""

    def __post_init__(self) -> None:
        self.qualified = f"{quote(self.schema)}.{quote(self.name)}"


@dataclass
class SchemaCache:
    schemas: tuple[str, ...]
    tables: dict[tuple[str, str], Table]
    functions: dict[tuple[str, str], list[Function]]
    has_sessions: bool
    loaded_at: float = 0.0


TABLES_SQL = """
select json_build_object(
  'tables', coalesce((
    select json_agg(json_build_object(
      'schema', n.nspname, 'name', c.relname, 'kind', c.relkind,
      'description', pg_catalog.obj_description(c.oid, 'pg_class'),
      'columns', (
        select coalesce(json_agg(json_build_object(
          'name', a.attname, 'type', pg_catalog.format_type(a.atttypid, a.atttypmod),
          'nullable', not a.attnotnull, 'default', pg_catalog.pg_get_expr(d.adbin, d.adrelid),
          'generated', a.attgenerated <> '' or a.attidentity = 'a',
          'description', pg_catalog.col_description(c.oid, a.attnum)) order by a.attnum), '[]')
        from pg_catalog.pg_attribute a
        left join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
        where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped),
      'uniques', (
        select coalesce(json_agg(json_build_object('primary', i.indisprimary, 'columns', (
          select json_agg(a.attname order by k.ord)
          from unnest(i.indkey) with ordinality k(num, ord)
          join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum = k.num))), '[]')
        from pg_catalog.pg_index i
        where i.indrelid = c.oid and i.indisunique and i.indpred is null
          and i.indexprs is null and i.indisvalid)
    )) from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where n.nspname = any(%(schemas)s) and c.relkind in ('r', 'v', 'm', 'f', 'p')
      and not c.relispartition), '[]'),
  'foreign_keys', coalesce((
    select json_agg(json_build_object(
      'name', k.conname,
      'schema', sn.nspname, 'table', s.relname, 'target_schema', tn.nspname, 'target', t.relname,
      'columns', (select json_agg(a.attname order by x.ord) from unnest(k.conkey) with ordinality
                  x(num, ord) join pg_catalog.pg_attribute a on a.attrelid = k.conrelid
                  and a.attnum = x.num),
      'target_columns', (select json_agg(a.attname order by x.ord) from unnest(k.confkey)
                  with ordinality x(num, ord) join pg_catalog.pg_attribute a
                  on a.attrelid = k.confrelid and a.attnum = x.num)))
    from pg_catalog.pg_constraint k
    join pg_catalog.pg_class s on s.oid = k.conrelid
    join pg_catalog.pg_namespace sn on sn.oid = s.relnamespace
    join pg_catalog.pg_class t on t.oid = k.confrelid
    join pg_catalog.pg_namespace tn on tn.oid = t.relnamespace
    where k.contype = 'f' and (k.conparentid = 0 or k.conparentid is null)
      and sn.nspname not in ('pg_catalog', 'information_schema')), '[]'),
  'view_bases', coalesce((
    select json_agg(json_build_object(
      'schema', vb.view_schema, 'view', vb.view_name, 'base_schema', vb.base_schema,
      'base', vb.base_name, 'columns', vb.columns,
      'primary_key', (select json_agg(a.attname) from pg_catalog.pg_index i
        join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
        where i.indrelid = vb.base_oid and i.indisprimary)))
    from (
      select vn.nspname as view_schema, v.relname as view_name, bn.nspname as base_schema,
             b.relname as base_name, b.oid as base_oid,
             json_agg(distinct ba.attname::text) as columns
      from pg_catalog.pg_class v
      join pg_catalog.pg_namespace vn on vn.oid = v.relnamespace
      join pg_catalog.pg_rewrite r on r.ev_class = v.oid
      join pg_catalog.pg_depend d on d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass
        and d.objid = r.oid and d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
        and d.refobjsubid > 0 and d.refobjid <> v.oid
      join pg_catalog.pg_class b on b.oid = d.refobjid and b.relkind in ('r', 'p', 'f')
      join pg_catalog.pg_namespace bn on bn.oid = b.relnamespace
      join pg_catalog.pg_attribute ba on ba.attrelid = b.oid and ba.attnum = d.refobjsubid
      join pg_catalog.pg_attribute va on va.attrelid = v.oid and va.attname = ba.attname
        and va.attnum > 0 and not va.attisdropped
      where vn.nspname = any(%(schemas)s) and v.relkind in ('v', 'm')
      group by 1, 2, 3, 4, 5) vb), '[]'),
  'functions', coalesce((
    select json_agg(json_build_object(
      'schema', n.nspname, 'name', p.proname,
      'description', pg_catalog.obj_description(p.oid, 'pg_proc'),
      'volatility', p.provolatile, 'returns_set', p.proretset,
      'return_type', pg_catalog.format_type(p.prorettype, null),
      'return_typtype', rt.typtype,
      'return_relation', case when rc.oid is not null then
         json_build_object('schema', rn.nspname, 'name', rc.relname, 'kind', rc.relkind) end,
      'return_columns', (select json_agg(json_build_object('name', a.attname,
         'type', pg_catalog.format_type(a.atttypid, a.atttypmod)) order by a.attnum)
         from pg_catalog.pg_attribute a where a.attrelid = rc.oid and a.attnum > 0
         and not a.attisdropped),
      'defaults', p.pronargdefaults,
      'arguments', coalesce((
        select json_agg(json_build_object('name', coalesce(x.name, ''),
          'type', pg_catalog.format_type(x.type, null), 'mode', x.mode) order by x.idx)
        from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[]),
                    coalesce(p.proargmodes, array_fill('i'::"char", array[p.pronargs::int])),
                    p.proargnames) with ordinality x(type, mode, name, idx)), '[]')))
    from pg_catalog.pg_proc p
    join pg_catalog.pg_namespace n on n.oid = p.pronamespace
    join pg_catalog.pg_type rt on rt.oid = p.prorettype
    left join pg_catalog.pg_class rc on rc.oid = rt.typrelid
    left join pg_catalog.pg_namespace rn on rn.oid = rc.relnamespace
    where n.nspname = any(%(schemas)s) and p.prokind = 'f'), '[]'),
  'has_sessions', pg_catalog.to_regprocedure('auth.resolve_session(text)') is not null
)::text
"""


async def load(conn: AsyncConnection[Any], schemas: tuple[str, ...]) -> SchemaCache:
    cursor = await conn.execute(TABLES_SQL, {"schemas": list(schemas)})
    row = await cursor.fetchone()
    assert row is not None
    return build(json.loads(row[0]), schemas)


def _table(entry: dict[str, Any]) -> Table:
    columns = {
        c["name"]: Column(
            c["name"], c["type"], c["nullable"], c["default"], c["generated"], c["description"]
        )
        for c in entry["columns"]
    }
    uniques = [frozenset(u["columns"]) for u in entry["uniques"] if u["columns"]]
    primary = next((u["columns"] for u in entry["uniques"] if u["primary"]), [])
    return Table(
        entry["schema"],
        entry["name"],
        entry["kind"],
        entry["description"],
        columns,
        primary,
        uniques,
    )


def build(data: dict[str, Any], schemas: tuple[str, ...]) -> SchemaCache:
    tables = {(t["schema"], t["name"]): _table(t) for t in data["tables"]}
    covers = _covers(tables, data.get("view_bases", []))
    _link(covers, data["foreign_keys"])
    for junction in tables.values():
        _junction_links(junction)
    functions: dict[tuple[str, str], list[Function]] = {}
    for entry in data["functions"]:
        function = _function(entry, tables)
        if function is not None:
            functions.setdefault((function.schema, function.name), []).append(function)
    return SchemaCache(schemas, tables, functions, bool(data["has_sessions"]))


Cover = tuple[Table, dict[str, str]]  # an exposed relation and base column → its column


def _covers(
    tables: dict[tuple[str, str], Table], view_bases: list[dict[str, Any]]
) -> dict[tuple[str, str], list[Cover]]:
    """Which exposed relations show which base table's columns: a table shows itself; a view
    shows the base columns it selects under the same name (unambiguously). A view that shows a
    base table's whole primary key gets it as its own key, so keys and relationships follow."""
    covers: dict[tuple[str, str], list[Cover]] = {}
    for key, table in tables.items():
        if table.kind in ("r", "p", "f"):
            covers.setdefault(key, []).append((table, {c: c for c in table.columns}))
    claimed: dict[tuple[str, str], list[str]] = {}
    for entry in view_bases:
        for column in entry["columns"]:
            claimed.setdefault((entry["schema"], entry["view"]), []).append(column)
    for entry in view_bases:
        view = tables.get((entry["schema"], entry["view"]))
        if view is None:
            continue
        names = claimed[(entry["schema"], entry["view"])]
        mapping = {c: c for c in entry["columns"] if names.count(c) == 1}
        covers.setdefault((entry["base_schema"], entry["base"]), []).append((view, mapping))
        primary = entry["primary_key"] or []
        if primary and not view.primary_key and all(c in mapping for c in primary):
            view.primary_key = [mapping[c] for c in primary]
            view.uniques.append(frozenset(view.primary_key))
    return covers


def _link(covers: dict[tuple[str, str], list[Cover]], foreign_keys: list[dict[str, Any]]) -> None:
    for fk in foreign_keys:
        sources = covers.get((fk["schema"], fk["table"]), [])
        targets = covers.get((fk["target_schema"], fk["target"]), [])
        for source, source_map in sources:
            for target, target_map in targets:
                if all(c in source_map for c in fk["columns"]) and all(
                    c in target_map for c in fk["target_columns"]
                ):
                    _relate(fk, source, target, source_map, target_map)


def _relate(
    fk: dict[str, Any],
    source: Table,
    target: Table,
    source_map: dict[str, str],
    target_map: dict[str, str],
) -> None:
    pairs = [
        (source_map[s], target_map[t])
        for s, t in zip(fk["columns"], fk["target_columns"], strict=True)
    ]
    source.relationships.append(Relationship("m2o", fk["name"], target, pairs))
    one = frozenset(p[0] for p in pairs) in source.uniques
    back = [(t, s) for s, t in pairs]
    target.relationships.append(Relationship("o2o" if one else "o2m", fk["name"], source, back))


def _junction_links(junction: Table) -> None:
    """A table with two FKs whose columns are all in its primary key joins its two targets m2m."""
    keys = set(junction.primary_key)
    m2o = [r for r in junction.relationships if r.kind == "m2o" and {p[0] for p in r.pairs} <= keys]
    for left in m2o:
        for right in m2o:
            if left is right:
                continue
            left.target.relationships.append(
                Relationship(
                    "m2m",
                    left.constraint,
                    right.target,
                    [(t, s) for s, t in left.pairs],
                    junction,
                    right.pairs,
                    right.constraint,
                )
            )


_RAW_TYPES = ("json", "jsonb")


def _function(entry: dict[str, Any], tables: dict[tuple[str, str], Table]) -> Function | None:
    arguments = [
        Argument(a["name"], a["type"], False) for a in entry["arguments"] if a["mode"] in "ibv"
    ]
    raw_body = len(arguments) == 1 and not arguments[0].name and arguments[0].type in _RAW_TYPES
    if any(not a.name for a in arguments) and not raw_body:
        return None  # unnamed arguments cannot be called by name
    for argument in arguments[len(arguments) - entry["defaults"] :] if entry["defaults"] else []:
        argument.has_default = True
    outputs = [a for a in entry["arguments"] if a["mode"] in "tob"]
    result, kind = _result_shape(entry, outputs, tables)
    return Function(
        entry["schema"],
        entry["name"],
        entry["description"],
        entry["volatility"],
        entry["returns_set"],
        entry["return_type"],
        kind,
        arguments,
        result,
        raw_body,
    )


def _result_shape(
    entry: dict[str, Any], outputs: list[dict[str, Any]], tables: dict[tuple[str, str], Table]
) -> tuple[Table | None, str]:
    if entry["return_type"] == "void":
        return None, "void"
    relation = entry["return_relation"]
    if relation and (relation["schema"], relation["name"]) in tables:
        return tables[(relation["schema"], relation["name"])], "rows"
    columns = entry["return_columns"] or (outputs if entry["return_type"] == "record" else None)
    if not columns:
        return None, "scalar"
    shape = {c["name"]: Column(c["name"], c["type"], True, None, False, None) for c in columns}
    return Table(entry["schema"], entry["name"], "fn", None, shape, []), "rows"
