"""`pgwarden gen types typescript`: a `Database` type for `@supabase/postgrest-js`, in the shape
`supabase gen types typescript` emits (Tables and Views with Row/Insert/Update and Relationships,
Functions with Args/Returns, Enums, CompositeTypes), read from the catalog.

Enums are PostgreSQL enum types of the schema, plus every `choices` column of the policy files:
those compile to `check (col in (…))`, which PostgreSQL keeps as `col = ANY (ARRAY[…])`; such a
column gets the enum `<table>_<column>`. Views carry no Relationships (postgrest-js then embeds
only from the tables' side)."""

from __future__ import annotations

import json
import re
from typing import Any

import psycopg

CATALOG_SQL = """
with rels as (
  select c.oid, c.relname, c.relkind, pg_catalog.pg_relation_is_updatable(c.oid, false) as upd
    from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
   where n.nspname = %(schema)s and c.relkind in ('r', 'p', 'v', 'm', 'f')
     and not c.relispartition
), cols as (
  select a.attrelid, a.attnum, a.attname, not a.attnotnull as nullable,
         a.atthasdef or a.attidentity <> '' or a.attgenerated <> '' or not a.attnotnull
           as optional,
         a.attgenerated <> '' or a.attidentity = 'a' as generated_always,
         bt.typname as type, bt.typcategory = 'A' as is_array,
         coalesce(et.typname, bt.typname) as base, coalesce(et.typtype, bt.typtype) as typtype,
         coalesce(en.nspname, bn.nspname) as type_schema,
         (select pg_catalog.json_agg(e.enumlabel order by e.enumsortorder) from pg_catalog.pg_enum e
           where e.enumtypid = coalesce(et.oid, bt.oid)) as labels,
         (select pg_catalog.pg_get_constraintdef(k.oid) from pg_catalog.pg_constraint k
           where k.conrelid = a.attrelid and k.contype = 'c' and k.conkey = array[a.attnum]
             and pg_catalog.pg_get_constraintdef(k.oid) like '%%= ANY (ARRAY[%%'
           order by k.conname limit 1) as choices_check
    from pg_catalog.pg_attribute a
    join pg_catalog.pg_type t0 on t0.oid = a.atttypid
    join pg_catalog.pg_type bt on bt.oid = case when t0.typtype = 'd' then t0.typbasetype
                                           else t0.oid end
    join pg_catalog.pg_namespace bn on bn.oid = bt.typnamespace
    left join pg_catalog.pg_type et on et.oid = bt.typelem and bt.typcategory = 'A'
    left join pg_catalog.pg_namespace en on en.oid = et.typnamespace
   where a.attnum > 0 and not a.attisdropped and a.attrelid in (select oid from rels)
)
select pg_catalog.json_build_object(
  'relations', coalesce((select pg_catalog.json_agg(pg_catalog.json_build_object(
      'name', r.relname, 'kind', r.relkind, 'updatable', (r.upd & 12) <> 0,
      'columns', (select coalesce(pg_catalog.json_agg(pg_catalog.row_to_json(c) order by c.attnum),
                                  '[]') from cols c where c.attrelid = r.oid),
      'foreign_keys', (select coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
          'name', k.conname, 'target', t.relname, 'target_schema', tn.nspname,
          'columns', (select pg_catalog.json_agg(a.attname order by x.ord)
                        from unnest(k.conkey) with ordinality x(num, ord)
                        join pg_catalog.pg_attribute a on a.attrelid = k.conrelid
                         and a.attnum = x.num),
          'target_columns', (select pg_catalog.json_agg(a.attname order by x.ord)
                        from unnest(k.confkey) with ordinality x(num, ord)
                        join pg_catalog.pg_attribute a on a.attrelid = k.confrelid
                         and a.attnum = x.num),
          'one_to_one', exists (select 1 from pg_catalog.pg_index i
                                 where i.indrelid = k.conrelid and i.indisunique
                                   and i.indpred is null
                                   and i.indnkeyatts = pg_catalog.cardinality(k.conkey)
                                   and i.indkey::int2[] @> k.conkey))
          order by k.conname), '[]')
        from pg_catalog.pg_constraint k
        join pg_catalog.pg_class t on t.oid = k.confrelid
        join pg_catalog.pg_namespace tn on tn.oid = t.relnamespace
       where k.conrelid = r.oid and k.contype = 'f'))
    order by r.relname) from rels r), '[]'),
  'enums', coalesce((select pg_catalog.json_object_agg(t.typname,
      (select pg_catalog.json_agg(e.enumlabel order by e.enumsortorder) from pg_catalog.pg_enum e
        where e.enumtypid = t.oid))
      from pg_catalog.pg_type t join pg_catalog.pg_namespace n on n.oid = t.typnamespace
     where n.nspname = %(schema)s and t.typtype = 'e'), '{}'),
  'functions', coalesce((select pg_catalog.json_agg(pg_catalog.json_build_object(
      'name', p.proname, 'returns_set', p.proretset, 'return_type', rt.typname,
      'return_relation', case when rc.relkind in ('r', 'p', 'v', 'm', 'f')
                              and rcn.nspname = %(schema)s then rc.relname end,
      'return_relkind', rc.relkind, 'defaults', p.pronargdefaults,
      'arguments', coalesce((select pg_catalog.json_agg(pg_catalog.json_build_object(
          'name', coalesce(x.name, ''), 'type', at.typname, 'mode', x.mode,
          'is_array', at.typcategory = 'A', 'base', coalesce(ae.typname, at.typname))
          order by x.idx)
        from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[]),
                    coalesce(p.proargmodes, array_fill('i'::"char", array[p.pronargs::int])),
                    p.proargnames) with ordinality x(type, mode, name, idx)
        join pg_catalog.pg_type at on at.oid = x.type
        left join pg_catalog.pg_type ae on ae.oid = at.typelem and at.typcategory = 'A'), '[]'))
      order by p.proname, p.oid)
    from pg_catalog.pg_proc p
    join pg_catalog.pg_namespace n on n.oid = p.pronamespace
    join pg_catalog.pg_type rt on rt.oid = p.prorettype
    left join pg_catalog.pg_class rc on rc.oid = rt.typrelid
    left join pg_catalog.pg_namespace rcn on rcn.oid = rc.relnamespace
   where n.nspname = %(schema)s and p.prokind = 'f'
     and rt.typname not in ('trigger', 'event_trigger')), '[]')
)::text
"""

