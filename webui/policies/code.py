"""The code part of the plan: what a change re-applies whole — exists helpers, grants, row
policies, triggers, permissions, list hints, audit, views, scopes and templates. Written so it can
be applied again (`create or replace`, `drop … if exists`), which a follow-up change does."""

from __future__ import annotations

from webui.core.roles import REQUEST_ROLES, tier_role
from webui.policies import helpers
from webui.policies import model as m
from webui.policies.expr import Scope, describe, perm_test, source_sql, tier_test, to_sql
from webui.policies.plan import Grant, Policy, Trigger, View, grantees
from webui.policies.sqltext import ident, qualified, text_literal
from webui.policies.tables import ordered

TIER_ROLES = REQUEST_ROLES
PRIVILEGE = {"read": "select", "create": "insert", "update": "update", "delete": "delete"}
BYPASS_COMMENT = (
    "admin_bypass: administrators and developers see and change every row their grants allow."
)


def role_name(tier: str) -> str:
    return tier_role(tier)


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
        roles = grantees(role).split(", ")
        for helper in collected:
            _, granted = found.setdefault(helper.name, (helper, []))
            granted += [g for g in roles if g not in granted]
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
    for name, (helper, roles) in exists_helpers(r, catalog).items():
        if emitted is not None and name in emitted:
            lines.append(f"grant execute on function {helper.signature} to {', '.join(roles)};")
            continue
        if emitted is not None:
            emitted.add(name)
        lines.append(helpers.render(helper, roles))
    return lines


def code_sql(r: m.Resource, catalog: dict[str, m.Resource], emitted: set[str] | None = None) -> str:
    parts = [f"-- {r.name}: privileges, row-level security, triggers"]
    parts += _helper_sql(r, catalog, emitted)
    parts += _grants(r)
    parts += _rls(r, catalog)
    parts += _assign_trigger(r)
    parts += [t.sql() for t in triggers(r, catalog) if t.name == f"{r.table}_references"]
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


def grants(r: m.Resource) -> list[Grant]:
    """One grant per action, to the action's tier (higher tiers inherit it)."""
    name = qualified(r.schema, r.table)
    writable = ", ".join(ident(f.name) for f in r.fields if f.writable)
    found = []
    for action in m.ACTIONS:
        role = grant_role(r, action)
        if role is None:
            continue
        privilege = PRIVILEGE[action]
        if action in ("create", "update") and not r.adopt:
            privilege = f"{privilege} ({writable})"
        found.append(Grant(privilege, name, role))
    return found


def _grants(r: m.Resource) -> list[str]:
    revoke = f"revoke all on {qualified(r.schema, r.table)} from {', '.join(TIER_ROLES)};"
    return [revoke, *(g.sql() for g in grants(r))]


def policy_name(r: m.Resource, action: str) -> str:
    return f"{r.table}_{action}"


WRITE_READS = ("update", "delete")  # the writes that read the rows they change (PATCH, DELETE)


def policy_names(r: m.Resource) -> list[str]:
    names = [policy_name(r, a) for a in m.ACTIONS if grant_role(r, a)]
    names += [policy_name(r, f"read_to_{a}") for a in WRITE_READS if reads_to_write(r, a)]
    if r.policies.admin_bypass:
        names.append(policy_name(r, "admin_bypass"))
    return names


def _alternatives(node: m.Node | None) -> list[m.Node]:
    return list(node.items) if isinstance(node, m.AnyOf) else [] if node is None else [node]


def write_only_test(r: m.Resource, action: str) -> m.Node | bool | None:
    """What `action` (update, delete) allows beyond the read policy: False when nothing (each
    of its alternatives implies the read test), None when every row (no test), else the
    alternatives that do not. Group-permission resources compare whole tests (their gates
    name different codenames)."""
    role = grant_role(r, action)
    if role is None or grant_role(r, "read") is None:
        return False
    if r.policies.admin_bypass and role in ("pgw_administrator", "pgw_developer"):
        return False  # only tiers the bypass already admits to every row
    read, node = r.policies.filter("read"), r.policies.filter(action)
    if read is None and not r.group_permissions:
        return False  # every row is readable
    if r.group_permissions:
        same = gate(r, "read") == gate(r, action) and _text(read) == _text(node)
        return False if same else node
    if node is None:
        return None
    known = {_text(a) for a in _alternatives(read)}
    extra = tuple(a for a in _alternatives(node) if not _implied(a, known))
    if not extra:
        return False
    return extra[0] if len(extra) == 1 else m.AnyOf(extra, getattr(node, "key", ""))


def _implied(node: m.Node, known: set[str]) -> bool:
    """Whether the alternative implies the read test: it is, or one of its conjuncts is, one of
    the read test's alternatives (`tenant and owner` when the read is `tenant`)."""
    conjuncts = node.items if isinstance(node, m.AllOf) else (node,)
    return _text(node) in known or any(_text(c) in known for c in conjuncts)


