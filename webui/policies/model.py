"""The declared model: resources, fields, row-policy trees, as read from `policies/*.toml`.

Everything here is plain, frozen data; the parser builds it, the checker judges it and the
compiler turns it into SQL text. Nothing here talks to a database.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from webui.core.roles import TIERS as TIERS  # re-exported: the policies package reads m.TIERS

ACTIONS = ("read", "create", "update", "delete")
PERM_VERBS = {"read": "view", "create": "add", "update": "change", "delete": "delete"}
TYPES = ("text", "integer", "bigint", "numeric", "boolean", "date", "timestamptz", "uuid", "jsonb")
ON_DELETE = {
    "cascade": "cascade",
    "restrict": "restrict",
    "set_null": "set null",
    "no_action": "no action",
}
GENERATED = ("identity", "created_at", "updated_at")


@dataclass(frozen=True)
class Issue:
    """One finding of the parser or the checker: where it is and what is wrong."""

    level: str  # "error" | "warning"
    code: str
    file: str
    resource: str
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: resource {self.resource!r}" if self.resource else self.file
        key = f", key {self.key}" if self.key else ""
        return f"{self.level}: {where}{key}: {self.message} [{self.code}]"


# --- policy trees ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """The right-hand side of a comparison: user.id, claim.<name>, row.<f>, input.<f>, literal."""

    kind: str  # "user_id" | "claim" | "row" | "input" | "literal"
    name: str = ""
    value: str | int | float | bool | None = None

    def describe(self) -> str:
        if self.kind == "user_id":
            return "user.id"
        if self.kind in ("claim", "row", "input"):
            return f"{self.kind}.{self.name}"
        if isinstance(self.value, bool):
            return "true" if self.value else "false"
        return repr(self.value)


@dataclass(frozen=True)
class Compare:
    field: str
    source: Source
    key: str


@dataclass(frozen=True)
class IsNull:
    field: str
    negated: bool
    key: str


@dataclass(frozen=True)
class AllOf:
    items: tuple[Node, ...]
    key: str


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Node, ...]
    key: str


@dataclass(frozen=True)
class Not:
    item: Node
    key: str


@dataclass(frozen=True)
class Exists:
    """A matching row of `resource` exists. Compiled to a SECURITY DEFINER helper that reads the
    row whatever the caller may see (VSR's semantics); `visible = true` reads it inline, under the
    caller's own row-level security instead (only rows the caller can read count)."""

    resource: str
    where: AllOf
    key: str
    visible: bool = False


@dataclass(frozen=True)
class TierAtLeast:
    tier: str
    key: str


@dataclass(frozen=True)
class HasPerm:
    codename: str
    key: str


@dataclass(frozen=True)
class ScopedGrant:
    """A runtime scoped grant of `permission` on `scope` = the row's `field` (sql/authz)."""

    permission: str
    scope: str
    field: str
    key: str


Node = Compare | IsNull | AllOf | AnyOf | Not | Exists | TierAtLeast | HasPerm | ScopedGrant


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-conditions of a node (an exists' `where` included)."""
    if isinstance(node, (AllOf, AnyOf)):
        return node.items
    if isinstance(node, Not):
        return (node.item,)
    if isinstance(node, Exists):
        return (node.where,)
    return ()


def walk(node: Node, into_exists: bool = True) -> Iterator[Node]:
    """Every node of a tree, parents first (the one tree walker of the policies package);
    `into_exists=False` stops at an exists, whose conditions belong to another resource."""
    yield node
    if isinstance(node, Exists) and not into_exists:
        return
    for child in children(node):
        yield from walk(child, into_exists)


@dataclass(frozen=True)
class CreatePolicy:
    assign: tuple[tuple[str, Source], ...] = ()
    require: Node | None = None


@dataclass(frozen=True)
class Policies:
    admin_bypass: bool = True
    read: Node | None = None
    update: Node | None = None
    delete: Node | None = None
    create: CreatePolicy = field(default_factory=CreatePolicy)

    def filter(self, action: str) -> Node | None:
        return self.create.require if action == "create" else getattr(self, action)


# --- resources ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    nullable: bool = False
    primary_key: bool = False
    generated: str | None = None
    default: str | int | float | bool | None = None
    unique: bool = False
    choices: tuple[str, ...] = ()
    min_length: int | None = None
    max_length: int | None = None
    minimum: int | float | None = None
    maximum: int | float | None = None
    pattern: str | None = None
    references: str | None = None  # resource name
    on_delete: str = "no_action"
    comment: str = ""

    @property
    def writable(self) -> bool:
        return not self.primary_key and self.generated is None


@dataclass(frozen=True)
class Index:
    fields: tuple[str, ...]
    unique: bool = False


@dataclass(frozen=True)
class ListHints:
    default_limit: int | None = None
    max_limit: int | None = None
    order: str | None = None
    search: tuple[str, ...] = ()
    filter: tuple[str, ...] = ()


@dataclass(frozen=True)
class Resource:
    name: str
    schema: str
    table: str
    file: str
    comment: str = ""
    adopt: bool = False
    audit: bool = True
    audit_redact: tuple[str, ...] = ()
    display: str | None = None
    fields: tuple[Field, ...] = ()
    roles: tuple[tuple[str, str], ...] = ()  # (action, tier or "anon")
    group_permissions: bool = False
    policies: Policies = field(default_factory=Policies)
    indexes: tuple[Index, ...] = ()
    list: ListHints = field(default_factory=ListHints)

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.table}"

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def role(self, action: str) -> str | None:
        return dict(self.roles).get(action)

    @property
    def key_field(self) -> Field | None:
        return next((f for f in self.fields if f.primary_key), None)


@dataclass(frozen=True)
class View:
    name: str
    schema: str
    file: str
    query: str
    over: tuple[str, ...]
    comment: str = ""
    security_invoker: bool = True
    read: str | None = None  # tier


# --- authorization: scopes, permissions, templates (VSR's `authorization` block) --------------


@dataclass(frozen=True)
class AuthScope:
    """A kind of scope a runtime grant is given on (family, household), optionally inside a
    parent scope."""

    name: str
    parent: str | None = None
    description: str = ""


@dataclass(frozen=True)
class Permission:
    """A permission a runtime grant (or a template) gives: these actions on these resources, at
    these scopes. Policies ask for it with `scoped_grant`."""

    name: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    scopes: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class Template:
    """A named set of permissions granted at once, at one scope (authz.templates)."""

    name: str
    permissions: tuple[str, ...]
    scope: str
    description: str = ""


@dataclass(frozen=True)
class Authorization:
    scopes: tuple[AuthScope, ...] = ()
    permissions: tuple[Permission, ...] = ()
    templates: tuple[Template, ...] = ()

    def permission(self, name: str) -> Permission | None:
        return next((p for p in self.permissions if p.name == name), None)

    def scope(self, name: str) -> AuthScope | None:
        return next((s for s in self.scopes if s.name == name), None)


@dataclass
class Declarations:
    """All resources and views of one policy file (one compiled change)."""

    path: Path
    schema: str
    claims: tuple[str, ...] | None = None
    comment: str = ""
    migrations: str | None = None  # its own sqitch project (relative to the project folder)
    source_text: str = ""  # the TOML as read, embedded in compiled changes
    resources: list[Resource] = field(default_factory=list)
    views: list[View] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    authorization: Authorization | None = None

    @property
    def stem(self) -> str:
        return self.path.stem

    def resource(self, name: str) -> Resource | None:
        return next((r for r in self.resources if r.name == name), None)
