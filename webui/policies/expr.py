"""Policy trees to SQL boolean expressions, and to plain-language descriptions (for comments and
`authz explain`). Both walk the same tree, so what a DBA reads matches what runs."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import PurePath

from webui.policies import model as m
from webui.policies.helpers import Helper, helper_name
from webui.policies.sqltext import ident, literal, qualified, text_literal

USER_ID = "(select auth.uid())"


@dataclass(frozen=True)
class Scope:
    """Where a tree is compiled: the resource its fields belong to (and its SQL qualifier, '' for
    the policy's own table at top level), and the policy table's row qualifier."""

    resource: m.Resource
    qualifier: str
    row: m.Resource
    catalog: dict[str, m.Resource]
    depth: int = 0
    pretty: bool = False  # one top-level alternative or conjunct per line
    # Inside an exists helper's body: the helper's parameters, (call-site SQL, type) each; the
    # request and the policy row reach the body only through them.
    params: list[tuple[str, str]] | None = None
    positive: bool = True  # not under a `not` (a NULL then counts as false)
    found: list[Helper] | None = None  # collects the exists helpers the tree calls


def tier_test(tier: str) -> str:
    return f"pg_catalog.pg_has_role('pgw_{tier}', 'usage')"


def perm_test(codename: str) -> str:
    return f"(select auth.has_perm({text_literal(codename)}))"


def column(scope: Scope, name: str) -> str:
    return f"{scope.qualifier}.{ident(name)}" if scope.qualifier else ident(name)


def row_column(scope: Scope, name: str) -> str:
    return f"{ident(scope.row.table)}.{ident(name)}"


def source_sql(scope: Scope, field: m.Field, source: m.Source) -> str:
    if scope.params is not None and source.kind != "literal":
        return _param(scope, field, source)
    if source.kind == "user_id":
        return USER_ID
    if source.kind == "claim":
        claim = f"(select auth.claim({text_literal(source.name)}))"
        return claim if field.type == "text" else f"{claim}::{field.type}"
    if source.kind in ("row", "input"):
        return row_column(scope, source.name)
    return literal(source.value, field.type)


def _param(scope: Scope, field: m.Field, source: m.Source) -> str:
    """The helper parameter ($n) carrying `source`, compared with `field` inside the helper."""
    assert scope.params is not None
    outside = replace(scope, params=None)
    value = source_sql(outside, field, source)
    if source.kind in ("row", "input"):
        own = scope.row.field(source.name)
        if own is not None and own.type != field.type:
            value = f"{value}::{field.type}"
    wanted = (value, field.type)
    if wanted not in scope.params:
        scope.params.append(wanted)
    return f"${scope.params.index(wanted) + 1}"


def to_sql(node: m.Node, scope: Scope) -> str:
    """The tree as one SQL boolean expression (no outer parentheses for a single leaf)."""
    if isinstance(node, m.AllOf):
        return _join(node.items, scope, "and")
    if isinstance(node, m.AnyOf):
        return _join(node.items, scope, "or")
    if isinstance(node, m.Not):
        return f"not ({to_sql(node.item, replace(scope, positive=not scope.positive))})"
    if isinstance(node, m.Exists):
        if node.visible or scope.params is not None:
            return _exists(node, scope)
        helper, call = exists_helper(node, scope)
        if scope.found is not None:
            scope.found.append(helper)
        return call
    if isinstance(node, m.TierAtLeast):
        return tier_test(node.tier)
    if isinstance(node, m.HasPerm):
        return perm_test(node.codename)
    if isinstance(node, m.ScopedGrant):
        return (
            f"authz.has_scoped_grant({text_literal(node.permission)}, "
            f"{text_literal(node.scope)}, {column(scope, node.field)}::text)"
        )
    if isinstance(node, m.IsNull):
        return f"{column(scope, node.field)} is {'not ' if node.negated else ''}null"
    field = scope.resource.field(node.field)
    assert field is not None, "checked by the checker"
    return f"{column(scope, node.field)} = {source_sql(scope, field, node.source)}"


def _join(items: tuple[m.Node, ...], scope: Scope, word: str) -> str:
    inner = replace(scope, pretty=False)
    parts = [to_sql(item, inner) for item in items]
    if len(parts) == 1:
        return parts[0]
    sep = f"\n    {word} " if scope.pretty else f" {word} "
    return sep.join(f"({p})" if _compound(i) else p for p, i in zip(parts, items, strict=True))


def _compound(node: m.Node) -> bool:
    return isinstance(node, (m.AllOf, m.AnyOf)) and len(node.items) > 1


def _exists(node: m.Exists, scope: Scope) -> str:
    target = scope.catalog[node.resource]
    alias = f"e{scope.depth + 1}"
    inner = replace(scope, resource=target, qualifier=alias, depth=scope.depth + 1, pretty=False)
    condition = to_sql(node.where, inner)
    return (
        f"exists (select from {qualified(target.schema, target.table)} {alias} where {condition})"
    )


def _key_compares(node: m.Exists, scope: Scope) -> list[m.Compare]:
    """The comparisons with policy-row columns, when the helper may return the matching keys
    instead of a per-row answer: the exists is not negated (a NULL then counts as false), and
    its other conditions narrow the lookup by the request (user.id, a claim), so the set is the
    caller's own and small (webui.policies.helpers)."""
    items = node.where.items
    keys = [i for i in items if isinstance(i, m.Compare) and i.source.kind in ("row", "input")]
    rest = [n for i in items if i not in keys for n in m.walk(i, into_exists=False)]
    narrowed = any(isinstance(n, m.Compare) and n.source.kind in ("user_id", "claim") for n in rest)
    return keys if keys and narrowed and scope.positive else []


def _reads(node: m.Node, catalog: dict[str, m.Resource]) -> list[tuple[str, str]]:
    """The tables an exists (and the exists nested in it) reads."""
    targets = [catalog[n.resource] for n in m.walk(node) if isinstance(n, m.Exists)]
    return [(t.schema, t.table) for t in targets]


def exists_helper(node: m.Exists, scope: Scope) -> tuple[Helper, str]:
    """The helper function of an `exists` and the policy expression that calls it."""
    target = scope.catalog[node.resource]
    params: list[tuple[str, str]] = []
    inner = replace(
        scope, resource=target, qualifier="e1", depth=1, pretty=False, params=params, found=None
    )
    table = qualified(target.schema, target.table)
    keys = _key_compares(node, scope)
    if keys:
        rest = tuple(i for i in node.where.items if i not in keys)
        where = f" where {to_sql(m.AllOf(rest, node.key), inner)}" if rest else ""
        fields = [target.field(k.field) for k in keys]
        columns = ", ".join(f"e1.{ident(k.field)}" for k in keys)
        body = f"select {columns} from {table} e1{where}"
        returns = f"setof {fields[0].type}" if len(keys) == 1 else _row_type(keys, fields)
    else:
        body = f"select exists (select from {table} e1 where {to_sql(node.where, inner)})"
        returns = "boolean"
    types = tuple(t for _, t in params)
    prefix = PurePath(scope.row.file).stem if scope.row.file else scope.row.schema
    name = helper_name(prefix, target.table, returns, body, types)
    comment = f"Policy helper: {describe(node)}; read by pgw_policy_reader, without RLS."
    helper = Helper(name, types, returns, body, tuple(_reads(node, scope.catalog)), comment)
    args = [value for value, _ in params]
    if not keys:
        return helper, helper.call(args)
    row = [row_column(scope, k.source.name) for k in keys]
    if len(row) == 1:
        return helper, f"{row[0]} in (select {helper.call(args)})"
    return helper, f"({', '.join(row)}) in (select * from {helper.call(args)})"


def _row_type(keys: list[m.Compare], fields: list[m.Field | None]) -> str:
    """`returns table (…)` of a key-set helper with several key columns."""
    columns = ", ".join(
        f"k{i + 1} {f.type if f else 'text'}"
        for i, (_, f) in enumerate(zip(keys, fields, strict=True))
    )
    return f"table ({columns})"


# --- descriptions -------------------------------------------------------------------------------


def describe(node: m.Node, resource: str = "") -> str:
    """A one-line, plain reading of the tree (policy comments, `authz explain`)."""
    if isinstance(node, (m.AllOf, m.AnyOf)):
        word = " AND " if isinstance(node, m.AllOf) else " OR "
        parts = [describe(i, resource) for i in node.items]
        return parts[0] if len(parts) == 1 else "(" + word.join(parts) + ")"
    if isinstance(node, m.Not):
        return f"NOT {describe(node.item, resource)}"
    if isinstance(node, m.Exists):
        return f"EXISTS a {node.resource} row where {describe(node.where, node.resource)}"
    if isinstance(node, m.TierAtLeast):
        return f"tier >= {node.tier}"
    if isinstance(node, m.HasPerm):
        return f"has permission {node.codename}"
    if isinstance(node, m.ScopedGrant):
        return f"scoped grant {node.permission} on {node.scope} = {node.field}"
    if isinstance(node, m.IsNull):
        return f"{node.field} is {'not ' if node.negated else ''}null"
    return f"{node.field} = {node.source.describe()}"
