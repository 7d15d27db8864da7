"""What the live database says about the declarations: drift (`policies diff`) and the checks
that need the catalog (`policies check --live`). Read-only; every value is bound."""

from __future__ import annotations

from typing import Any

import psycopg

from webui.core.roles import REQUEST_ROLES
from webui.policies import code, tables
from webui.policies import model as m
from webui.policies.plan import grantees

TIERS_SQL = "array[" + ", ".join(f"'{role}'" for role in REQUEST_ROLES) + "]"

_TABLE = "select to_regclass(%(name)s)::oid"
_COLUMNS = """
select a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), not a.attnotnull
  from pg_catalog.pg_attribute a
 where a.attrelid = %(oid)s and a.attnum > 0 and not a.attisdropped order by a.attnum
"""
_RLS = "select relrowsecurity, relforcerowsecurity from pg_catalog.pg_class where oid = %(oid)s"
_POLICIES = (
    "select policyname from pg_catalog.pg_policies "
    "where schemaname = %(schema)s and tablename = %(table)s"
)
_CONSTRAINTS = (
    "select conname from pg_catalog.pg_constraint where conrelid = %(oid)s "
    "and contype in ('p', 'u', 'c', 'f')"
)
_INDEXES = (
    "select c.relname from pg_catalog.pg_index i "
    "join pg_catalog.pg_class c on c.oid = i.indexrelid "
    "where i.indrelid = %(oid)s and not i.indisprimary and not i.indisunique"
)
_TRIGGERS = (
    "select tgname from pg_catalog.pg_trigger where tgrelid = %(oid)s and not tgisinternal "
    "and tgname not like 'audit%%'"
)
_HELPER = "select to_regprocedure(%(signature)s) is not null"
_GRANTS = f"""
select g.grantee::regrole::text, g.privilege_type
  from pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) g
 where c.oid = %(oid)s and g.grantee::regrole::text = any({TIERS_SQL})
union
select g.grantee::regrole::text, g.privilege_type || '(' || a.attname || ')'
  from pg_catalog.pg_attribute a, pg_catalog.aclexplode(a.attacl) g
 where a.attrelid = %(oid)s and a.attnum > 0 and g.grantee::regrole::text = any({TIERS_SQL})
"""
_UNPROTECTED = f"""
select c.oid::regclass::text
  from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
 where c.relkind in ('r', 'p') and n.nspname = any(%(schemas)s) and not c.relrowsecurity
   and exists (select from pg_catalog.aclexplode(c.relacl) g
                where g.grantee::regrole::text = any({TIERS_SQL}))
 order by 1
"""
_DEFINER_VIEWS = """
select distinct v.oid::regclass::text, t.oid::regclass::text
  from pg_catalog.pg_class v
  join pg_catalog.pg_namespace n on n.oid = v.relnamespace
  join pg_catalog.pg_rewrite w on w.ev_class = v.oid
  join pg_catalog.pg_depend d on d.objid = w.oid and d.classid = 'pg_rewrite'::regclass
  join pg_catalog.pg_class t on t.oid = d.refobjid and t.relkind in ('r', 'p')
 where v.relkind = 'v' and n.nspname = any(%(schemas)s) and t.relrowsecurity
   and not coalesce(v.reloptions, '{}') @> array['security_invoker=true']
 order by 1, 2
"""


def _expected_grants(r: m.Resource) -> set[tuple[str, str]]:
    """The plan's grants as the catalog lists them: (role, PRIVILEGE) or (role, PRIVILEGE(col))."""
    found: set[tuple[str, str]] = set()
    for grant in code.grants(r):
        privilege, _, cols = grant.privilege.partition(" (")
        for role in grantees(grant.role).split(", "):
            if cols:
                found |= {(role, f"{privilege.upper()}({c})") for c in cols[:-1].split(", ")}
            else:
                found.add((role, privilege.upper()))
    return found


def _expected_constraints(r: m.Resource, catalog: dict[str, m.Resource]) -> set[str]:
    if r.adopt:
        return set()
    return {c.name for c in tables.constraints(r, catalog)}


