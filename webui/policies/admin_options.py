"""Admin options: `[resources.X.admin]` beside each resource in `policies/*.toml`.

Django's `ModelAdmin` attributes, declared in TOML. Every option has a default computed from the
resource itself (its `display`, `list` hints and fields), so a resource without an `admin` table
still gets full pages. `check(decls)` reports unknown keys, unknown fields and bad values with the
file, the line and a fix; the policy checker calls it, so `pgwarden policies check --strict`
fails on them. Nothing here touches a database; the compiler ignores admin options (they change
no SQL).
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

from webui.policies import model as m

PER_PAGE_CHOICES = (25, 50, 100, 200)
DEFAULT_COUNT_THRESHOLD = 1_000
KEYS = {
    "list_display",
    "list_filter",
    "search_fields",
    "ordering",
    "list_per_page",
    "readonly_fields",
    "fieldsets",
    "exclude",
    "inlines",
    "masked_fields",
    "bulk_actions",
    "count_threshold",
}
ACTION_KEYS = {"name", "label", "destructive", "confirm"}
FIELDSET_KEYS = {"title", "fields"}
_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_FIELD_LISTS = ("list_display", "list_filter", "search_fields", "readonly_fields", "exclude")


@dataclass(frozen=True)
class BulkAction:
    """A SQL function called through RPC with the selected ids; returns
    `{succeeded, failed: [{id, reason}], message}`."""

    name: str
    label: str
    destructive: bool = False
    confirm: str = ""


@dataclass(frozen=True)
class Fieldset:
    title: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class AdminOptions:
    list_display: tuple[str, ...]
    list_filter: tuple[str, ...]
    search_fields: tuple[str, ...]
    ordering: tuple[str, ...]
    list_per_page: int
    readonly_fields: tuple[str, ...]
    fieldsets: tuple[Fieldset, ...]
    exclude: tuple[str, ...]
    inlines: tuple[str, ...]
    masked_fields: tuple[str, ...]
    bulk_actions: tuple[BulkAction, ...]
    count_threshold: int = DEFAULT_COUNT_THRESHOLD
    declared: frozenset[str] = field(default_factory=frozenset)


def raw_admin(decl: m.Declarations, resource: str) -> dict[str, Any]:
    """The `[resources.<resource>.admin]` table as written (empty when absent or unreadable)."""
    try:
        data = tomllib.loads(decl.source_text) if decl.source_text else {}
    except tomllib.TOMLDecodeError:
        return {}
    body = data.get("resources", {}).get(resource, {})
    admin = body.get("admin", {}) if isinstance(body, dict) else {}
    return admin if isinstance(admin, dict) else {}


def _names(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str))
    return ()


def _default_display(r: m.Resource, exclude: tuple[str, ...]) -> tuple[str, ...]:
    names = [f.name for f in r.fields if f.name not in exclude]
    key = r.key_field.name if r.key_field else None
    if r.display and r.display in names:
        rest = [n for n in names if n not in (r.display, key)]
        return (r.display, *rest[:5])
    return tuple(names[:6])


def options_for(r: m.Resource, raw: dict[str, Any]) -> AdminOptions:
    """The resource's options: what is declared, and a default for everything else."""
    exclude = _names(raw.get("exclude"))
    key = r.key_field.name if r.key_field else "id"
    ordering = _names(raw.get("ordering")) or ((r.list.order,) if r.list.order else (key,))
    per_page = raw.get("list_per_page", r.list.default_limit or 25)
    if per_page not in PER_PAGE_CHOICES:
        per_page = 25
    return AdminOptions(
        list_display=_names(raw.get("list_display")) or _default_display(r, exclude),
        list_filter=_names(raw.get("list_filter")) or r.list.filter,
        search_fields=_names(raw.get("search_fields")) or r.list.search,
        ordering=ordering,
        list_per_page=int(per_page),
        readonly_fields=_names(raw.get("readonly_fields")),
        fieldsets=tuple(
            Fieldset(str(s.get("title", "")), _names(s.get("fields")))
            for s in raw.get("fieldsets", [])
            if isinstance(s, dict)
        ),
        exclude=exclude,
        inlines=_names(raw.get("inlines")),
        masked_fields=_names(raw.get("masked_fields")),
        bulk_actions=tuple(
            BulkAction(
                a["name"],
                str(a.get("label", a["name"])),
                bool(a.get("destructive")),
                a.get("confirm", ""),
            )
            for a in raw.get("bulk_actions", [])
            if isinstance(a, dict) and isinstance(a.get("name"), str)
        ),
        count_threshold=int(raw.get("count_threshold", DEFAULT_COUNT_THRESHOLD)),
        declared=frozenset(raw),
    )


