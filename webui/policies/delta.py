"""A follow-up change between two versions of one policy file: ALTERs for what was added or
changed (resources, columns, nullability, defaults, constraints, indexes), and every code object
(grants, policies, triggers, hints, audit) re-applied. Its revert restores the previous version.

Removals and type changes lose or rewrite data: they are refused with a clear message, to be
written by hand (`sqitch add`) before compiling again."""

from __future__ import annotations

from webui.policies import code, helpers, tables
from webui.policies import model as m
from webui.policies.sqltext import ident, literal, qualified, text_literal


class DeltaError(ValueError):
    """The change between the two versions cannot be generated safely."""


def _refuse(decl: m.Declarations, what: str) -> DeltaError:
    return DeltaError(
        f"{decl.path}: {what}; that loses or rewrites data, so pgwarden does not generate it: "
        "write that step as a change of your own (sqitch add), then compile again"
    )


def check_supported(old: m.Declarations, new: m.Declarations) -> None:
    for before in old.resources:
        after = new.resource(before.name)
        if after is None:
            raise _refuse(new, f"resource {before.name!r} was removed")
        if (after.schema, after.table, after.adopt) != (before.schema, before.table, before.adopt):
            raise _refuse(new, f"resource {before.name!r} changed its table or adopt flag")
        for f in before.fields:
            g = after.field(f.name)
            if g is None:
                raise _refuse(new, f"field {before.name}.{f.name} was removed")
            if (g.type, g.primary_key, g.generated) != (f.type, f.primary_key, f.generated):
                raise _refuse(new, f"field {before.name}.{f.name} changed its type or key")
    for view in old.views:
        if not any(v.name == view.name for v in new.views):
            raise _refuse(new, f"view {view.name!r} was removed")


def _constraint_map(r: m.Resource, catalog: dict[str, m.Resource]) -> dict[str, str]:
    """The plan's constraints by name (each as printed)."""
    return {c.name: c.sql() for c in tables.constraints(r, catalog)}


def _index_map(r: m.Resource, catalog: dict[str, m.Resource]) -> dict[str, str]:
    return {i.name: i.sql() for i in tables.indexes(r, catalog)}


def _column_changes(a: m.Resource, b: m.Resource) -> list[str]:
    """ALTERs that turn table `a` into table `b` (columns new in b, or changed); dropping the
    columns b no longer has is _column_drops."""
    table = qualified(b.schema, b.table)
    lines = []
    for g in b.fields:
        f = a.field(g.name)
        if f is None:
            lines.append(f"alter table {table} add column {tables.column_sql(g)};")
            continue
        col = ident(g.name)
        if f.nullable != g.nullable and not g.primary_key and not g.generated:
            verb = "drop" if g.nullable else "set"
            lines.append(f"alter table {table} alter column {col} {verb} not null;")
        if f.default != g.default and not g.generated:
            if g.default is None:
                lines.append(f"alter table {table} alter column {col} drop default;")
            else:
                value = literal(g.default, g.type)
                lines.append(f"alter table {table} alter column {col} set default {value};")
        if f.comment != g.comment:
            text = text_literal(g.comment) if g.comment else "null"
            lines.append(f"comment on column {table}.{col} is {text};")
    return lines


def _column_drops(a: m.Resource, b: m.Resource) -> list[str]:
    table = qualified(b.schema, b.table)
    return [
        f"alter table {table} drop column {ident(f.name)};"
        for f in a.fields
        if b.field(f.name) is None
    ]


def _constraint_changes(
    a: m.Resource, b: m.Resource, ca: dict[str, m.Resource], cb: dict[str, m.Resource]
) -> list[str]:
    table = qualified(b.schema, b.table)
    old, new = _constraint_map(a, ca), _constraint_map(b, cb)
    lines = [
        f"alter table {table} drop constraint if exists {ident(name)};"
        for name in old
        if old[name] != new.get(name)
    ]
    lines += [
        f"alter table {table} add {text};" for name, text in new.items() if old.get(name) != text
    ]
    return lines