_NUMBER = {"int2", "int4", "int8", "float4", "float8", "numeric", "oid", "money"}
_STRING = {
    "text", "varchar", "bpchar", "char", "name", "uuid", "date", "time", "timetz", "timestamp",
    "timestamptz", "interval", "inet", "cidr", "macaddr", "citext", "bytea", "tsvector", "xml",
    "bit", "varbit", "regclass", "ltree", "int4range", "int8range", "tstzrange", "daterange",
}  # fmt: skip
_SIMPLE = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
_CHOICES = re.compile(r"= ANY \(\(?ARRAY\[(?P<items>.*)\]\)?")
_LITERAL = re.compile(r"'((?:[^']|'')*)'::")
JSON_TYPE = (
    "export type Json =\n  | string\n  | number\n  | boolean\n  | null\n"
    "  | { [key: string]: Json | undefined }\n  | Json[]\n"
)
NONE = "{ [_ in never]: never }"


def catalog(conn: psycopg.Connection, schema: str) -> dict[str, Any]:
    row = conn.execute(CATALOG_SQL, {"schema": schema}).fetchone()
    assert row is not None
    return json.loads(row[0])


def key(name: str) -> str:
    return name if _SIMPLE.match(name) else json.dumps(name)


def literal_union(values: list[str]) -> str:
    return " | ".join(json.dumps(v) for v in values) or "never"


def scalar(base: str) -> str:
    if base in _NUMBER:
        return "number"
    if base == "bool":
        return "boolean"
    if base in ("json", "jsonb"):
        return "Json"
    if base in _STRING:
        return "string"
    if base == "void":
        return "undefined"
    if base == "record":
        return "Record<string, unknown>"
    return "unknown"


def choices(check: str | None) -> list[str]:
    """The values of `col = ANY (ARRAY['a'::text, …])`, PostgreSQL's form of `col in (…)`."""
    match = _CHOICES.search(check or "")
    if not match:
        return []
    return [value.replace("''", "'") for value in _LITERAL.findall(match["items"])]


