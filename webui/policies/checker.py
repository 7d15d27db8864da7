"""Semantic checks of parsed declarations: every finding names the file, resource and key.

`check(decls)` returns the parser's issues plus these; errors stop `compile`, warnings only stop
`check --strict`. Checks that need the live database are in webui.policies.live.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from webui.policies import admin_options, code
from webui.policies import model as m

INTEGERS = ("integer", "bigint")
NUMBERS = ("integer", "bigint", "numeric")
_ORDER = re.compile(r"^(?P<field>[a-z_][a-z0-9_]*)(?:\s+(?:asc|desc))?$")


@dataclass
class _Context:
    """Where a policy tree is checked: the resource a `field` belongs to, the policy's own row."""

    resource: m.Resource
    row: m.Resource
    action: str
    inside: bool = False  # inside an exists (row.<field> then names the policy's row)
    helper: bool = False  # inside an exists compiled to a helper (runs as pgw_policy_reader)


class Checker:
    def __init__(self, decls: list[m.Declarations]) -> None:
        self.decls = decls
        self.catalog: dict[str, m.Resource] = {}
        self.issues: list[m.Issue] = [i for d in decls for i in d.issues]
        self.current: m.Resource | None = None
        self.claims: tuple[str, ...] | None = None
        declared = [d.authorization for d in decls if d.authorization]
        self.authz = (
            m.Authorization(
                tuple(s for a in declared for s in a.scopes),
                tuple(p for a in declared for p in a.permissions),
                tuple(t for a in declared for t in a.templates),
            )
            if declared
            else None
        )

    def add(self, level: str, code: str, key: str, message: str, file: str = "") -> None:
        resource = self.current.name if self.current else ""
        file = file or (self.current.file if self.current else "")
        self.issues.append(m.Issue(level, code, file, resource, key, message))

    def run(self) -> list[m.Issue]:
        for decl in self.decls:
            for resource in decl.resources:
                if resource.name in self.catalog:
                    self.current = resource
                    self.add(
                        "error",
                        "duplicate-resource",
                        f"resources.{resource.name}",
                        f"also declared in {self.catalog[resource.name].file}",
                    )
                self.catalog.setdefault(resource.name, resource)
        for decl in self.decls:
            self.claims = decl.claims
            for resource in decl.resources:
                self.current = resource
                self.check_resource(resource)
            self.current = None
            for view in decl.views:
                self.check_view(view)
        for decl in self.decls:
            if decl.authorization:
                self.check_authorization(decl.authorization, str(decl.path))
        self.check_cycles()
        return self.issues

    # --- tables and fields ---------------------------------------------------------------------

    def check_resource(self, r: m.Resource) -> None:
        key = f"resources.{r.name}"
        if not r.fields:
            self.add(
                "error",
                "no-fields",
                f"{key}.fields",
                "a resource declares its fields "
                "(an adopted table declares the columns its policies use)",
            )
        elif len([f for f in r.fields if f.primary_key]) != 1:
            self.add(
                "error",
                "primary-key",
                f"{key}.fields",
                "exactly one field must be primary_key = true",
            )
        for f in r.fields:
            self.check_field(r, f, f"{key}.fields.{f.name}")
        for name, sub in (
            ("display", r.display),
            *(("list.search", s) for s in r.list.search),
            *(("list.filter", s) for s in r.list.filter),
            *(("audit_redact", s) for s in r.audit_redact),
        ):
            if sub and not r.field(sub):
                self.add("error", "unknown-column", f"{key}.{name}", f"unknown column {sub!r}")
        for i, index in enumerate(r.indexes):
            for name in index.fields:
                if not r.field(name):
                    self.add(
                        "error", "unknown-column", f"{key}.indexes[{i}]", f"unknown column {name!r}"
                    )
        self.check_list(r, key)
        self.check_roles(r, key)
        self.check_policies(r, key)

    def check_field(self, r: m.Resource, f: m.Field, key: str) -> None:
        text_only = [
            n
            for n in ("choices", "min_length", "max_length", "pattern")
            if getattr(f, n) not in (None, ())
        ]
        if text_only and f.type != "text":
            self.add(
                "error",
                "type-mismatch",
                f"{key}.{text_only[0]}",
                f"{text_only[0]} applies to text fields, not {f.type}",
            )
        bounds = [n for n in ("minimum", "maximum") if getattr(f, n) is not None]
        if bounds and f.type not in NUMBERS:
            self.add(
                "error",
                "type-mismatch",
                f"{key}.{bounds[0]}",
                f"{bounds[0]} applies to numeric fields, not {f.type}",
            )
        if f.pattern is not None:
            try:
                re.compile(f.pattern)
            except re.error as exc:
                self.add("error", "invalid", f"{key}.pattern", f"bad regular expression: {exc}")
        if f.generated == "identity" and f.type not in INTEGERS:
            self.add("error", "type-mismatch", f"{key}.generated", "identity needs integer/bigint")
        if f.generated in ("created_at", "updated_at") and f.type != "timestamptz":
            self.add(
                "error", "type-mismatch", f"{key}.generated", f"{f.generated} needs timestamptz"
            )
        if f.default is not None and not literal_fits(f, f.default):
            self.add(
                "error",
                "type-mismatch",
                f"{key}.default",
                f"default {f.default!r} is not a valid {f.type}",
            )
        if f.references:
            self.check_reference(f, key)

    def check_reference(self, f: m.Field, key: str) -> None:
        target = self.catalog.get(f.references or "")
        if target is None:
            self.add(
                "error",
                "unknown-resource",
                f"{key}.references",
                f"references undeclared resource {f.references!r}",
            )
            return
        target_key = target.key_field
        if target_key and _family(target_key.type) != _family(f.type):
            self.add(
                "error",
                "type-mismatch",
                f"{key}.references",
                f"{f.type} cannot reference {target.name}.{target_key.name} ({target_key.type})",
            )
        if f.on_delete == "set_null" and not f.nullable:
            self.add(
                "error",
                "set-null-not-null",
                f"{key}.on_delete",
                "on_delete = set_null needs nullable = true",
            )

    def check_list(self, r: m.Resource, key: str) -> None:
        hints = r.list
        for name in ("default_limit", "max_limit"):
            value = getattr(hints, name)
            if value is not None and value <= 0:
                self.add("error", "invalid", f"{key}.list.{name}", "must be positive")
        if hints.default_limit and hints.max_limit and hints.default_limit > hints.max_limit:
            self.add("error", "invalid", f"{key}.list.default_limit", "exceeds max_limit")
        if hints.order:
            match = _ORDER.match(hints.order)
            if not match or not r.field(match["field"]):
                self.add(
                    "error",
                    "unknown-column",
                    f"{key}.list.order",
                    f"{hints.order!r}: expected '<field> [asc|desc]' over a declared field",
                )

    def check_roles(self, r: m.Resource, key: str) -> None:
        if not r.roles and not r.group_permissions:
            self.add(
                "warning",
                "no-roles",
                f"{key}.roles",
                "no tier may use this resource (only its owner and superusers)",
            )
        for action in m.ACTIONS:
            declared = r.policies.filter(action) is not None
            if declared and r.role(action) is None and not r.group_permissions:
                self.add(
                    "warning",
                    "policy-without-role",
                    f"{key}.policies.{action}",
                    f"a {action} policy is declared but no tier may {action}",
                )

    # --- policies ------------------------------------------------------------------------------

    def check_policies(self, r: m.Resource, key: str) -> None:
        for action in ("read", "update", "delete"):
            node = r.policies.filter(action)
            if node is not None:
                self.check_node(node, _Context(r, r, action))
        create = r.policies.create
        if create.require is not None:
            self.check_node(create.require, _Context(r, r, "create"))
        for column, source in create.assign:
            self.check_assign(r, column, source, f"{key}.policies.create.assign.{column}")
        self.check_unique_leak(r, key)

    def check_assign(self, r: m.Resource, column: str, source: m.Source, key: str) -> None:
        f = r.field(column)
        if f is None:
            self.add("error", "unknown-column", key, f"unknown column {column!r}")
        elif not f.writable:
            self.add("error", "invalid", key, f"{column!r} is generated; it cannot be assigned")
        else:
            self.check_source(f, source, key, _Context(r, r, "create"))

    def check_node(self, node: m.Node, ctx: _Context) -> None:
        for child in () if isinstance(node, m.Exists) else m.children(node):
            self.check_node(child, ctx)
        if isinstance(node, m.Exists):
            target = self.catalog.get(node.resource)
            if target is None:
                self.add(
                    "error",
                    "unknown-resource",
                    f"{node.key}.resource",
                    f"exists looks into undeclared resource {node.resource!r}",
                )
                return
            if node.visible and not ctx.helper:
                self.check_exists_readable(node, target, ctx)
            inner = _Context(target, ctx.row, ctx.action, True, ctx.helper or not node.visible)
            for child in node.where.items:
                self.check_node(child, inner)
            return
        if isinstance(node, (m.AllOf, m.AnyOf, m.Not)):
            return
        self.check_leaf(node, ctx)

    def check_exists_readable(self, node: m.Exists, target: m.Resource, ctx: _Context) -> None:
        """PostgreSQL checks SELECT on every table a policy reads, for every role the policy
        applies to: the looked-into resource must be readable by the action's tier."""
        action_tier = "user" if ctx.row.group_permissions else ctx.row.role(ctx.action)
        reader = target.role("read") or ("user" if target.group_permissions else None)
        if action_tier is None:
            return
        if reader is None or _rank(reader) > _rank(action_tier):
            self.add(
                "error",
                "exists-not-readable",
                f"{node.key}.resource",
                f"{ctx.action} is granted to tier {action_tier}, but {target.name} is read "
                f"from tier {reader or 'none'}: grant its read to {action_tier} (its own "
                "read policy still filters the rows)",
            )

    def check_leaf(self, node: m.Node, ctx: _Context) -> None:
        if ctx.helper and isinstance(node, (m.TierAtLeast, m.HasPerm, m.ScopedGrant)):
            self.add(
                "error",
                "caller-test-in-exists",
                node.key,
                "an exists is read by its helper function as pgw_policy_reader, so a test of the "
                "caller (tier_at_least, has_perm, scoped_grant) cannot go inside it: move it next "
                "to the exists, e.g. all_of = [<test>, { exists = … }]",
            )
            return
        if isinstance(node, (m.TierAtLeast, m.HasPerm)):
            return
        if isinstance(node, m.ScopedGrant):
            self.check_scoped_grant(node, ctx)
        name = node.field if isinstance(node, (m.Compare, m.IsNull, m.ScopedGrant)) else ""
        f = ctx.resource.field(name)
        if f is None:
            self.add(
                "error",
                "unknown-column",
                node.key,
                f"unknown column {name!r} of resource {ctx.resource.name!r}",
            )
            return
        if isinstance(node, m.IsNull) and not f.nullable:
            self.add(
                "warning",
                "null-check-not-null",
                node.key,
                f"{ctx.resource.name}.{name} is NOT NULL; this test is constant",
            )
        if isinstance(node, m.Compare):
            self.check_source(f, node.source, node.key, ctx)

    def check_source(self, f: m.Field, source: m.Source, key: str, ctx: _Context) -> None:
        if source.kind == "user_id" and f.type not in INTEGERS:
            self.add("error", "type-mismatch", key, f"user.id is a bigint; {f.name} is {f.type}")
        elif source.kind == "claim":
            if self.claims is not None and source.name not in self.claims:
                self.add(
                    "error",
                    "undeclared-claim",
                    key,
                    f"claim {source.name!r} is not in settings.claims",
                )
            if f.type == "jsonb":
                self.add("error", "type-mismatch", key, "a claim cannot be compared to jsonb")
        elif source.kind in ("row", "input"):
            self.check_reference_source(f, source, key, ctx)
        elif source.kind == "literal" and not literal_fits(f, source.value):
            self.add(
                "error",
                "type-mismatch",
                key,
                f"literal {source.value!r} does not fit {f.name} ({f.type})",
            )

    def check_reference_source(self, f: m.Field, s: m.Source, key: str, ctx: _Context) -> None:
        if s.kind == "input" and ctx.action != "create":
            self.add("error", "invalid-source", key, "input.<field> is only for create.require")
            return
        if s.kind == "row" and not ctx.inside:
            self.add(
                "error",
                "invalid-source",
                key,
                "row.<field> is for conditions inside exists; here write the field itself",
            )
            return
        other = ctx.row.field(s.name)
        if other is None:
            self.add(
                "error",
                "unknown-column",
                key,
                f"unknown column {s.name!r} of resource {ctx.row.name!r}",
            )
        elif _family(other.type) != _family(f.type):
            self.add(
                "error",
                "type-mismatch",
                key,
                f"{f.name} ({f.type}) compared with {s.describe()} ({other.type})",
            )

    def check_unique_leak(self, r: m.Resource, key: str) -> None:
        read = r.policies.read
        if read is None:
            return
        scope = {
            n.field
            for n in m.walk(read, into_exists=False)
            if isinstance(n, m.Compare) and n.source.kind in ("claim", "user_id")
        }
        if not scope or self._writers_see_all(r, read):
            return
        uniques = [(f.name,) for f in r.fields if f.unique] + [
            i.fields for i in r.indexes if i.unique
        ]
        for columns in uniques:
            if not scope & set(columns):
                self.add(
                    "warning",
                    "unique-reveals-hidden-rows",
                    f"{key}.fields.{columns[0]}",
                    f"unique ({', '.join(columns)}) spans rows other users cannot read; "
                    f"a conflict reveals them: add one of {', '.join(sorted(scope))}",
                )

    @staticmethod
    def _writers_see_all(r: m.Resource, read: m.Node) -> bool:
        """True when every tier that may create or update also reads every row (a top-level
        tier_at_least alternative of the read policy), so a conflict reveals nothing new."""
        alternatives = read.items if isinstance(read, m.AnyOf) else (read,)
        tiers = [n.tier for n in alternatives if isinstance(n, m.TierAtLeast)]
        writers = [r.role(a) for a in ("create", "update") if r.role(a)]
        if not tiers or not writers or r.group_permissions:
            return False
        floor = min(m.TIERS.index(t) for t in tiers)
        return all(w != "anon" and m.TIERS.index(w) >= floor for w in writers)

    # --- authorization ---------------------------------------------------------------------------

    def check_authorization(self, a: m.Authorization, file: str) -> None:
        """Scopes, permissions and templates refer to declared names only."""
        assert self.authz is not None
        scopes = {s.name for s in self.authz.scopes}
        for s in a.scopes:
            key = f"authorization.scopes.{s.name}.parent"
            if s.parent and s.parent not in scopes:
                self.add("error", "unknown-scope", key, f"unknown parent scope {s.parent!r}", file)
            elif s.parent and _scope_loops(s, self.authz):
                self.add("error", "scope-cycle", key, "scope parents form a cycle", file)
        for p in a.permissions:
            key = f"authorization.permissions.{p.name}"
            for r in p.resources:
                if r not in self.catalog:
                    msg = f"unknown resource {r!r}"
                    self.add("error", "unknown-resource", f"{key}.resources", msg, file)
            for name in p.scopes:
                if name not in scopes:
                    self.add(
                        "error", "unknown-scope", f"{key}.scopes", f"unknown scope {name!r}", file
                    )
        for t in a.templates:
            key = f"authorization.templates.{t.name}"
            if t.scope not in scopes:
                self.add(
                    "error", "unknown-scope", f"{key}.scope", f"unknown scope {t.scope!r}", file
                )
            for name in t.permissions:
                perm = self.authz.permission(name)
                if perm is None:
                    msg = f"unknown permission {name!r}"
                    self.add("error", "unknown-permission", f"{key}.permissions", msg, file)
                elif perm.scopes and not set(_lineage(t.scope, self.authz)) & set(perm.scopes):
                    msg = f"permission {name!r} is given at {', '.join(perm.scopes)}, not at "
                    msg += f"scope {t.scope!r} or a scope it lies inside"
                    self.add("error", "scope-mismatch", f"{key}.permissions", msg, file)

    def check_scoped_grant(self, node: m.ScopedGrant, ctx: _Context) -> None:
        """With an `[authorization]` block, a scoped_grant names a declared permission that
        covers this resource and action, at a declared scope."""
        if self.authz is None:
            return
        perm = self.authz.permission(node.permission)
        if perm is None:
            msg = f"unknown permission {node.permission!r} (declare it under [authorization])"
            self.add("error", "unknown-permission", node.key, msg)
        elif self.authz.scope(node.scope) is None:
            self.add("error", "unknown-scope", node.key, f"unknown scope {node.scope!r}")
        elif ctx.row.name not in perm.resources or ctx.action not in perm.actions:
            msg = f"permission {perm.name!r} does not cover {ctx.action} on {ctx.row.name}"
            self.add("error", "permission-not-for-resource", node.key, msg)
        elif perm.scopes and node.scope not in perm.scopes:
            msg = f"permission {perm.name!r} is not given at scope {node.scope!r}"
            self.add("error", "scope-mismatch", node.key, msg)

    def check_cycles(self) -> None:
        """Policies that still read another table under the caller's RLS (an `exists` with
        visible = true, the foreign-key visibility check of a write) must not lead back to
        themselves: PostgreSQL would refuse every such statement with 42P17 at run time."""
        graph = rls_reads(self.catalog)
        reported: set[frozenset[str]] = set()
        for start in graph:
            path = _cycle_from(start, graph)
            if path is None or frozenset(path) in reported:
                continue
            reported.add(frozenset(path))
            resource, _, action = start.partition(".")
            self.current = self.catalog[resource]
            self.add(
                "error",
                "policy-cycle",
                f"resources.{resource}.policies.{action}",
                "these policies read each other under row-level security, which PostgreSQL "
                f"refuses (42P17): {' → '.join(path)}; drop visible = true from an exists on "
                "the cycle (a helper then reads it without RLS)",
            )
        self.current = None

    def check_view(self, view: m.View) -> None:
        key = f"views.{view.name}"
        for name in view.over:
            if name not in self.catalog:
                self.add(
                    "error",
                    "unknown-resource",
                    f"{key}.over",
                    f"view over undeclared resource {name!r}",
                    view.file,
                )
        if not view.security_invoker and view.over:
            self.add(
                "error",
                "view-without-security-invoker",
                f"{key}.security_invoker",
                f"view {view.name} reads protected tables ({', '.join(view.over)}) with "
                "its owner's rights, bypassing their RLS; set security_invoker = true",
                view.file,
            )