# --- the checks ---------------------------------------------------------------------------------


def line_of(text: str, resource: str, key: str = "") -> int:
    """The line of `key` inside the resource's admin table (or of the table itself); 0 unknown."""
    lines = text.splitlines()
    header = re.compile(rf"^\s*\[\[?\s*resources\.{re.escape(resource)}\.admin(\.|\s*\])")
    inline = re.compile(r"^\s*admin\s*=")
    section = re.compile(rf"^\s*\[\s*resources\.{re.escape(resource)}\s*\]")
    start = 0
    for number, line in enumerate(lines, 1):
        if header.match(line) or (
            start == 0 and inline.match(line) and _in(lines, number, section)
        ):
            start = number
            break
    if not start:
        return 0
    wanted = re.compile(rf"(^|[\s{{,]){re.escape(key)}\s*=") if key else None
    for number in range(start, len(lines) + 1):
        line = lines[number - 1]
        if number > start and line.lstrip().startswith("[") and not header.match(line):
            break
        if wanted is None or wanted.search(line):
            return number
    return start


def _in(lines: list[str], number: int, section: re.Pattern[str]) -> bool:
    """Is line `number` inside the `[resources.X]` section?"""
    for line in reversed(lines[: number - 1]):
        if line.lstrip().startswith("["):
            return bool(section.match(line))
    return False


