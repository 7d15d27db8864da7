"""What the admin knows about each resource: the policy declaration (fields, types, choices,
references, display, list hints) and its admin options, read once from `policies/*.toml`. One
source of truth: nothing here is a second copy of the schema."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from webui.core.paths import policies_dir
from webui.core.roles import TIERS
from webui.policies import admin_options, parser
from webui.policies import model as m
from webui.policies.admin_options import AdminOptions


@dataclass(frozen=True)
class AdminResource:
    resource: m.Resource
    options: AdminOptions

    @property
    def name(self) -> str:
        return self.resource.name

    @property
    def schema(self) -> str:
        return self.resource.schema

    @property
    def label(self) -> str:
        return self.resource.name.replace("_", " ").capitalize()

    @property
    def key(self) -> str:
        f = self.resource.key_field
        return f.name if f else "id"

    @property
    def display(self) -> str:
        return self.resource.display or self.key

    def field(self, name: str) -> m.Field | None:
        return self.resource.field(name)

    @property
    def form_fields(self) -> list[m.Field]:
        hidden = set(self.options.exclude)
        return [f for f in self.resource.fields if f.name not in hidden]

    def editable(self, f: m.Field) -> bool:
        return f.writable and f.name not in self.options.readonly_fields

    def fieldsets(self) -> list[tuple[str, list[m.Field]]]:
        fields = {f.name: f for f in self.form_fields}
        sets = [
            (s.title, [fields[n] for n in s.fields if n in fields]) for s in self.options.fieldsets
        ]
        placed = {f.name for _, fs in sets for f in fs}
        rest = [f for f in fields.values() if f.name not in placed]
        if rest:
            sets.append(("" if not sets else "Other", rest))
        return sets

    def codename(self, action: str) -> str:
        """The permission codename of `action` on this resource (`items.change`)."""
        return f"{self.name}.{m.PERM_VERBS[action]}"

    def may(self, tier: str, action: str) -> bool:
        """Whether the tier holds the resource's role for `action` (for showing buttons only:
        the database enforces)."""
        needed = self.resource.role(action)
        if needed is None:
            return False
        if needed == "anon":
            return True
        return tier in TIERS and needed in TIERS and TIERS.index(tier) >= TIERS.index(needed)


@dataclass(frozen=True)
class Registry:
    resources: dict[str, AdminResource]

    def get(self, name: str) -> AdminResource | None:
        return self.resources.get(name)

    def children(self, name: str) -> list[tuple[AdminResource, m.Field]]:
        """(child, its field referencing `name`) for every resource pointing at `name`."""
        found = []
        for child in self.resources.values():
            found += [(child, f) for f in child.resource.fields if f.references == name]
        return found

    @property
    def schemas(self) -> list[str]:
        return sorted({r.schema for r in self.resources.values()})


def load(directory: Path | None = None) -> Registry:
    decls = parser.load_dir(directory or policies_dir())
    found: dict[str, AdminResource] = {}
    for decl in decls:
        for r in decl.resources:
            options = admin_options.options_for(r, admin_options.raw_admin(decl, r.name))
            found.setdefault(r.name, AdminResource(r, options))
    return Registry(found)


REGISTRY = web.AppKey("admin_registry", Registry)