def _lineage(name: str, authz: m.Authorization) -> list[str]:
    """The scope and the scopes it lies inside (household → family)."""
    found = [name]
    current = authz.scope(name)
    while current and current.parent and current.parent not in found:
        found.append(current.parent)
        current = authz.scope(current.parent)
    return found


def _scope_loops(start: m.AuthScope, authz: m.Authorization) -> bool:
    seen, current = {start.name}, start
    while current.parent:
        parent = authz.scope(current.parent)
        if parent is None:
            return False
        if parent.name in seen:
            return True
        seen.add(parent.name)
        current = parent
    return False


def _visible_exists(node: m.Node) -> Iterator[m.Exists]:
    """Exists nodes read inline under the caller's RLS (not inside a helper)."""
    if isinstance(node, m.Exists):
        if node.visible:
            yield node
            for child in node.where.items:
                yield from _visible_exists(child)
        return
    for child in m.children(node):
        yield from _visible_exists(child)


def rls_reads(catalog: dict[str, m.Resource]) -> dict[str, list[str]]:
    """`resource.action` → the `resource.read` policies it runs by reading another table under
    the caller's row-level security."""
    graph: dict[str, list[str]] = {}
    for r in catalog.values():
        for action in m.ACTIONS:
            nodes = [r.policies.filter(action)]
            if action == "read":  # read_to_update / read_to_delete are read policies too
                writes = [a for a in code.WRITE_READS if code.reads_to_write(r, a)]
                nodes += [r.policies.filter(a) for a in writes]
            targets = [e.resource for n in nodes if n is not None for e in _visible_exists(n)]
            if action in ("create", "update"):
                targets += [
                    f.references
                    for f in r.fields
                    if f.references and f.writable and f.references != r.name
                ]
            edges = [f"{t}.read" for t in dict.fromkeys(targets) if t in catalog]
            if edges:
                graph[f"{r.name}.{action}"] = edges
    return graph


