"""Declarations to SQL: one sqitch change (deploy, revert, verify) per policy file.

Pure functions from the model to text. The output is deterministic (declaration order, no
timestamps), so a golden file per example pins it and re-compiling an unchanged file is a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from webui.core.roles import REQUEST_ROLES
from webui.policies import helpers
from webui.policies import model as m
from webui.policies.expr import Scope, describe, perm_test, tier_test, to_sql
from webui.policies.sqltext import ident, literal, qualified, text_literal

TIER_ROLES = REQUEST_ROLES
PRIVILEGE = {"read": "select", "create": "insert", "update": "update", "delete": "delete"}
CORE_REQUIRES = ("authz_helpers",)
FRAMEWORK = (
    "authz_helpers",
    "audit_rows",
    "auth_users",
    "authz_grants",
    "authz_exists_owner",
    "authz_scopes",
)
BYPASS_COMMENT = (
    "admin_bypass: administrators and developers see and change every row their grants allow."
)


@dataclass(frozen=True)
class Compiled:
    name: str
    requires: tuple[str, ...]
    note: str
    deploy: str
    revert: str
    verify: str


def change_name(decl: m.Declarations) -> str:
    return f"policies_{decl.stem}"


def role_name(tier: str) -> str:
    return f"pgw_{tier}"


def compile_decl(
    decl: m.Declarations, catalog: dict[str, m.Resource], source: str, project: str = "pgwarden"
) -> Compiled:
    """`source` is the declaration file's path as the header should name it; `project` the
    sqitch project the change joins (framework changes are then named `pgwarden:<change>`)."""
    decl = _with_source(decl, source)
    catalog = {**catalog, **{r.name: r for r in decl.resources}}
    name = change_name(decl)
    requires = tuple(
        f"pgwarden:{r}" if project != "pgwarden" and r in FRAMEWORK else r
        for r in _requires(decl, catalog)
    )
    note = decl.comment or f"Resources and row policies compiled from {source}"
    header = (
        f"-- Compiled by `pgwarden policies compile` from {source}: do not edit; change the\n"
        "-- declarations and compile again.\n"
    )
    deps = f"-- requires: {', '.join(requires)}\n"
    deploy = _script(f"Deploy {project}:{name} to pg\n{deps}{header}", _deploy_body(decl, catalog))
    deploy += embed(decl, source)
    revert = _script(f"Revert {project}:{name} from pg\n{header}", _revert_body(decl, catalog))
    verify = _script(
        f"Verify {project}:{name} on pg\n{header}", _verify_body(decl, catalog), "ROLLBACK"
    )
    return Compiled(name, requires, note, deploy, revert, verify)


EMBED_MARK = "-- | "


def embed(decl: m.Declarations, source: str) -> str:
    """The declarations this change was compiled from, as comment lines after COMMIT: what a DBA
    reads, and what the next `compile` diffs against."""
    if not decl.source_text:
        return ""
    lines = [f"\n-- Declarations ({source}):"]
    lines += [(EMBED_MARK + line).rstrip() for line in decl.source_text.splitlines()]
    return "\n".join(lines) + "\n"


def embedded(deploy: str) -> str | None:
    """The declarations embedded in a compiled deploy script, or None."""
    if "\n-- Declarations (" not in deploy:
        return None
    tail = deploy.split("\n-- Declarations (", 1)[1].split("\n", 1)[1]
    return (
        "\n".join(
            line[len(EMBED_MARK) :] if line.startswith(EMBED_MARK) else ""
            for line in tail.splitlines()
        )
        + "\n"
    )


def compile_follow_up(
    old: m.Declarations,
    new: m.Declarations,
    catalog: dict[str, m.Resource],
    source: str,
    project: str,
    previous: str,
    number: int,
) -> Compiled:
    """Change number `number` (2, 3, …) of a file: from `old` (as deployed by `previous`) to
    `new`. Raises delta.DeltaError when the difference is not generated safely."""
    from webui.policies import delta

    old, new = _with_source(old, source), _with_source(new, source)
    new_catalog = {**catalog, **{r.name: r for r in new.resources}}
    old_catalog = {**catalog, **{r.name: r for r in old.resources}}
    forward, backward = delta.follow_up(old, new, old_catalog, new_catalog)
    forward, backward = QUIET + forward, QUIET + backward
    name = f"{change_name(new)}_{number}"
    core = tuple(
        f"pgwarden:{r}" if project != "pgwarden" and r in FRAMEWORK else r
        for r in _requires(new, new_catalog)
    )
    requires = (previous, *core)
    header = (
        f"-- Compiled by `pgwarden policies compile` from {source}: the changes since "
        f"{previous}.\n-- Do not edit; change the declarations and compile again.\n"
    )
    deps = f"-- requires: {', '.join(requires)}\n"
    deploy = _script(f"Deploy {project}:{name} to pg\n{deps}{header}", forward) + embed(new, source)
    revert = _script(f"Revert {project}:{name} from pg\n{header}", backward)
    verify = _script(
        f"Verify {project}:{name} on pg\n{header}", _verify_body(new, new_catalog), "ROLLBACK"
    )
    note = f"Changes to {source} since {previous}"
    return Compiled(name, requires, note, deploy, revert, verify)


def _with_source(decl: m.Declarations, source: str) -> m.Declarations:
    """The declarations with every resource naming `source` (stable whatever the cwd)."""
    resources = [replace(r, file=source) for r in decl.resources]
    return replace(decl, resources=resources, issues=[])


def _script(head: str, body: str, closing: str = "COMMIT") -> str:
    return f"-- {head}BEGIN;\n\n{body}\n{closing};\n"


def _requires(decl: m.Declarations, catalog: dict[str, m.Resource]) -> tuple[str, ...]:
    needs = list(CORE_REQUIRES)
    if any(r.audit for r in decl.resources):
        needs.append("audit_rows")
    if any(_uses_perms(r) for r in decl.resources):
        needs.append("auth_users")
    if any(_uses_scoped_grants(r) for r in decl.resources):
        needs.append("authz_grants")
    if any(exists_helpers(r, catalog) for r in decl.resources):
        needs.append("authz_exists_owner")
    if decl.authorization:
        needs.append("authz_scopes")
    for r in decl.resources:
        for f in r.fields:
            target = catalog.get(f.references or "")
            if target and target.file != r.file:
                needs.append(f"policies_{_stem(target.file)}")
    return tuple(dict.fromkeys(needs))


def _stem(path: str) -> str:
    return path.rsplit("/", 1)[-1].removesuffix(".toml")


def _nodes(r: m.Resource) -> list[m.Node]:
    found: list[m.Node] = []

    def visit(node: m.Node | None) -> None:
        if node is None:
            return
        found.append(node)
        children = {m.AllOf: "items", m.AnyOf: "items"}
        if isinstance(node, tuple(children)):
            for child in node.items:  # type: ignore[union-attr]
                visit(child)
        elif isinstance(node, m.Not):
            visit(node.item)
        elif isinstance(node, m.Exists):
            visit(node.where)

    for action in m.ACTIONS:
        visit(r.policies.filter(action))
    return found


def _uses_perms(r: m.Resource) -> bool:
    return r.group_permissions or any(isinstance(n, m.HasPerm) for n in _nodes(r))


def _uses_scoped_grants(r: m.Resource) -> bool:
    return any(isinstance(n, m.ScopedGrant) for n in _nodes(r))


def ordered(decl: m.Declarations) -> list[m.Resource]:
    """Resources with referenced tables first (declaration order otherwise)."""
    names = {r.name for r in decl.resources}
    done: list[m.Resource] = []
    pending = list(decl.resources)
    while pending:
        for r in pending:
            deps = {f.references for f in r.fields if f.references in names} - {r.name}
            if deps <= {d.name for d in done}:
                done.append(r)
                pending.remove(r)
                break
        else:  # a reference cycle: keep declaration order for the rest
            done.extend(pending)
            break
    return done


# --- deploy ------------------------------------------------------------------------------------


QUIET = "set local client_min_messages = warning;\n"


def _deploy_body(decl: m.Declarations, catalog: dict[str, m.Resource]) -> str:
    parts = [QUIET + _schemas(decl)]
    resources = ordered(decl)
    for r in resources:
        if not r.adopt:
            parts.append(_table(r, catalog))
    emitted: set[str] = set()
    for r in resources:
        parts.append(code_sql(r, catalog, emitted))
    for view in decl.views:
        parts.append(_view(view, catalog))
    if decl.authorization:
        parts.append(authorization_sql(decl.authorization))
    return "\n".join(p for p in parts if p)


def _scopes_in_order(a: m.Authorization) -> list[m.AuthScope]:
    done: list[m.AuthScope] = []
    pending = list(a.scopes)
    while pending:
        ready = [s for s in pending if not s.parent or s.parent in {d.name for d in done}]
        if not ready:  # a parent from another file, or a cycle (refused by the checker)
            ready = pending[:1]
        done.append(ready[0])
        pending.remove(ready[0])
    return done


def authorization_sql(a: m.Authorization) -> str:
    """Scopes and templates as rows of authz.scopes and authz.templates (upserted), so runtime
    grants can name them; permissions live in the compiled policies (scoped_grant)."""
    lines = ["-- authorization: scopes and templates for runtime grants"]
    for s in _scopes_in_order(a):
        parent = text_literal(s.parent) if s.parent else "null"
        lines.append(
            "insert into authz.scopes (name, parent, description)\n"
            f"  values ({text_literal(s.name)}, {parent}, {text_literal(s.description)})\n"
            "  on conflict (name) do update set parent = excluded.parent,\n"
            "    description = excluded.description;"
        )
    for t in a.templates:
        perms = ", ".join(text_literal(p) for p in t.permissions)
        lines.append(
            "insert into authz.templates (name, permissions, description, scope)\n"
            f"  values ({text_literal(t.name)}, array[{perms}]::text[], "
            f"{text_literal(t.description)}, {text_literal(t.scope)})\n"
            "  on conflict (name) do update set permissions = excluded.permissions,\n"
            "    description = excluded.description, scope = excluded.scope;"
        )
    return "\n".join(lines) + "\n"


def unauthorize(a: m.Authorization) -> list[str]:
    lines = []
    if a.templates:
        names = ", ".join(text_literal(t.name) for t in a.templates)
        lines.append(f"delete from authz.templates where name in ({names});")
    for s in reversed(_scopes_in_order(a)):
        lines.append(f"delete from authz.scopes where name = {text_literal(s.name)};")
    return lines


def _schemas(decl: m.Declarations) -> str:
    lines = []
    for schema in sorted({r.schema for r in decl.resources if not r.adopt} - {"public"}):
        comment = decl.comment or f"Application tables declared in {decl.path.name}."
        lines += [
            f"create schema if not exists {ident(schema)};",
            f"comment on schema {ident(schema)} is {text_literal(comment)};",
        ]
    for schema in sorted({r.schema for r in decl.resources} | {v.schema for v in decl.views}):
        lines.append(f"grant usage on schema {ident(schema)} to pgw_anon, pgw_user;")
    return "\n".join(lines) + "\n"


def _column(f: m.Field) -> str:
    parts = [ident(f.name), f.type]
    if f.generated == "identity":
        parts.append("generated by default as identity")
    elif f.generated in ("created_at", "updated_at"):
        parts.append("default pg_catalog.now()")
    elif f.default is not None:
        parts.append(f"default {literal(f.default, f.type)}")
    if not f.nullable or f.primary_key or f.generated:
        parts.append("not null")
    return " ".join(parts)


def _constraints(r: m.Resource, catalog: dict[str, m.Resource]) -> list[str]:
    t = r.table
    found: list[str] = []
    key = r.key_field
    if key:
        found.append(f"constraint {ident(t + '_pkey')} primary key ({ident(key.name)})")
    for f in r.fields:
        found += [f"constraint {ident(name)} {body}" for name, body in _field_constraints(t, f)]
        target = catalog.get(f.references or "")
        if target and target.key_field:
            found.append(
                f"constraint {ident(f'{t}_{f.name}_fkey')} foreign key ({ident(f.name)}) "
                f"references {qualified(target.schema, target.table)} "
                f"({ident(target.key_field.name)}) on delete {m.ON_DELETE[f.on_delete]}"
            )
    for index in r.indexes:
        if index.unique:
            cols = ", ".join(ident(c) for c in index.fields)
            found.append(
                f"constraint {ident(t + '_' + '_'.join(index.fields) + '_key')} unique ({cols})"
            )
    return found


def _field_constraints(t: str, f: m.Field) -> list[tuple[str, str]]:
    c = ident(f.name)
    found = []
    if f.unique:
        found.append((f"{t}_{f.name}_key", f"unique ({c})"))
    if f.choices:
        values = ", ".join(text_literal(v) for v in f.choices)
        found.append((f"{t}_{f.name}_choices", f"check ({c} in ({values}))"))
    if f.min_length is not None or f.max_length is not None:
        length = _between(f"pg_catalog.char_length({c})", f.min_length, f.max_length)
        found.append((f"{t}_{f.name}_length", f"check ({length})"))
    if f.minimum is not None or f.maximum is not None:
        found.append((f"{t}_{f.name}_range", f"check ({_between(c, f.minimum, f.maximum)})"))
    if f.pattern is not None:
        found.append((f"{t}_{f.name}_pattern", f"check ({c} ~ {text_literal(f.pattern)})"))
    return found


def _between(expr: str, low: object, high: object) -> str:
    if low is not None and high is not None:
        return f"{expr} between {low} and {high}"
    return f"{expr} >= {low}" if low is not None else f"{expr} <= {high}"


def _table(r: m.Resource, catalog: dict[str, m.Resource]) -> str:
    name = qualified(r.schema, r.table)
    items = [_column(f) for f in r.fields] + _constraints(r, catalog)
    body = ",\n  ".join(items)
    lines = [f"-- {r.name}: {r.comment}".rstrip(": "), f"create table {name} (\n  {body}\n);"]
    comment = r.comment or f"Resource {r.name}, declared in {r.file}."
    lines.append(f"comment on table {name} is {text_literal(comment)};")
    for f in r.fields:
        if f.comment:
            lines.append(f"comment on column {name}.{ident(f.name)} is {text_literal(f.comment)};")
    lines += _indexes(r, catalog)
    return "\n".join(lines) + "\n"


def _index_columns(r: m.Resource, catalog: dict[str, m.Resource]) -> list[tuple[str, ...]]:
    """Relation columns, policy columns and declared indexes, first occurrence wins."""
    wanted: list[tuple[str, ...]] = [(f.name,) for f in r.fields if f.references]
    wanted += [i.fields for i in r.indexes if not i.unique]
    for other in catalog.values():
        wanted += [(n.field,) for n in _exists_leaves(other, r.name) if _indexable(n)]
    wanted += [(n.field,) for n in _nodes(r) if _indexable(n) and _top_level(r, n)]
    # the policy row's columns an exists compares (row.<f>): the membership side of a list
    wanted += [
        (n.source.name,)
        for n in _nodes(r)
        if isinstance(n, m.Compare) and n.source.kind == "row" and not _top_level(r, n)
    ]
    covered = {(f.name,) for f in r.fields if f.unique or f.primary_key}
    covered |= {i.fields[:1] for i in r.indexes if i.unique}
    return [cols for cols in dict.fromkeys(wanted) if cols not in covered]


def _indexable(node: m.Node) -> bool:
    """Columns matched against the request (user, claim) or another row are worth an index;
    columns matched against a literal (a status, a flag) usually are not."""
    if isinstance(node, m.ScopedGrant):
        return True
    return isinstance(node, m.Compare) and node.source.kind != "literal"


def _exists_leaves(r: m.Resource, target: str) -> list[m.Compare]:
    return [
        leaf
        for n in _nodes(r)
        if isinstance(n, m.Exists) and n.resource == target
        for leaf in n.where.items
        if isinstance(leaf, m.Compare)
    ]


def _top_level(r: m.Resource, node: m.Node) -> bool:
    inside = {id(leaf) for n in _nodes(r) if isinstance(n, m.Exists) for leaf in _all(n.where)}
    return id(node) not in inside


def _all(node: m.Node) -> list[m.Node]:
    out = [node]
    if isinstance(node, (m.AllOf, m.AnyOf)):
        for child in node.items:
            out += _all(child)
    elif isinstance(node, m.Not):
        out += _all(node.item)
    elif isinstance(node, m.Exists):
        out += _all(node.where)
    return out


def _indexes(r: m.Resource, catalog: dict[str, m.Resource]) -> list[str]:
    lines = []
    for cols in _index_columns(r, catalog):
        if not all(r.field(c) for c in cols):
            continue
        name = ident(f"{r.table}_{'_'.join(cols)}_idx")
        col_list = ", ".join(ident(c) for c in cols)
        lines.append(f"create index {name} on {qualified(r.schema, r.table)} ({col_list});")
    return lines


# --- code: grants, RLS, triggers, audit --------------------------------------------------------


def exists_helpers(
    r: m.Resource, catalog: dict[str, m.Resource]
) -> dict[str, tuple[helpers.Helper, list[str]]]:
    """The exists helpers r's policies call, by name, each with the roles that may execute it
    (those its calling policies apply to)."""
    found: dict[str, tuple[helpers.Helper, list[str]]] = {}
    for action in m.ACTIONS:
        role, node = grant_role(r, action), r.policies.filter(action)
        if role is None or node is None:
            continue
        collected: list[helpers.Helper] = []
        to_sql(node, Scope(r, "", r, catalog, found=collected))
        roles = ["pgw_anon", "pgw_user"] if role == "pgw_anon" else [role]
        for helper in collected:
            _, grantees = found.setdefault(helper.name, (helper, []))
            grantees += [g for g in roles if g not in grantees]
    return found


def decl_helpers(decl: m.Declarations, catalog: dict[str, m.Resource]) -> list[helpers.Helper]:
    """Every exists helper of a file, once, in the order of first use."""
    found: dict[str, helpers.Helper] = {}
    for r in ordered(decl):
        for name, (helper, _) in exists_helpers(r, catalog).items():
            found.setdefault(name, helper)
    return list(found.values())


def _helper_sql(
    r: m.Resource, catalog: dict[str, m.Resource], emitted: set[str] | None
) -> list[str]:
    lines = []
    for name, (helper, grantees) in exists_helpers(r, catalog).items():
        if emitted is not None and name in emitted:
            lines.append(f"grant execute on function {helper.signature} to {', '.join(grantees)};")
            continue
        if emitted is not None:
            emitted.add(name)
        lines.append(helpers.render(helper, grantees))
    return lines


def code_sql(r: m.Resource, catalog: dict[str, m.Resource], emitted: set[str] | None = None) -> str:
    parts = [f"-- {r.name}: privileges, row-level security, triggers"]
    parts += _helper_sql(r, catalog, emitted)
    parts += _grants(r)
    parts += _rls(r, catalog)
    parts += _assign_trigger(r)
    parts += _stamp_trigger(r)
    parts += _permissions(r)
    parts.append(_hints(r))
    if r.audit:
        redact = ", ".join(text_literal(c) for c in r.audit_redact)
        arg = f", array[{redact}]::text[]" if r.audit_redact else ""
        parts.append(f"select audit.enable({text_literal(r.qualified)}::regclass{arg});")
    return "\n".join(parts) + "\n"


def grant_role(r: m.Resource, action: str) -> str | None:
    """The role an action is granted to (higher tiers inherit it), or None."""
    tier = r.role(action)
    if r.group_permissions and tier != "anon":
        return "pgw_user"
    if tier is None:
        return None
    return "pgw_anon" if tier == "anon" else role_name(tier)


def _grants(r: m.Resource) -> list[str]:
    name = qualified(r.schema, r.table)
    lines = [f"revoke all on {name} from {', '.join(TIER_ROLES)};"]
    writable = ", ".join(ident(f.name) for f in r.fields if f.writable)
    for action in m.ACTIONS:
        role = grant_role(r, action)
        if role is None:
            continue
        roles = "pgw_anon, pgw_user" if role == "pgw_anon" else role
        privilege = PRIVILEGE[action]
        if action in ("create", "update") and not r.adopt:
            privilege = f"{privilege} ({writable})"
        lines.append(f"grant {privilege} on {name} to {roles};")
    return lines


def policy_name(r: m.Resource, action: str) -> str:
    return f"{r.table}_{action}"


def policy_names(r: m.Resource) -> list[str]:
    names = [policy_name(r, a) for a in m.ACTIONS if grant_role(r, a)]
    if r.policies.admin_bypass:
        names.append(policy_name(r, "admin_bypass"))
    return names


def gate(r: m.Resource, action: str) -> str | None:
    """The tier-or-permission test when group permissions widen a grant to pgw_user."""
    if not r.group_permissions:
        return None
    codename = f"{r.name}.{m.PERM_VERBS[action]}"
    tier = r.role(action)
    if tier is None or tier in ("anon", "user"):
        return perm_test(codename) if tier is None else None
    return f"{tier_test(tier)} or {perm_test(codename)}"


def fk_visibility(r: m.Resource, catalog: dict[str, m.Resource]) -> list[str]:
    """Each written reference must point at a row the writer can read (or no row at all): the
    same error for a hidden row as for a missing one, so a foreign key reveals nothing."""
    found = []
    for f in r.fields:
        target = catalog.get(f.references or "")
        if not target or not target.key_field or not f.writable or target.name == r.name:
            continue
        col = f"{ident(r.table)}.{ident(f.name)}"
        test = (
            f"exists (select from {qualified(target.schema, target.table)} v "
            f"where v.{ident(target.key_field.name)} = {col})"
        )
        found.append(f"({col} is null or {test})" if f.nullable else test)
    return found


def _parts(r: m.Resource, action: str, catalog: dict[str, m.Resource]) -> list[tuple[str, bool]]:
    """The conjuncts of an action's condition, each with whether it is an OR (needs parentheses
    next to another conjunct)."""
    parts: list[tuple[str, bool]] = []
    test = gate(r, action)
    if test:
        parts.append((test, " or " in test))
    node = r.policies.filter(action)
    if node is not None:
        single = not parts
        text = to_sql(node, Scope(r, "", r, catalog, pretty=single))
        parts.append((text, isinstance(node, m.AnyOf) and len(node.items) > 1))
    return parts


def _conjoin(parts: list[tuple[str, bool]]) -> str:
    if not parts:
        return "true"
    if len(parts) == 1:
        return parts[0][0]
    return "\n    and ".join(f"({text})" if is_or else text for text, is_or in parts)


def action_condition(r: m.Resource, action: str, catalog: dict[str, m.Resource]) -> str:
    return _conjoin(_parts(r, action, catalog))


def _with_check(r: m.Resource, action: str, catalog: dict[str, m.Resource]) -> str:
    parts = _parts(r, action, catalog) + [(x, False) for x in fk_visibility(r, catalog)]
    return _conjoin(parts)


def _clause(word: str, text: str) -> str:
    if "\n" in text or len(text) > 70:
        return f"{word} (\n    {text}\n  )"
    return f"{word} ({text})"


def _rls(r: m.Resource, catalog: dict[str, m.Resource]) -> list[str]:
    name = qualified(r.schema, r.table)
    lines = [
        f"alter table {name} enable row level security;",
        f"alter table {name} force row level security;",
    ]
    for action in m.ACTIONS:
        role = grant_role(r, action)
        if role is None:
            continue
        roles = "pgw_anon, pgw_user" if role == "pgw_anon" else role
        policy = ident(policy_name(r, action))
        command = {"read": "select", "create": "insert"}.get(action, action)
        if action == "create":
            clause = _clause("with check", _with_check(r, action, catalog))
        elif action == "update":
            clause = (
                _clause("using", action_condition(r, action, catalog))
                + "\n  "
                + _clause("with check", _with_check(r, action, catalog))
            )
        else:
            clause = _clause("using", action_condition(r, action, catalog))
        lines += [
            f"drop policy if exists {policy} on {name};",
            f"create policy {policy} on {name} as permissive for {command} to {roles}\n  {clause};",
            f"comment on policy {policy} on {name} is {text_literal(explain_action(r, action))};",
        ]
    if r.policies.admin_bypass:
        policy = ident(policy_name(r, "admin_bypass"))
        lines += [
            f"drop policy if exists {policy} on {name};",
            f"create policy {policy} on {name} as permissive for all to pgw_administrator\n"
            "  using (true) with check (true);",
            f"comment on policy {policy} on {name} is {text_literal(BYPASS_COMMENT)};",
        ]
    return lines


def explain_action(r: m.Resource, action: str) -> str:
    tier = r.role(action)
    who = f"tier {tier} and above" if tier else "nobody by tier"
    if r.group_permissions:
        who += f", or holders of {r.name}.{m.PERM_VERBS[action]}"
    node = r.policies.filter(action)
    rows = describe(node) if node is not None else "every row"
    verb = "may insert when" if action == "create" else "on rows where"
    if node is None:
        verb = "on"
    return f"{action}: {who}; {verb} {rows}."


def assign_function(r: m.Resource) -> str:
    return qualified(r.schema, f"{r.table}_assign")


def _assign_trigger(r: m.Resource) -> list[str]:
    assign = r.policies.create.assign
    if not assign:
        return []
    scope = Scope(r, "", r, {})
    bypass = f"{tier_test('administrator')} and " if r.policies.admin_bypass else ""
    inserts, updates = [], []
    for column, source in assign:
        f = r.field(column)
        assert f is not None
        from webui.policies.expr import source_sql

        value = source_sql(scope, f, source)
        c = ident(column)
        keep = f"{bypass}new.{c} is not null" if bypass else "false"
        inserts.append(f"    if not ({keep}) then\n      new.{c} := {value};\n    end if;")
        updates.append(f"    new.{c} := old.{c};")
    cols = ", ".join(c for c, _ in assign)
    fn = assign_function(r)
    update_guard = f"not ({tier_test('administrator')})" if r.policies.admin_bypass else "true"
    body = (
        f"create or replace function {fn}()\nreturns trigger\nlanguage plpgsql\n"
        "set search_path = ''\nas $$\nbegin\n"
        "  if not authz.is_request_role() then\n    return new;\n  end if;\n"
        "  if tg_op = 'INSERT' then\n" + "\n".join(inserts) + "\n"
        f"  elsif {update_guard} then\n" + "\n".join(updates) + "\n"
        "  end if;\n  return new;\nend\n$$;"
    )
    table = qualified(r.schema, r.table)
    trigger = ident(f"{r.table}_assign")
    return [
        body,
        f"comment on function {fn}() is {text_literal(_assign_comment(r, cols))};",
        f"revoke execute on function {fn}() from public;",
        f"drop trigger if exists {trigger} on {table};",
        f"create trigger {trigger} before insert or update on {table}\n"
        f"  for each row execute function {fn}();",
    ]


def codenames(r: m.Resource) -> list[str]:
    return [f"{r.name}.{m.PERM_VERBS[a]}" for a in m.ACTIONS] if r.group_permissions else []


def _permissions(r: m.Resource) -> list[str]:
    """Register the codenames, so groups (auth.groups.auto_actions) and users can hold them."""
    if not r.group_permissions:
        return []
    rows = ",\n  ".join(
        f"({text_literal(c)}, {text_literal(f'{c.split(chr(46))[1]} {r.name}')})"
        for c in codenames(r)
    )
    return [
        f"insert into auth.permissions (codename, description) values\n  {rows}\n"
        "on conflict (codename) do nothing;"
    ]


def _assign_comment(r: m.Resource, cols: str) -> str:
    return (
        f"Sets {cols} of {r.name} from the request context on insert (a payload value is "
        "ignored) and keeps them unchanged on update."
    )


def _hints(r: m.Resource) -> str:
    """The resource's row in authz.resources: list and admin hints for the REST dialect."""

    def value(v: object) -> str:
        return "null" if v is None else str(v) if isinstance(v, int) else text_literal(str(v))

    def array(items: tuple[str, ...]) -> str:
        return f"array[{', '.join(text_literal(i) for i in items)}]::text[]"

    h = r.list
    row = ", ".join(
        [
            text_literal(r.name),
            text_literal(r.qualified),
            text_literal(r.file),
            value(r.display),
            value(h.default_limit),
            value(h.max_limit),
            value(h.order),
            array(h.search),
            array(h.filter),
        ]
    )
    return (
        "insert into authz.resources (name, relation, declared_in, display_field, default_limit,\n"
        "    max_limit, default_order, search_fields, filter_fields)\n"
        f"  values ({row})\n"
        "  on conflict (name) do update set relation = excluded.relation,\n"
        "    declared_in = excluded.declared_in, display_field = excluded.display_field,\n"
        "    default_limit = excluded.default_limit, max_limit = excluded.max_limit,\n"
        "    default_order = excluded.default_order, search_fields = excluded.search_fields,\n"
        "    filter_fields = excluded.filter_fields;"
    )


