"""Read `policies/*.toml` into the model (webui.policies.model).

The parser never raises on bad content: each problem becomes an Issue naming the file, the
resource and the key, and the part that could not be read is left out of the model.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from webui.policies import model as m

IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_LEAF = re.compile(
    r"^\s*(?P<field>[a-z_][a-z0-9_]*)\s*(?:(?P<op>=)\s*(?P<rhs>\S.*?)|(?P<null>is\s+(?:not\s+)?null))\s*$",
    re.IGNORECASE,
)
_SOURCE = re.compile(r"^(?P<kind>user|claim|row|input)\.(?P<name>[a-z_][a-z0-9_]*)$")
RESOURCE_KEYS = {
    "admin",  # admin options: read and checked by webui.policies.admin_options
    "table",
    "schema",
    "comment",
    "adopt",
    "audit",
    "audit_redact",
    "display",
    "fields",
    "roles",
    "group_permissions",
    "policies",
    "indexes",
    "list",
}
FIELD_KEYS = {
    "type",
    "nullable",
    "primary_key",
    "generated",
    "default",
    "unique",
    "choices",
    "min_length",
    "max_length",
    "minimum",
    "maximum",
    "pattern",
    "references",
    "on_delete",
    "comment",
}
POLICY_KEYS = {"admin_bypass", "read", "create", "update", "delete"}


class _Reader:
    """Collects issues for one file while building its model."""

    def __init__(self, decl: m.Declarations) -> None:
        self.decl = decl
        self.resource = ""

    def error(self, key: str, message: str, code: str = "invalid") -> None:
        self.decl.issues.append(
            m.Issue("error", code, str(self.decl.path), self.resource, key, message)
        )

    def unknown_keys(self, table: dict[str, Any], allowed: set[str], key: str) -> None:
        for name in sorted(set(table) - allowed):
            self.error(f"{key}.{name}" if key else name, f"unknown key {name!r}", "unknown-key")

    def typed(self, value: Any, kind: type | tuple[type, ...], key: str) -> bool:
        if isinstance(value, bool) and kind in (int, (int, float)):
            ok = False
        else:
            ok = isinstance(value, kind)
        if not ok:
            names = kind.__name__ if isinstance(kind, type) else "number"
            self.error(key, f"expected {names}, got {type(value).__name__}", "type-mismatch")
        return ok


def _shown(path: Path) -> Path:
    """The path as messages show it: relative to the working directory when inside it."""
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path


def load_file(path: Path) -> m.Declarations:
    decl = m.Declarations(path=_shown(path), schema="public")
    reader = _Reader(decl)
    try:
        decl.source_text = path.read_text()
        data = tomllib.loads(decl.source_text)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        reader.error("", f"cannot read TOML: {exc}", "syntax")
        return decl
    return load_data(data, decl)


def load_data(data: dict[str, Any], decl: m.Declarations) -> m.Declarations:
    """Fill `decl` from already-decoded TOML data (any shape: problems become issues)."""
    reader = _Reader(decl)
    reader.unknown_keys(data, {"settings", "resources", "views", "authorization"}, "")
    _settings(reader, data.get("settings", {}))
    for name, body in _table(reader, data.get("resources", {}), "resources").items():
        reader.resource = name
        resource = _resource(reader, name, body)
        if resource:
            decl.resources.append(resource)
    reader.resource = ""
    for name, body in _table(reader, data.get("views", {}), "views").items():
        view = _view(reader, name, body)
        if view:
            decl.views.append(view)
    if "authorization" in data:
        decl.authorization = _authorization(reader, data["authorization"])
    return decl


# --- authorization -------------------------------------------------------------------------------


def _authorization(reader: _Reader, data: Any) -> m.Authorization:
    """`[authorization]`: scopes (with parents), permissions (actions on resources at scopes),
    templates (permissions at a scope). References are judged by the checker."""
    key = "authorization"
    data = _table(reader, data, key)
    reader.unknown_keys(data, {"scopes", "permissions", "templates"}, key)
    scopes, permissions, templates = [], [], []
    for name, body in _table(reader, data.get("scopes", {}), f"{key}.scopes").items():
        skey = f"{key}.scopes.{name}"
        body = _table(reader, body, skey)
        reader.unknown_keys(body, {"parent", "description"}, skey)
        parent = body.get("parent")
        if _ident(reader, name, skey) and (
            parent is None or _ident(reader, parent, f"{skey}.parent")
        ):
            scopes.append(m.AuthScope(name, parent, _str(reader, body, "description", skey) or ""))
    for name, body in _table(reader, data.get("permissions", {}), f"{key}.permissions").items():
        pkey = f"{key}.permissions.{name}"
        body = _table(reader, body, pkey)
        reader.unknown_keys(body, {"actions", "resources", "scopes", "description"}, pkey)
        actions = _names(reader, body.get("actions", []), f"{pkey}.actions")
        for action in actions:
            if action not in m.ACTIONS:
                reader.error(f"{pkey}.actions", f"unknown action {action!r}", "unknown-action")
        if _ident(reader, name, pkey):
            permissions.append(
                m.Permission(
                    name,
                    tuple(a for a in actions if a in m.ACTIONS),
                    _names(reader, body.get("resources", []), f"{pkey}.resources"),
                    _names(reader, body.get("scopes", []), f"{pkey}.scopes"),
                    _str(reader, body, "description", pkey) or "",
                )
            )
    for name, body in _table(reader, data.get("templates", {}), f"{key}.templates").items():
        tkey = f"{key}.templates.{name}"
        body = _table(reader, body, tkey)
        reader.unknown_keys(body, {"permissions", "scope", "description"}, tkey)
        scope = _str(reader, body, "scope", tkey)
        if not scope:
            reader.error(f"{tkey}.scope", "a template is granted at one scope", "missing")
        if _ident(reader, name, tkey) and scope:
            perms = _names(reader, body.get("permissions", []), f"{tkey}.permissions")
            description = _str(reader, body, "description", tkey) or ""
            templates.append(m.Template(name, perms, scope, description))
    return m.Authorization(tuple(scopes), tuple(permissions), tuple(templates))


def load_dir(directory: Path) -> list[m.Declarations]:
    return [load_file(path) for path in sorted(directory.glob("*.toml"))]


def _table(reader: _Reader, value: Any, key: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        reader.error(key, f"expected a table, got {type(value).__name__}", "type-mismatch")
        return {}
    return value


def _ident(reader: _Reader, value: Any, key: str) -> bool:
    if not isinstance(value, str) or not IDENT.match(value):
        reader.error(key, f"{value!r} is not a lowercase SQL identifier", "bad-identifier")
        return False
    return True


def _settings(reader: _Reader, data: Any) -> None:
    data = _table(reader, data, "settings")
    reader.unknown_keys(data, {"schema", "claims", "comment", "migrations"}, "settings")
    if "migrations" in data and reader.typed(data["migrations"], str, "settings.migrations"):
        reader.decl.migrations = data["migrations"]
    schema = data.get("schema", "public")
    if _ident(reader, schema, "settings.schema"):
        reader.decl.schema = schema
    if "claims" in data and reader.typed(data["claims"], list, "settings.claims"):
        reader.decl.claims = tuple(str(c) for c in data["claims"])
    if reader.typed(data.get("comment", ""), str, "settings.comment"):
        reader.decl.comment = data.get("comment", "")


def _resource(reader: _Reader, name: str, body: Any) -> m.Resource | None:
    key = f"resources.{name}"
    if not _ident(reader, name, key):
        return None
    body = _table(reader, body, key)
    reader.unknown_keys(body, RESOURCE_KEYS, key)
    schema = body.get("schema", reader.decl.schema)
    table = body.get("table", name)
    if not (_ident(reader, schema, f"{key}.schema") and _ident(reader, table, f"{key}.table")):
        return None
    fields = _fields(reader, _table(reader, body.get("fields", {}), f"{key}.fields"), key)
    return m.Resource(
        name=name,
        schema=schema,
        table=table,
        file=str(reader.decl.path),
        comment=_str(reader, body, "comment", key) or "",
        adopt=_bool(reader, body, "adopt", key, False),
        audit=_bool(reader, body, "audit", key, True),
        audit_redact=_names(reader, body.get("audit_redact", []), f"{key}.audit_redact"),
        display=_str(reader, body, "display", key),
        fields=fields,
        roles=_roles(reader, body.get("roles", {}), key),
        group_permissions=_bool(reader, body, "group_permissions", key, False),
        policies=_policies(reader, body.get("policies", {}), key),
        indexes=_indexes(reader, body.get("indexes", []), key),
        list=_list_hints(reader, body.get("list", {}), key),
    )


def _str(reader: _Reader, body: dict[str, Any], name: str, key: str) -> str | None:
    value = body.get(name)
    if value is None or reader.typed(value, str, f"{key}.{name}"):
        return value
    return None


def _bool(reader: _Reader, body: dict[str, Any], name: str, key: str, default: bool) -> bool:
    value = body.get(name, default)
    return value if reader.typed(value, bool, f"{key}.{name}") else default


def _names(reader: _Reader, value: Any, key: str) -> tuple[str, ...]:
    if not reader.typed(value, list, key):
        return ()
    return tuple(v for i, v in enumerate(value) if _ident(reader, v, f"{key}[{i}]"))


def _fields(reader: _Reader, data: dict[str, Any], key: str) -> tuple[m.Field, ...]:
    fields = []
    for name, spec in data.items():
        fkey = f"{key}.fields.{name}"
        if isinstance(spec, str):
            spec = {"type": spec}
        if not _ident(reader, name, fkey) or not reader.typed(spec, dict, fkey):
            continue
        reader.unknown_keys(spec, FIELD_KEYS, fkey)
        built = _field(reader, name, spec, fkey)
        if built:
            fields.append(built)
    return tuple(fields)


def _field(reader: _Reader, name: str, spec: dict[str, Any], key: str) -> m.Field | None:
    ftype = spec.get("type")
    if ftype not in m.TYPES:
        reader.error(
            f"{key}.type", f"unknown type {ftype!r}; one of {', '.join(m.TYPES)}", "unknown-type"
        )
        return None
    generated = spec.get("generated")
    if generated is not None and generated not in m.GENERATED:
        reader.error(f"{key}.generated", f"one of {', '.join(m.GENERATED)}", "invalid")
        generated = None
    on_delete = spec.get("on_delete", "no_action")
    if not isinstance(on_delete, str) or on_delete not in m.ON_DELETE:
        reader.error(f"{key}.on_delete", f"one of {', '.join(m.ON_DELETE)}", "invalid")
        on_delete = "no_action"
    numbers: dict[str, Any] = {}
    for bound, kind in (
        ("min_length", int),
        ("max_length", int),
        ("minimum", (int, float)),
        ("maximum", (int, float)),
    ):
        if bound in spec and reader.typed(spec[bound], kind, f"{key}.{bound}"):
            numbers[bound] = spec[bound]
    choices = spec.get("choices", [])
    if not reader.typed(choices, list, f"{key}.choices"):
        choices = []
    default = spec.get("default")
    if isinstance(default, (dict, list)):
        reader.error(f"{key}.default", "a default is a scalar literal", "type-mismatch")
        default = None
    return m.Field(
        name=name,
        type=ftype,
        nullable=_bool(reader, spec, "nullable", key, False),
        primary_key=_bool(reader, spec, "primary_key", key, False),
        generated=generated,
        default=default,
        unique=_bool(reader, spec, "unique", key, False),
        choices=tuple(str(c) for c in choices),
        pattern=_str(reader, spec, "pattern", key),
        references=_str(reader, spec, "references", key),
        on_delete=on_delete,
        comment=_str(reader, spec, "comment", key) or "",
        **numbers,
    )


def _roles(reader: _Reader, data: Any, key: str) -> tuple[tuple[str, str], ...]:
    data = _table(reader, data, f"{key}.roles")
    reader.unknown_keys(data, set(m.ACTIONS), f"{key}.roles")
    roles = []
    for action in m.ACTIONS:
        tier = data.get(action)
        if tier is None:
            continue
        allowed = (*m.TIERS, "anon") if action == "read" else m.TIERS
        if tier not in allowed:
            reader.error(
                f"{key}.roles.{action}",
                f"unknown tier {tier!r}; one of {', '.join(allowed)}",
                "unknown-tier",
            )
            continue
        roles.append((action, tier))
    return tuple(roles)


def _indexes(reader: _Reader, data: Any, key: str) -> tuple[m.Index, ...]:
    if not reader.typed(data, list, f"{key}.indexes"):
        return ()
    found = []
    for i, spec in enumerate(data):
        ikey = f"{key}.indexes[{i}]"
        if not reader.typed(spec, dict, ikey):
            continue
        reader.unknown_keys(spec, {"fields", "unique"}, ikey)
        fields = _names(reader, spec.get("fields", []), f"{ikey}.fields")
        if fields:
            found.append(m.Index(fields, _bool(reader, spec, "unique", ikey, False)))
    return tuple(found)


def _list_hints(reader: _Reader, data: Any, key: str) -> m.ListHints:
    data = _table(reader, data, f"{key}.list")
    lkey = f"{key}.list"
    reader.unknown_keys(data, {"default_limit", "max_limit", "order", "search", "filter"}, lkey)
    limits = {
        k: data[k]
        for k in ("default_limit", "max_limit")
        if k in data and reader.typed(data[k], int, f"{lkey}.{k}")
    }
    return m.ListHints(
        order=_str(reader, data, "order", lkey),
        search=_names(reader, data.get("search", []), f"{lkey}.search"),
        filter=_names(reader, data.get("filter", []), f"{lkey}.filter"),
        **limits,
    )


def _view(reader: _Reader, name: str, body: Any) -> m.View | None:
    key = f"views.{name}"
    body = _table(reader, body, key)
    reader.unknown_keys(
        body, {"schema", "query", "over", "comment", "security_invoker", "read"}, key
    )
    query = _str(reader, body, "query", key)
    if not _ident(reader, name, key) or not query:
        if not query:
            reader.error(f"{key}.query", "a view needs a query", "missing")
        return None
    read = body.get("read")
    if read is not None and read not in (*m.TIERS, "anon"):
        reader.error(f"{key}.read", f"unknown tier {read!r}", "unknown-tier")
        read = None
    return m.View(
        name=name,
        schema=body.get("schema", reader.decl.schema),
        file=str(reader.decl.path),
        query=query.strip(),
        over=_names(reader, body.get("over", []), f"{key}.over"),
        comment=_str(reader, body, "comment", key) or "",
        security_invoker=_bool(reader, body, "security_invoker", key, True),
        read=read,
    )


# --- policies ------------------------------------------------------------------------------------


def _policies(reader: _Reader, data: Any, key: str) -> m.Policies:
    pkey = f"{key}.policies"
    data = _table(reader, data, pkey)
    reader.unknown_keys(data, POLICY_KEYS, pkey)
    trees = {
        a: parse_node(reader, data[a], f"{pkey}.{a}")
        for a in ("read", "update", "delete")
        if a in data
    }
    return m.Policies(
        admin_bypass=_bool(reader, data, "admin_bypass", pkey, True),
        create=_create_policy(reader, data.get("create", {}), f"{pkey}.create"),
        **trees,
    )


def _create_policy(reader: _Reader, data: Any, key: str) -> m.CreatePolicy:
    data = _table(reader, data, key)
    reader.unknown_keys(data, {"assign", "require"}, key)
    assign = []
    for column, raw in _table(reader, data.get("assign", {}), f"{key}.assign").items():
        source = parse_source(reader, raw, f"{key}.assign.{column}")
        if source and source.kind in ("row", "input"):
            reader.error(
                f"{key}.assign.{column}",
                "assign takes user.id, claim.<name> or a literal",
                "invalid-source",
            )
        elif source:
            assign.append((column, source))
    require = parse_node(reader, data["require"], f"{key}.require") if "require" in data else None
    return m.CreatePolicy(tuple(assign), require)


def parse_source(reader: _Reader, raw: Any, key: str) -> m.Source | None:
    if isinstance(raw, str):
        match = _SOURCE.match(raw.strip())
        if match and match["kind"] == "user":
            if match["name"] != "id":
                reader.error(
                    key,
                    f"unknown source {raw!r}; user.id is the only user source",
                    "invalid-source",
                )
                return None
            return m.Source("user_id")
        if match:
            return m.Source(match["kind"], match["name"])
    if isinstance(raw, (str, int, float, bool)):
        return m.Source("literal", value=raw)
    reader.error(
        key, f"expected a source or a scalar literal, got {type(raw).__name__}", "type-mismatch"
    )
    return None


def parse_node(reader: _Reader, raw: Any, key: str) -> m.Node | None:
    if isinstance(raw, str):
        return _string_leaf(reader, raw, key)
    if isinstance(raw, list):
        return _group(reader, raw, key, m.AllOf)
    if not isinstance(raw, dict):
        reader.error(key, f"expected a condition, got {type(raw).__name__}", "type-mismatch")
        return None
    if len(raw) == 1:
        ((kind, value),) = raw.items()
        if kind in ("all_of", "any_of"):
            return _group(reader, value, f"{key}.{kind}", m.AllOf if kind == "all_of" else m.AnyOf)
        if kind == "not":
            inner = parse_node(reader, value, f"{key}.not")
            return m.Not(inner, key) if inner else None
        if kind == "exists":
            return _exists(reader, value, f"{key}.exists")
        if kind == "tier_at_least":
            return _tier(reader, value, key)
        if kind == "has_perm":
            return m.HasPerm(value, key) if reader.typed(value, str, f"{key}.has_perm") else None
        if kind == "scoped_grant":
            return _scoped(reader, value, f"{key}.scoped_grant")
    return _object_leaf(reader, raw, key)


def _group(reader: _Reader, raw: Any, key: str, kind: type) -> m.Node | None:
    if not isinstance(raw, list) or not raw:
        reader.error(key, "expected a non-empty list of conditions", "type-mismatch")
        return None
    items = [parse_node(reader, item, f"{key}[{i}]") for i, item in enumerate(raw)]
    if any(item is None for item in items):
        return None
    return kind(tuple(items), key)


def _string_leaf(reader: _Reader, raw: str, key: str) -> m.Node | None:
    match = _LEAF.match(raw)
    if not match:
        reader.error(
            key,
            f"cannot read {raw!r}; write 'field = user.id', 'field = claim.x', "
            "'field is null' or use a table",
            "syntax",
        )
        return None
    if match["null"]:
        return m.IsNull(match["field"], "not" in match["null"].lower(), key)
    source = parse_source(reader, _unquote(match["rhs"]), key)
    return m.Compare(match["field"], source, key) if source else None


def _unquote(text: str) -> str | int | bool:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if text in ("true", "false"):
        return text == "true"
    return text


def _object_leaf(reader: _Reader, raw: dict[str, Any], key: str) -> m.Node | None:
    field = raw.get("field")
    if not isinstance(field, str):
        reader.error(
            key,
            "a condition needs 'field' (or all_of, any_of, not, exists, "
            "tier_at_least, has_perm, scoped_grant)",
            "syntax",
        )
        return None
    reader.unknown_keys(raw, {"field", "equals", "equals_field", "is_null", "is_not_null"}, key)
    if "equals_field" in raw:
        return m.Compare(field, m.Source("row", str(raw["equals_field"])), key)
    if "equals" in raw:
        source = parse_source(reader, raw["equals"], f"{key}.equals")
        return m.Compare(field, source, key) if source else None
    if raw.get("is_null") is True or raw.get("is_not_null") is False:
        return m.IsNull(field, False, key)
    if raw.get("is_not_null") is True or raw.get("is_null") is False:
        return m.IsNull(field, True, key)
    reader.error(
        key, "a field condition needs equals, equals_field, is_null or is_not_null", "syntax"
    )
    return None


def _exists(reader: _Reader, raw: Any, key: str) -> m.Node | None:
    if not reader.typed(raw, dict, key):
        return None
    reader.unknown_keys(raw, {"resource", "where", "visible"}, key)
    resource = raw.get("resource")
    visible = raw.get("visible", False)
    if not reader.typed(visible, bool, f"{key}.visible"):
        visible = False
    if not isinstance(resource, str):
        reader.error(f"{key}.resource", "exists needs the resource it looks into", "syntax")
        return None
    where = raw.get("where", [])
    node = _group(reader, where if isinstance(where, list) else [where], f"{key}.where", m.AllOf)
    return m.Exists(resource, node, key, visible) if isinstance(node, m.AllOf) else None


def _tier(reader: _Reader, value: Any, key: str) -> m.Node | None:
    if value not in m.TIERS:
        reader.error(f"{key}.tier_at_least", f"unknown tier {value!r}", "unknown-tier")
        return None
    return m.TierAtLeast(value, key)


def _scoped(reader: _Reader, raw: Any, key: str) -> m.Node | None:
    if not reader.typed(raw, dict, key):
        return None
    reader.unknown_keys(raw, {"permission", "scope", "field"}, key)
    parts = [raw.get(k) for k in ("permission", "scope", "field")]
    if not all(isinstance(p, str) and p for p in parts):
        reader.error(key, "scoped_grant needs permission, scope and field", "syntax")
        return None
    return m.ScopedGrant(parts[0], parts[1], parts[2], key)