def _index_changes(
    a: m.Resource, b: m.Resource, ca: dict[str, m.Resource], cb: dict[str, m.Resource]
) -> list[str]:
    old, new = _index_map(a, ca), _index_map(b, cb)
    lines = [
        f"drop index if exists {ident(b.schema)}.{ident(name)};"
        for name in old
        if old[name] != new.get(name)
    ]
    return lines + [text for name, text in new.items() if old.get(name) != text]


def _retire_code(a: m.Resource, b: m.Resource) -> list[str]:
    """Code objects `a` had and `b` no longer has."""
    table = qualified(b.schema, b.table)
    lines = [
        f"drop policy if exists {ident(p)} on {table};"
        for p in code.policy_names(a)
        if p not in code.policy_names(b)
    ]
    if a.policies.create.assign and not b.policies.create.assign:
        lines += [
            f"drop trigger if exists {ident(a.table + '_assign')} on {table};",
            f"drop function if exists {code.assign_function(a)}();",
        ]
    if any(f.generated == "updated_at" for f in a.fields) and not any(
        f.generated == "updated_at" for f in b.fields
    ):
        lines.append(f"drop trigger if exists {ident(a.table + '_touch')} on {table};")
    if a.audit and not b.audit:
        lines.append(f"select audit.disable({text_literal(b.qualified)}::regclass);")
    gone = [c for c in code.codenames(a) if c not in code.codenames(b)]
    if gone:
        names = ", ".join(text_literal(c) for c in gone)
        lines.append(f"delete from auth.permissions where codename in ({names});")
    return lines


def _transition(
    a_decl: m.Declarations,
    b_decl: m.Declarations,
    ca: dict[str, m.Resource],
    cb: dict[str, m.Resource],
) -> str:
    """SQL turning the database from version a into version b (either direction)."""
    parts: list[str] = []
    for b in tables.ordered(b_decl):
        a = a_decl.resource(b.name)
        if a is None and not b.adopt:
            parts.append(tables.table_sql(b, cb))
        elif a is not None:
            table = qualified(b.schema, b.table)
            # policies may use columns that change or go: they are re-created below
            parts += [f"drop policy if exists {ident(p)} on {table};" for p in code.policy_names(a)]
            if not b.adopt:
                parts += _column_changes(a, b) + _column_drops(a, b)
                parts += _constraint_changes(a, b, ca, cb) + _index_changes(a, b, ca, cb)
    emitted: set[str] = set()
    for b in tables.ordered(b_decl):
        a = a_decl.resource(b.name)
        if a is not None:
            parts += _retire_code(a, b)
        parts.append(code.code_sql(b, cb, emitted))
    parts += [code.view(v).sql() for v in b_decl.views]
    if a_decl.authorization:
        parts += code.unauthorize(a_decl.authorization)
    if b_decl.authorization:
        parts.append(code.authorization_sql(b_decl.authorization))
    kept = {h.name for h in code.decl_helpers(b_decl, cb)}
    parts += [helpers.drop(h) for h in code.decl_helpers(a_decl, ca) if h.name not in kept]
    for a in reversed(tables.ordered(a_decl)):
        if b_decl.resource(a.name) is None:
            parts += _drop_resource(a)
    return "\n".join(parts) + "\n"


def _drop_resource(r: m.Resource) -> list[str]:
    hints = f"delete from authz.resources where name = {text_literal(r.name)};"
    return [hints, *code.drop_resource(r)]


def follow_up(
    old: m.Declarations,
    new: m.Declarations,
    old_catalog: dict[str, m.Resource],
    new_catalog: dict[str, m.Resource],
) -> tuple[str, str]:
    """(deploy body, revert body) of the change from `old` to `new`."""
    check_supported(old, new)
    return (
        _transition(old, new, old_catalog, new_catalog),
        _transition(new, old, new_catalog, old_catalog),
    )
