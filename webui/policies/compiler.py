"""Declarations to SQL: one sqitch change (deploy, revert, verify) per policy file.

The plan is built by webui.policies.tables (table state: columns, constraints, indexes) and
webui.policies.code (what is re-applied: helpers, grants, policies, triggers, hints, views,
templates), whose objects carry their names (webui.policies.plan); this module orders them
into the three scripts. The output is deterministic (declaration order, no timestamps), so a
golden file per example pins it and re-compiling an unchanged file is a no-op. A follow-up
change is webui.policies.followup.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from webui.policies import code, helpers, tables
from webui.policies import model as m
from webui.policies.code import (  # noqa: F401 - the compiler's public names, used elsewhere
    PRIVILEGE,
    TIER_ROLES,
    action_condition,
    code_sql,
    grant_role,
    policy_name,
    policy_names,
    role_name,
)
from webui.policies.sqltext import ident, text_literal
from webui.policies.tables import ordered

CORE_REQUIRES = ("authz_helpers",)
FRAMEWORK = (
    "authz_helpers",
    "audit_rows",
    "auth_users",
    "authz_grants",
    "authz_exists_owner",
    "authz_scopes",
    "authz_policy_writes",
    "authz_permissions",
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


def compile_decl(
    decl: m.Declarations, catalog: dict[str, m.Resource], source: str, project: str = "pgwarden"
) -> Compiled:
    """`source` is the declaration file's path as the header should name it; `project` the
    sqitch project the change joins (framework changes are then named `pgwarden:<change>`)."""
    decl = with_source(decl, source)
    catalog = {**catalog, **{r.name: r for r in decl.resources}}
    name = change_name(decl)
    requires = tuple(
        f"pgwarden:{r}" if project != "pgwarden" and r in FRAMEWORK else r
        for r in requires_of(decl, catalog)
    )
    note = decl.comment or f"Resources and row policies compiled from {source}"
    header = (
        f"-- Compiled by `pgwarden policies compile` from {source}: do not edit; change the\n"
        "-- declarations and compile again.\n"
    )
    deps = f"-- requires: {', '.join(requires)}\n"
    deploy = script(f"Deploy {project}:{name} to pg\n{deps}{header}", _deploy_body(decl, catalog))
    deploy += embed(decl, source)
    revert = script(f"Revert {project}:{name} from pg\n{header}", _revert_body(decl, catalog))
    verify = script(
        f"Verify {project}:{name} on pg\n{header}", verify_body(decl, catalog), "ROLLBACK"
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


def with_source(decl: m.Declarations, source: str) -> m.Declarations:
    """The declarations with every resource naming `source` (stable whatever the cwd)."""
    resources = [replace(r, file=source) for r in decl.resources]
    return replace(decl, resources=resources, issues=[])


def script(head: str, body: str, closing: str = "COMMIT") -> str:
    return f"-- {head}BEGIN;\n\n{body}\n{closing};\n"


def requires_of(decl: m.Declarations, catalog: dict[str, m.Resource]) -> tuple[str, ...]:
    needs = list(CORE_REQUIRES)
    if any(r.audit for r in decl.resources):
        needs.append("audit_rows")
    if any(_uses_perms(r) for r in decl.resources):
        needs.append("auth_users")
    if any(_uses_scoped_grants(r) for r in decl.resources):
        needs.append("authz_grants")
    if any(code.exists_helpers(r, catalog) for r in decl.resources):
        needs.append("authz_exists_owner")
    if decl.authorization:
        needs.append("authz_scopes")
    if decl.authorization and decl.authorization.permissions:
        needs.append("authz_permissions")
    if any(_writes_unread(r, catalog) for r in decl.resources):
        needs.append("authz_policy_writes")
    for r in decl.resources:
        for f in r.fields:
            target = catalog.get(f.references or "")
            if target and target.file != r.file:
                needs.append(f"policies_{_stem(target.file)}")
    return tuple(dict.fromkeys(needs))


def _stem(path: str) -> str:
    return path.rsplit("/", 1)[-1].removesuffix(".toml")


def _uses_perms(r: m.Resource) -> bool:
    return r.group_permissions or any(isinstance(n, m.HasPerm) for n in tables.policy_nodes(r))


def _writes_unread(r: m.Resource, catalog: dict[str, m.Resource]) -> bool:
    """Whether r's policies use authz.writing() or its updates authz.check_references()."""
    return any(code.reads_to_write(r, a) for a in code.WRITE_READS) or any(
        t.name == f"{r.table}_references" for t in code.triggers(r, catalog)
    )


def _uses_scoped_grants(r: m.Resource) -> bool:
    return any(isinstance(n, m.ScopedGrant) for n in tables.policy_nodes(r))


# --- deploy ------------------------------------------------------------------------------------


QUIET = "set local client_min_messages = warning;\n"


def _deploy_body(decl: m.Declarations, catalog: dict[str, m.Resource]) -> str:
    parts = [QUIET + _schemas(decl)]
    resources = ordered(decl)
    for r in resources:
        if not r.adopt:
            parts.append(tables.table_sql(r, catalog))
    emitted: set[str] = set()
    for r in resources:
        parts.append(code_sql(r, catalog, emitted))
    parts += [code.view(v).sql() for v in decl.views]
    if decl.authorization:
        parts.append(code.authorization_sql(decl.authorization))
    return "\n".join(p for p in parts if p)


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


# --- revert and verify -------------------------------------------------------------------------


def _revert_body(decl: m.Declarations, catalog: dict[str, m.Resource]) -> str:
    lines = [code.view(v).drop() for v in reversed(decl.views)]
    names = ", ".join(text_literal(r.name) for r in decl.resources)
    if names:
        lines.append(f"delete from authz.resources where name in ({names});")
    for r in reversed(ordered(decl)):
        lines += code.drop_resource(r)
    lines += [helpers.drop(h) for h in code.decl_helpers(decl, catalog)]
    if decl.authorization:
        lines += code.unauthorize(decl.authorization)
    for schema in sorted(
        {r.schema for r in decl.resources if not r.adopt} - {"public"}, reverse=True
    ):
        lines.append(f"drop schema if exists {ident(schema)};")
    return "\n".join(lines) + "\n"


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


def verify_body(decl: m.Declarations, catalog: dict[str, m.Resource]) -> str:
    checks = [_verify_resource(r) for r in decl.resources] + [_verify_view(v) for v in decl.views]
    checks += [helpers.verify(h) for h in code.decl_helpers(decl, catalog)]
    body = "\n".join(checks) if checks else "  null;"
    return f"do $verify$\nbegin\n{body}\nend\n$verify$;\n"