def _cycle_from(start: str, graph: dict[str, list[str]]) -> list[str] | None:
    """The first path from `start` back to itself (depth first, declaration order)."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        for nxt in reversed(graph.get(node, [])):
            if nxt == start:
                return [*path, start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return None


def _rank(tier: str) -> int:
    return -1 if tier == "anon" else m.TIERS.index(tier)


def _family(sql_type: str) -> str:
    return "int" if sql_type in INTEGERS else sql_type


def literal_fits(f: m.Field, value: object) -> bool:
    """Whether a TOML scalar is a valid literal of the field's type (and in its choices)."""
    checks = {
        "text": lambda v: isinstance(v, str) and (not f.choices or v in f.choices),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool) and abs(v) < 2**31,
        "bigint": lambda v: isinstance(v, int) and not isinstance(v, bool) and abs(v) < 2**63,
        "numeric": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "date": lambda v: isinstance(v, (str, date)) and _parses(date.fromisoformat, v),
        "timestamptz": lambda v: (
            isinstance(v, (str, datetime)) and _parses(datetime.fromisoformat, v)
        ),
        "uuid": lambda v: isinstance(v, str) and _parses(uuid.UUID, v),
        "jsonb": lambda v: False,
    }
    return bool(checks[f.type](value))


def _parses(parse: object, value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        parse(value)  # type: ignore[operator]
    except ValueError:
        return False
    return True


def check(decls: list[m.Declarations]) -> list[m.Issue]:
    return Checker(decls).run() + admin_options.check(decls)