def _stamp_trigger(r: m.Resource) -> list[str]:
    stamped = [f.name for f in r.fields if f.generated == "updated_at"]
    if not stamped:
        return []
    table = qualified(r.schema, r.table)
    trigger = ident(f"{r.table}_touch")
    args = ", ".join(text_literal(c) for c in stamped)
    return [
        f"drop trigger if exists {trigger} on {table};",
        f"create trigger {trigger} before update on {table}\n"
        f"  for each row execute function authz.touch({args});",
    ]


def _view(view: m.View, catalog: dict[str, m.Resource]) -> str:
    name = qualified(view.schema, view.name)
    option = "true" if view.security_invoker else "false"
    lines = [
        f"create or replace view {name} with (security_invoker = {option}) as\n"
        f"{view.query.rstrip(';')};",
        f"comment on view {name} is {text_literal(view.comment or f'View {view.name}.')};",
        f"revoke all on {name} from {', '.join(TIER_ROLES)};",
    ]
    if view.read:
        role = "pgw_anon, pgw_user" if view.read == "anon" else role_name(view.read)
        lines.append(f"grant select on {name} to {role};")
    return "\n".join(lines) + "\n"


# --- revert and verify -------------------------------------------------------------------------


def _revert_body(decl: m.Declarations, catalog: dict[str, m.Resource]) -> str:
    lines = [f"drop view if exists {qualified(v.schema, v.name)};" for v in reversed(decl.views)]
    names = ", ".join(text_literal(r.name) for r in decl.resources)
    if names:
        lines.append(f"delete from authz.resources where name in ({names});")
    for r in reversed(ordered(decl)):
        table = qualified(r.schema, r.table)
        if r.audit:
            lines.append(f"select audit.disable({text_literal(r.qualified)}::regclass);")
        if r.adopt:
            lines += _unadopt(r)
        else:
            lines.append(f"drop table if exists {table};")
        if r.policies.create.assign:
            lines.append(f"drop function if exists {assign_function(r)}();")
        if r.group_permissions:
            names = ", ".join(text_literal(c) for c in codenames(r))
            lines.append(f"delete from auth.permissions where codename in ({names});")
    lines += [helpers.drop(h) for h in decl_helpers(decl, catalog)]
    if decl.authorization:
        lines += unauthorize(decl.authorization)
    for schema in sorted(
        {r.schema for r in decl.resources if not r.adopt} - {"public"}, reverse=True
    ):
        lines.append(f"drop schema if exists {ident(schema)};")
    return "\n".join(lines) + "\n"