def _text(node: m.Node | None) -> str:
    """The test as compared: its reading, and which of its exists read under the caller's RLS."""
    if node is None:
        return ""
    visible = [n.visible for n in m.walk(node) if isinstance(n, m.Exists)]
    return f"{describe(node)} {visible}"


def reads_to_write(r: m.Resource, action: str) -> bool:
    """Whether `action` (update, delete) needs a read policy of its own. PostgreSQL applies the
    read policy to an UPDATE or DELETE whose WHERE reads the row (`PATCH ?id=eq.7`), so a row the
    caller may change but not read (a delegate's family) would match nothing. A second read
    policy admits the rows the action allows beyond the read policy, only while the request is
    that write (authz.writing()): docs/policies.md, doctrine 11."""
    return write_only_test(r, action) is not False


def triggers(r: m.Resource, catalog: dict[str, m.Resource] | None = None) -> list[Trigger]:
    """The assign trigger (when create assigns columns), the references an update changes
    (with the catalog: fk_visibility), and the updated_at stamp."""
    table = qualified(r.schema, r.table)
    found = []
    if r.policies.create.assign:
        call = f"{assign_function(r)}()"
        found.append(Trigger(f"{r.table}_assign", table, "before insert or update", call))
    references = written_references(r, catalog) if catalog and grant_role(r, "update") else []
    if references:
        found.append(_references_trigger(r, references))
    stamped = [f.name for f in r.fields if f.generated == "updated_at"]
    if stamped:
        call = f"authz.touch({', '.join(text_literal(c) for c in stamped)})"
        found.append(Trigger(f"{r.table}_touch", table, "before update", call))
    return found


def _references_trigger(r: m.Resource, references: list[tuple[m.Field, m.Resource]]) -> Trigger:
    args, changed = [], []
    for f, target in references:
        assert target.key_field is not None
        args += [f.name, target.qualified, target.key_field.name]
        changed.append(f"old.{ident(f.name)} is distinct from new.{ident(f.name)}")
    call = f"authz.check_references({', '.join(text_literal(a) for a in args)})"
    table = qualified(r.schema, r.table)
    return Trigger(f"{r.table}_references", table, "before update", call, " or ".join(changed))


def gate(r: m.Resource, action: str) -> str | None:
    """The tier-or-permission test when group permissions widen a grant to pgw_user."""
    if not r.group_permissions:
        return None
    codename = f"{r.name}.{m.PERM_VERBS[action]}"
    tier = r.role(action)
    if tier is None or tier in ("anon", "user"):
        return perm_test(codename) if tier is None else None
    return f"{tier_test(tier)} or {perm_test(codename)}"


def written_references(
    r: m.Resource, catalog: dict[str, m.Resource]
) -> list[tuple[m.Field, m.Resource]]:
    """The writable foreign keys to another resource, each with the resource it points at."""
    found = []
    for f in r.fields:
        target = catalog.get(f.references or "")
        if target and target.key_field and f.writable and target.name != r.name:
            found.append((f, target))
    return found


def fk_visibility(r: m.Resource, catalog: dict[str, m.Resource]) -> list[str]:
    """Each written reference must point at a row the writer can read (or no row at all): the
    same error for a hidden row as for a missing one, so a foreign key reveals nothing. On
    insert this is part of the WITH CHECK; an update checks only the references it changes
    (the `<table>_references` trigger), so a writer who may change a row whose parent it cannot
    read (a delegate) keeps its references."""
    found = []
    for f, target in written_references(r, catalog):
        assert target.key_field is not None
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
    parts = _parts(r, action, catalog)
    if action == "create":
        parts += [(x, False) for x in fk_visibility(r, catalog)]
    return _conjoin(parts)


def _clause(word: str, text: str) -> str:
    if "\n" in text or len(text) > 70:
        return f"{word} (\n    {text}\n  )"
    return f"{word} ({text})"


def policies(r: m.Resource, catalog: dict[str, m.Resource]) -> list[Policy]:
    """The row policies of a resource: one per granted action, and the admin bypass."""
    name = qualified(r.schema, r.table)
    found = []
    for action in m.ACTIONS:
        role = grant_role(r, action)
        if role is None:
            continue
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
        comment = explain_action(r, action)
        found.append(Policy(policy_name(r, action), name, command, role, clause, comment))
    found += [_read_to_write(r, a, catalog) for a in WRITE_READS if reads_to_write(r, a)]
    if r.policies.admin_bypass:
        bypass = policy_name(r, "admin_bypass")
        everything = "using (true) with check (true)"
        found.append(Policy(bypass, name, "all", "pgw_administrator", everything, BYPASS_COMMENT))
    return found