def _rows(conn: psycopg.Connection, query: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    return conn.execute(query, params).fetchall()


def _diff_resource(
    conn: psycopg.Connection, r: m.Resource, catalog: dict[str, m.Resource]
) -> list[str]:
    row = conn.execute(_TABLE, {"name": r.qualified}).fetchone()
    if not row or row[0] is None:
        return [f"{r.name}: table {r.qualified} is missing"]
    oid = row[0]
    out: list[str] = []
    live_columns = {
        name: (typ, nullable) for name, typ, nullable in _rows(conn, _COLUMNS, {"oid": oid})
    }
    for f in r.fields:
        live = live_columns.get(f.name)
        if live is None:
            out.append(f"{r.name}: column {f.name} is missing")
        elif live[0] != _format_type(f.type):
            out.append(f"{r.name}: column {f.name} is {live[0]}, declared {f.type}")
    if not r.adopt:
        out += [f"{r.name}: extra column {c}" for c in live_columns if not r.field(c)]
    enabled, forced = conn.execute(_RLS, {"oid": oid}).fetchone() or (False, False)
    if not (enabled and forced):
        out.append(f"{r.name}: row-level security is not enabled and forced")
    out += _set_drift(
        r.name,
        "policy",
        {p.name for p in code.policies(r, catalog)},
        {p for (p,) in _rows(conn, _POLICIES, {"schema": r.schema, "table": r.table})},
    )
    out += _set_drift(
        r.name,
        "grant",
        {" ".join(g) for g in _expected_grants(r)},
        {" ".join(g) for g in _rows(conn, _GRANTS, {"oid": oid})},
    )
    out += _set_drift(
        r.name,
        "trigger",
        {t.name for t in code.triggers(r, catalog)},
        {t for (t,) in _rows(conn, _TRIGGERS, {"oid": oid})},
    )
    for helper, _ in code.exists_helpers(r, catalog).values():
        found = conn.execute(_HELPER, {"signature": helper.signature}).fetchone()
        if not found or not found[0]:
            out.append(f"{r.name}: missing exists helper {helper.signature}")
    if not r.adopt:
        out += _set_drift(
            r.name,
            "constraint",
            _expected_constraints(r, catalog),
            {c for (c,) in _rows(conn, _CONSTRAINTS, {"oid": oid})},
        )
        out += _set_drift(
            r.name,
            "index",
            {i.name for i in tables.indexes(r, catalog)},
            {i for (i,) in _rows(conn, _INDEXES, {"oid": oid})},
        )
    return out


def _format_type(sql_type: str) -> str:
    return {"timestamptz": "timestamp with time zone"}.get(sql_type, sql_type)


def _set_drift(name: str, kind: str, expected: set[str], live: set[str]) -> list[str]:
    return [f"{name}: missing {kind} {x}" for x in sorted(expected - live)] + [
        f"{name}: extra {kind} {x}" for x in sorted(live - expected)
    ]


def diff(url: str, decls: list[m.Declarations], catalog: dict[str, m.Resource]) -> list[str]:
    """One line per difference between the declarations and the live database."""
    with psycopg.connect(url) as conn:
        return [
            line for d in decls for r in d.resources for line in _diff_resource(conn, r, catalog)
        ]


def live_issues(url: str, decls: list[m.Declarations]) -> list[m.Issue]:
    """Tables a tier can reach without RLS, and definer views over RLS tables, in the schemas
    the declarations use."""
    schemas = sorted({r.schema for d in decls for r in d.resources})
    issues: list[m.Issue] = []
    with psycopg.connect(url) as conn:
        for (table,) in _rows(conn, _UNPROTECTED, {"schemas": schemas}):
            issues.append(
                m.Issue(
                    "error",
                    "table-without-rls",
                    "database",
                    "",
                    table,
                    f"{table} is granted to a tier but has no row-level security",
                )
            )
        for view, table in _rows(conn, _DEFINER_VIEWS, {"schemas": schemas}):
            issues.append(
                m.Issue(
                    "error",
                    "view-without-security-invoker",
                    "database",
                    "",
                    view,
                    f"view {view} reads {table} (row-level security) with its "
                    "owner's rights; alter view … set (security_invoker = true)",
                )
            )
    return issues