def _unadopt(r: m.Resource) -> list[str]:
    table = qualified(r.schema, r.table)
    lines = [f"drop policy if exists {ident(p)} on {table};" for p in policy_names(r)]
    if r.policies.create.assign:
        lines.append(f"drop trigger if exists {ident(r.table + '_assign')} on {table};")
    if any(f.generated == "updated_at" for f in r.fields):
        lines.append(f"drop trigger if exists {ident(r.table + '_touch')} on {table};")
    lines += [
        f"alter table {table} no force row level security;",
        f"alter table {table} disable row level security;",
        f"revoke all on {table} from {', '.join(TIER_ROLES)};",
    ]
    return lines


def _verify_resource(r: m.Resource) -> str:
    table = text_literal(r.qualified)
    names = ", ".join(text_literal(p) for p in policy_names(r))
    rls_message = text_literal(f"{r.qualified}: row-level security must be enabled and forced")
    policy_message = text_literal(f"{r.qualified}: a compiled policy is missing")
    return (
        "  assert (select c.relrowsecurity and c.relforcerowsecurity\n"
        f"          from pg_catalog.pg_class c where c.oid = {table}::regclass),\n"
        f"    {rls_message};\n"
        "  assert (select count(*) from pg_catalog.pg_policies p\n"
        f"          where p.schemaname = {text_literal(r.schema)}\n"
        f"            and p.tablename = {text_literal(r.table)}\n"
        f"            and p.policyname in ({names})) = {len(policy_names(r))},\n"
        f"    {policy_message};"
    )


def _verify_view(v: m.View) -> str:
    name = f"{v.schema}.{v.name}"
    expected = "true" if v.security_invoker else "false"
    message = text_literal(f"{name}: security_invoker differs from the declaration")
    return (
        "  assert (select coalesce(c.reloptions, '{}') @> array['security_invoker=true']\n"
        f"          from pg_catalog.pg_class c where c.oid = {text_literal(name)}::regclass)"
        f" = {expected},\n    {message};"
    )


def _verify_body(decl: m.Declarations, catalog: dict[str, m.Resource]) -> str:
    checks = [_verify_resource(r) for r in decl.resources] + [_verify_view(v) for v in decl.views]
    checks += [helpers.verify(h) for h in decl_helpers(decl, catalog)]
    body = "\n".join(checks) if checks else "  null;"
    return f"do $verify$\nbegin\n{body}\nend\n$verify$;\n"
