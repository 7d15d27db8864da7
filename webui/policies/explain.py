"""`pgwarden authz explain`: per action and tier, what the compiled SQL decides, read back from
the same model the compiler uses (tier tests resolved for each tier, the rest described)."""

from __future__ import annotations

from dataclasses import replace

from webui.policies import code
from webui.policies import model as m
from webui.policies.expr import describe

TRUE, FALSE = "true", "false"
Simplified = m.Node | str  # a node, or TRUE / FALSE


def simplify(node: m.Node, tier: str) -> Simplified:
    """The tree as seen by `tier`: tier_at_least leaves become constants, then fold."""
    if isinstance(node, m.TierAtLeast):
        return TRUE if _rank(tier) >= _rank(node.tier) else FALSE
    if isinstance(node, m.Not):
        inner = simplify(node.item, tier)
        if isinstance(inner, str):
            return FALSE if inner == TRUE else TRUE
        return replace(node, item=inner)
    if isinstance(node, (m.AllOf, m.AnyOf)):
        return _fold(node, tier)
    return node


def _fold(node: m.AllOf | m.AnyOf, tier: str) -> Simplified:
    absorbing, neutral = (FALSE, TRUE) if isinstance(node, m.AllOf) else (TRUE, FALSE)
    kept: list[m.Node] = []
    for item in node.items:
        value = simplify(item, tier)
        if value == absorbing:
            return absorbing
        if value != neutral and not isinstance(value, str):
            kept.append(value)
    if not kept:
        return neutral
    return kept[0] if len(kept) == 1 else replace(node, items=tuple(kept))


def _rank(tier: str) -> int:
    return -1 if tier == "anon" else m.TIERS.index(tier)


def decision(r: m.Resource, action: str, tier: str) -> str:
    """One line: may `tier` do `action` on `r`, and on which rows."""
    role = code.grant_role(r, action)
    if role is None or _rank(tier) < _rank(role.removeprefix("pgw_")):
        return "denied: no privilege"
    if r.policies.admin_bypass and _rank(tier) >= _rank("administrator"):
        return "every row (admin_bypass)"
    parts: list[str] = []
    gate_tier = r.role(action)
    if r.group_permissions and (gate_tier is None or _rank(tier) < _rank(gate_tier)):
        parts.append(f"only with permission {r.name}.{m.PERM_VERBS[action]}")
    node = r.policies.filter(action)
    seen = simplify(node, tier) if node is not None else TRUE
    if seen == FALSE:
        return "denied: the row policy is false for this tier"
    if action == "create":
        rows = "any new row" if seen == TRUE else f"when {describe(seen)}"  # type: ignore[arg-type]
    else:
        rows = "every row" if seen == TRUE else f"rows where {describe(seen)}"  # type: ignore[arg-type]
    return "; ".join([*parts, rows])


def _grants_in(node: m.Node | None) -> list[m.ScopedGrant]:
    """The scoped grants of a condition (not inside an exists: those ask about its rows)."""
    if node is None:
        return []
    return [n for n in m.walk(node, into_exists=False) if isinstance(n, m.ScopedGrant)]


def widening(r: m.Resource, action: str, authz: m.Authorization | None) -> list[str]:
    """Which runtime grants, and through which templates, widen this action's rows."""
    lines = []
    for grant in _grants_in(r.policies.filter(action)):
        templates = [
            f"{t.name} (at {t.scope})"
            for t in (authz.templates if authz else ())
            if grant.permission in t.permissions
        ]
        via = f"; templates: {', '.join(templates)}" if templates else ""
        lines.append(
            f"    widened by a runtime grant of {grant.permission} on {grant.scope} = "
            f"row.{grant.field}{via}"
        )
    return lines


def explain(
    r: m.Resource, catalog: dict[str, m.Resource], authz: m.Authorization | None = None
) -> str:
    lines = [f"{r.name} ({r.qualified}), declared in {r.file}"]
    if r.comment:
        lines.append(f"  {r.comment}")
    for action in m.ACTIONS:
        role = code.grant_role(r, action)
        granted = f"granted to {role} and the tiers above" if role else "granted to no tier"
        lines.append(f"\n  {action} ({code.PRIVILEGE[action]}): {granted}")
        for tier in ("anon", *m.TIERS):
            lines.append(f"    {tier:<14} {decision(r, action, tier)}")
        lines += widening(r, action, authz)
        if r.policies.create.assign and action == "create":
            assigned = ", ".join(f"{c} := {s.describe()}" for c, s in r.policies.create.assign)
            lines.append(f"    assigned on insert, kept on update: {assigned}")
    lines.append("\nCompiled SQL (privileges, row-level security, triggers):\n")
    lines.append(code.code_sql(r, catalog))
    return "\n".join(lines)