def _read_to_write(r: m.Resource, action: str, catalog: dict[str, m.Resource]) -> Policy:
    node = write_only_test(r, action)
    assert node is not False
    parts = [(f"(select authz.writing({text_literal(action)}))", False)]
    test = gate(r, action)
    if test:
        parts.append((test, " or " in test))
    if node is not None:
        text = to_sql(node, Scope(r, "", r, catalog))
        parts.append((text, isinstance(node, m.AnyOf) and len(node.items) > 1))
    role = grant_role(r, action)
    assert role is not None
    method = "PATCH" if action == "update" else "DELETE"
    comment = (
        f"read_to_{action}: during a {method} request, also the rows the {action} policy "
        "allows, so that the write's filter and representation reach them."
    )
    clause = _clause("using", _conjoin(parts))
    table = qualified(r.schema, r.table)
    return Policy(policy_name(r, f"read_to_{action}"), table, "select", role, clause, comment)


def _rls(r: m.Resource, catalog: dict[str, m.Resource]) -> list[str]:
    name = qualified(r.schema, r.table)
    lines = [
        f"alter table {name} enable row level security;",
        f"alter table {name} force row level security;",
    ]
    return lines + [p.sql() for p in policies(r, catalog)]


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
    trigger = next(t for t in triggers(r) if t.name == f"{r.table}_assign")
    return [
        body,
        f"comment on function {fn}() is {text_literal(_assign_comment(r, cols))};",
        f"revoke execute on function {fn}() from public;",
        trigger.sql(),
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
    return [t.sql() for t in triggers(r) if t.name == f"{r.table}_touch"]


def view(v: m.View) -> View:
    read = None if v.read is None else "pgw_anon" if v.read == "anon" else role_name(v.read)
    return View(
        qualified(v.schema, v.name),
        v.query.rstrip(";"),
        v.security_invoker,
        v.comment or f"View {v.name}.",
        ", ".join(TIER_ROLES),
        read,
    )


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


def _array(items: tuple[str, ...]) -> str:
    return f"array[{', '.join(text_literal(i) for i in items)}]::text[]"


def authorization_sql(a: m.Authorization) -> str:
    """Scopes, permissions and templates as rows of authz.scopes, authz.permissions and
    authz.templates (upserted), so runtime grants can name them (authz.grant_scoped() refuses
    a permission that is neither declared nor a resource codename); what a permission allows
    lives in the compiled policies (scoped_grant)."""
    lines = ["-- authorization: scopes and templates for runtime grants"]
    for s in _scopes_in_order(a):
        parent = text_literal(s.parent) if s.parent else "null"
        lines.append(
            "insert into authz.scopes (name, parent, description)\n"
            f"  values ({text_literal(s.name)}, {parent}, {text_literal(s.description)})\n"
            "  on conflict (name) do update set parent = excluded.parent,\n"
            "    description = excluded.description;"
        )
    for p in a.permissions:
        lines.append(
            "insert into authz.permissions (name, actions, resources, scopes, description)\n"
            f"  values ({text_literal(p.name)}, {_array(p.actions)}, {_array(p.resources)}, "
            f"{_array(p.scopes)}, {text_literal(p.description)})\n"
            "  on conflict (name) do update set actions = excluded.actions,\n"
            "    resources = excluded.resources, scopes = excluded.scopes,\n"
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
    if a.permissions:
        names = ", ".join(text_literal(p.name) for p in a.permissions)
        lines.append(f"delete from authz.permissions where name in ({names});")
    for s in reversed(_scopes_in_order(a)):
        lines.append(f"delete from authz.scopes where name = {text_literal(s.name)};")
    return lines


def unadopt(r: m.Resource) -> list[str]:
    """Undo what a change did to an adopted (existing) table: its policies, triggers, RLS and
    grants; the table and its rows stay."""
    table = qualified(r.schema, r.table)
    lines = [f"drop policy if exists {ident(p)} on {table};" for p in policy_names(r)]
    lines += [t.drop() for t in triggers(r)]
    lines.append(f"drop trigger if exists {ident(r.table + '_references')} on {table};")
    lines += [
        f"alter table {table} no force row level security;",
        f"alter table {table} disable row level security;",
        f"revoke all on {table} from {', '.join(TIER_ROLES)};",
    ]
    return lines


def drop_resource(r: m.Resource) -> list[str]:
    """Remove a resource a change created: audit off, the table (or what an adopted table got),
    its assign function, its permission codenames."""
    lines = []
    if r.audit:
        lines.append(f"select audit.disable({text_literal(r.qualified)}::regclass);")
    if r.adopt:
        lines += unadopt(r)
    else:
        lines.append(f"drop table if exists {qualified(r.schema, r.table)};")
    if r.policies.create.assign:
        lines.append(f"drop function if exists {assign_function(r)}();")
    if r.group_permissions:
        names = ", ".join(text_literal(c) for c in codenames(r))
        lines.append(f"delete from auth.permissions where codename in ({names});")
    return lines
