"""Policy trees to SQL boolean expressions, and to plain-language descriptions (for comments and
`authz explain`). Both walk the same tree, so what a DBA reads matches what runs."""

from __future__ import annotations

from dataclasses import dataclass, replace

from webui.policies import model as m
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


def tier_test(tier: str) -> str:
    return f"pg_catalog.pg_has_role('pgw_{tier}', 'usage')"


def perm_test(codename: str) -> str:
    return f"(select auth.has_perm({text_literal(codename)}))"


def column(scope: Scope, name: str) -> str:
    return f"{scope.qualifier}.{ident(name)}" if scope.qualifier else ident(name)


def row_column(scope: Scope, name: str) -> str:
    return f"{ident(scope.row.table)}.{ident(name)}"


def source_sql(scope: Scope, field: m.Field, source: m.Source) -> str:
    if source.kind == "user_id":
        return USER_ID
    if source.kind == "claim":
        claim = f"(select auth.claim({text_literal(source.name)}))"
        return claim if field.type == "text" else f"{claim}::{field.type}"
    if source.kind in ("row", "input"):
        return row_column(scope, source.name)
    return literal(source.value, field.type)


def to_sql(node: m.Node, scope: Scope) -> str:
    """The tree as one SQL boolean expression (no outer parentheses for a single leaf)."""
    if isinstance(node, m.AllOf):
        return _join(node.items, scope, "and")
    if isinstance(node, m.AnyOf):
        return _join(node.items, scope, "or")
    if isinstance(node, m.Not):
        return f"not ({to_sql(node.item, scope)})"
    if isinstance(node, m.Exists):
        return _exists(node, scope)
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