class _Checker:
    def __init__(self, decl: m.Declarations, r: m.Resource, catalog: dict[str, m.Resource]) -> None:
        self.decl, self.r, self.catalog = decl, r, catalog
        self.issues: list[m.Issue] = []

    def add(self, code: str, key: str, message: str, fix: str) -> None:
        line = line_of(self.decl.source_text, self.r.name, key.split(".")[0])
        where = f"{self.decl.path}:{line}" if line else str(self.decl.path)
        text = f"{message}; fix: {fix}"
        self.issues.append(m.Issue("error", code, where, self.r.name, f"admin.{key}", text))

    def fields(self, names: tuple[str, ...]) -> list[str]:
        return [f.name for f in self.r.fields] if not names else list(names)

    def unknown_key(self, name: str, allowed: set[str], where: str) -> None:
        close = difflib.get_close_matches(name, sorted(allowed), n=1)
        fix = f"did you mean {close[0]!r}?" if close else f"use one of {', '.join(sorted(allowed))}"
        self.add("admin-unknown-key", where, f"unknown admin option {name!r}", fix)

    def field_name(self, value: Any, key: str, allow_minus: bool = False) -> None:
        known = [f.name for f in self.r.fields]
        name = (
            value[1:] if allow_minus and isinstance(value, str) and value.startswith("-") else value
        )
        if not isinstance(name, str) or name not in known:
            close = difflib.get_close_matches(str(name), known, n=1)
            fix = f"did you mean {close[0]!r}?" if close else f"fields are {', '.join(known)}"
            self.add("admin-unknown-field", key, f"{value!r} is not a field of {self.r.name}", fix)

    def field_list(self, raw: dict[str, Any], name: str, allow_minus: bool = False) -> None:
        value = raw[name]
        if not isinstance(value, list):
            self.add(
                "admin-bad-value",
                name,
                f"expected a list of field names, got {value!r}",
                f'write {name} = ["{self.r.fields[0].name if self.r.fields else "id"}"]',
            )
            return
        for item in value:
            self.field_name(item, name, allow_minus)

    def run(self, raw: Any) -> list[m.Issue]:
        if not isinstance(raw, dict):
            self.add(
                "admin-bad-value", "", "expected a table", f"write [resources.{self.r.name}.admin]"
            )
            return self.issues
        for name in sorted(set(raw) - KEYS):
            self.unknown_key(name, KEYS, name)
        for name in _FIELD_LISTS:
            if name in raw:
                self.field_list(raw, name)
        if "ordering" in raw:
            self.field_list(raw, "ordering", allow_minus=True)
        self.masked(raw)
        self.per_page(raw)
        self.threshold(raw)
        self.filters(raw)
        self.fieldsets(raw)
        self.inlines(raw)
        self.actions(raw)
        return self.issues

    def masked(self, raw: dict[str, Any]) -> None:
        if "masked_fields" not in raw:
            return
        self.field_list(raw, "masked_fields")
        for name in _names(raw["masked_fields"]):
            f = self.r.field(name)
            if f is not None and f.type != "text":
                self.add(
                    "admin-bad-value",
                    "masked_fields",
                    f"{name!r} is {f.type}, not text",
                    "mask only text fields",
                )

    def per_page(self, raw: dict[str, Any]) -> None:
        value = raw.get("list_per_page", 25)
        if isinstance(value, bool) or value not in PER_PAGE_CHOICES:
            choices = ", ".join(map(str, PER_PAGE_CHOICES))
            self.add(
                "admin-bad-value",
                "list_per_page",
                f"{value!r} is not a page size",
                f"use one of {choices}",
            )

    def threshold(self, raw: dict[str, Any]) -> None:
        value = raw.get("count_threshold", DEFAULT_COUNT_THRESHOLD)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.add(
                "admin-bad-value",
                "count_threshold",
                f"{value!r} is not a row count",
                f"a non-negative integer (default {DEFAULT_COUNT_THRESHOLD})",
            )

    def filters(self, raw: dict[str, Any]) -> None:
        for name in _names(raw.get("list_filter")):
            f = self.r.field(name)
            if f is None:
                continue
            if not (f.type in ("boolean", "date", "timestamptz") or f.choices or f.references):
                self.add(
                    "admin-bad-value",
                    "list_filter",
                    f"{name!r} ({f.type}) cannot be a filter",
                    "filter on booleans, choices, references or dates",
                )

    def fieldsets(self, raw: dict[str, Any]) -> None:
        sets = raw.get("fieldsets", [])
        if not isinstance(sets, list):
            self.add(
                "admin-bad-value",
                "fieldsets",
                "expected an array of tables",
                '[[resources.X.admin.fieldsets]] with title = "…", fields = [...]',
            )
            return
        for entry in sets:
            if not isinstance(entry, dict):
                self.add(
                    "admin-bad-value",
                    "fieldsets",
                    f"{entry!r} is not a table",
                    'write { title = "…", fields = [...] }',
                )
                continue
            for name in sorted(set(entry) - FIELDSET_KEYS):
                self.unknown_key(name, FIELDSET_KEYS, "fieldsets")
            for item in entry.get("fields", []) if isinstance(entry.get("fields"), list) else []:
                self.field_name(item, "fieldsets")

    def inlines(self, raw: dict[str, Any]) -> None:
        for name in _names(raw.get("inlines")):
            child = self.catalog.get(name)
            if child is None:
                self.add(
                    "admin-unknown-field",
                    "inlines",
                    f"{name!r} is not a resource",
                    f"resources are {', '.join(sorted(self.catalog))}",
                )
            elif not any(f.references == self.r.name for f in child.fields):
                self.add(
                    "admin-bad-value",
                    "inlines",
                    f"{name!r} has no field referencing {self.r.name}",
                    f"add references = {self.r.name!r} to a field of {name}",
                )

    def actions(self, raw: dict[str, Any]) -> None:
        actions = raw.get("bulk_actions", [])
        if not isinstance(actions, list):
            self.add(
                "admin-bad-value",
                "bulk_actions",
                "expected an array of tables",
                '[[resources.X.admin.bulk_actions]] with name = "sql_function"',
            )
            return
        for action in actions:
            if not isinstance(action, dict) or not _IDENT.match(str(action.get("name", ""))):
                self.add(
                    "admin-bad-value",
                    "bulk_actions",
                    f"{action!r} needs a name",
                    'name = "<a SQL function of the schema taking ids bigint[]>"',
                )
                continue
            for name in sorted(set(action) - ACTION_KEYS):
                self.unknown_key(name, ACTION_KEYS, "bulk_actions")
            if "destructive" in action and not isinstance(action["destructive"], bool):
                self.add(
                    "admin-bad-value",
                    "bulk_actions",
                    "destructive must be true or false",
                    "destructive = true",
                )


def check(decls: list[m.Declarations]) -> list[m.Issue]:
    """Every problem of every admin table, with its file and line and a fix."""
    catalog = {r.name: r for d in decls for r in d.resources}
    issues: list[m.Issue] = []
    for decl in decls:
        for r in decl.resources:
            raw = _raw_or_none(decl, r.name)
            if raw is not None:
                issues += _Checker(decl, r, catalog).run(raw)
    return issues


def _raw_or_none(decl: m.Declarations, resource: str) -> Any:
    try:
        data = tomllib.loads(decl.source_text) if decl.source_text else {}
    except tomllib.TOMLDecodeError:
        return None
    body = data.get("resources", {}).get(resource, {})
    return body.get("admin") if isinstance(body, dict) else None


def without_admin(text: str) -> dict[str, Any] | None:
    """The declarations with every admin table removed: what the compiler depends on."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None
    for body in data.get("resources", {}).values():
        if isinstance(body, dict):
            body.pop("admin", None)
    return data