class Generator:
    """Renders one schema's catalog (`catalog()`) as the body of `Database[schema]`."""

    def __init__(self, schema: str, data: dict[str, Any]) -> None:
        self.schema = schema
        self.data = data
        self.enums: dict[str, list[str]] = dict(data["enums"])
        for rel in data["relations"]:
            for column in rel["columns"]:
                values = choices(column["choices_check"])
                if values:
                    self.enums[f"{rel['name']}_{column['attname']}"] = values

    def column_type(self, rel: str, column: dict[str, Any]) -> str:
        values = choices(column["choices_check"])
        if values:
            base = self.enum_ref(f"{rel}_{column['attname']}")
        elif column["typtype"] == "e" and column["type_schema"] == self.schema:
            base = self.enum_ref(column["base"])
        elif column["typtype"] == "e":
            base = literal_union(column["labels"] or [])
        else:
            base = scalar(column["base"])
        if column["is_array"]:
            base = f"({base})[]" if " " in base else f"{base}[]"
        return f"{base} | null" if column["nullable"] else base

    def enum_ref(self, name: str) -> str:
        return f'Database[{json.dumps(self.schema)}]["Enums"][{json.dumps(name)}]'

    def relation(self, rel: dict[str, Any]) -> str:
        name, cols = rel["name"], rel["columns"]
        row = [f"{key(c['attname'])}: {self.column_type(name, c)}" for c in cols]
        parts = [f"Row: {_object(row, 8)}"]
        if rel["kind"] in ("r", "p", "f") or rel["updatable"]:
            for label, all_optional in (("Insert", False), ("Update", True)):
                fields = [self.write_field(name, c, all_optional) for c in cols]
                parts.append(f"{label}: {_object(fields, 8)}")
        parts.append(f"Relationships: {self.relationships(rel)}")
        return f"{key(name)}: {{\n" + "".join(f"        {p}\n" for p in parts) + "      }"

    def write_field(self, rel: str, column: dict[str, Any], all_optional: bool) -> str:
        if column["generated_always"]:
            return f"{key(column['attname'])}?: never"
        mark = "?" if all_optional or column["optional"] else ""
        return f"{key(column['attname'])}{mark}: {self.column_type(rel, column)}"

    def relationships(self, rel: dict[str, Any]) -> str:
        items = [
            "{\n"
            f"            foreignKeyName: {json.dumps(fk['name'])}\n"
            f"            columns: {json.dumps(fk['columns'])}\n"
            f"            isOneToOne: {'true' if fk['one_to_one'] else 'false'}\n"
            f"            referencedRelation: {json.dumps(fk['target'])}\n"
            f"            referencedColumns: {json.dumps(fk['target_columns'])}\n"
            "          }"
            for fk in rel["foreign_keys"]
            if fk["target_schema"] == self.schema
        ]
        if not items:
            return "[]"
        return "[\n" + "".join(f"          {item},\n" for item in items) + "        ]"

    def function(self, fn: dict[str, Any]) -> str | None:
        inputs = [a for a in fn["arguments"] if a["mode"] in ("i", "b", "v")]
        if any(not a["name"] for a in inputs) and len(inputs) != 1:
            return None  # unnamed arguments cannot be passed by name
        first_default = len(inputs) - fn["defaults"]
        args = [
            f"{key(a['name'] or '')}{'?' if i >= first_default else ''}: {self.arg_type(a)}"
            for i, a in enumerate(inputs)
        ]
        args_type = _inline(args) if inputs and inputs[0]["name"] else NONE
        if inputs and not inputs[0]["name"]:
            args_type = f'{{ "": {self.arg_type(inputs[0])} }}'
        return f"{{\n        Args: {args_type}\n        Returns: {self.returns(fn)}\n      }}"

    def arg_type(self, arg: dict[str, Any]) -> str:
        base = scalar(arg["base"])
        return f"{base}[]" if arg["is_array"] else base

    def returns(self, fn: dict[str, Any]) -> str:
        outs = [a for a in fn["arguments"] if a["mode"] in ("o", "b", "t")]
        if fn["return_relation"]:
            group = "Views" if fn["return_relkind"] in ("v", "m") else "Tables"
            name = json.dumps(fn["return_relation"])
            single = f'Database[{json.dumps(self.schema)}]["{group}"][{name}]["Row"]'
        elif fn["return_type"] == "record" and outs:
            single = _inline([f"{key(a['name'])}: {self.arg_type(a)}" for a in outs])
        else:
            single = scalar(fn["return_type"])
        return f"{single}[]" if fn["returns_set"] else single

    def render(self) -> str:
        tables = [r for r in self.data["relations"] if r["kind"] in ("r", "p", "f")]
        views = [r for r in self.data["relations"] if r["kind"] in ("v", "m")]
        functions: dict[str, list[str]] = {}
        for fn in self.data["functions"]:
            rendered = self.function(fn)
            if rendered is not None:
                functions.setdefault(fn["name"], []).append(rendered)
        enums = [f"{key(n)}: {literal_union(v)}" for n, v in sorted(self.enums.items())]
        fns = [f"{key(n)}: {' | '.join(o)}" for n, o in sorted(functions.items())]
        return (
            f"  {key(self.schema)}: {{\n"
            f"    Tables: {_block([self.relation(r) for r in tables])}\n"
            f"    Views: {_block([self.relation(r) for r in views])}\n"
            f"    Functions: {_block(fns)}\n"
            f"    Enums: {_block(enums)}\n"
            f"    CompositeTypes: {NONE}\n"
            "  }\n"
        )


def _object(fields: list[str], indent: int) -> str:
    if not fields:
        return NONE
    pad = " " * indent
    return "{\n" + "".join(f"{pad}  {f}\n" for f in fields) + f"{pad}}}"


def _inline(fields: list[str]) -> str:
    return "{ " + "; ".join(fields) + " }" if fields else NONE


def _block(entries: list[str]) -> str:
    if not entries:
        return NONE
    return "{\n" + "".join(f"      {e}\n" for e in entries) + "    }"


def generate(conn: psycopg.Connection, schemas: list[str]) -> str:
    """The TypeScript module: `Json` and `Database` (postgrest-js's generic)."""
    bodies = "".join(Generator(s, catalog(conn, s)).render() for s in schemas)
    return (
        "// Generated by `pgwarden gen types typescript`; do not edit.\n"
        f"{JSON_TYPE}\n"
        "export type Database = {\n"
        "  // the dialect follows PostgREST 12 (postgrest-js enables 13+ features otherwise)\n"
        '  __InternalSupabase: { PostgrestVersion: "12" }\n'
        f"{bodies}"
        "}\n"
    )
