"""A sqitch plan read as sqitch 1.x reads it: pragmas, changes, tags, reworks, and the ids.

The ids are what sqitch stores in its registry (`sqitch.changes.change_id`, `sqitch.tags.tag_id`):
the SHA-1 of a small text that names the project, its URI, the change, its parent (the change
before it in the plan), its planner, its date, its dependencies and its note. Matching them
exactly is what lets stock `sqitch` and `pgwarden migrate` share one registry
(`tests_py/test_sqitch_registry.py::test_change_and_tag_ids_equal_sqitchs`).

A reworked change (`sqitch rework`) appears twice in the plan, with a tag in between; the older
instance's scripts are `deploy/<name>@<tag>.sql` (and `revert/`, `verify/`), the newest keeps
`deploy/<name>.sql`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

_PUNCT = re.escape("-!\"#$%&'()*+,./:;<=>?@[\\]^`{|}~")
NAME = rf"(?![{_PUNCT}])(?:(?![~/=%^]\d+(?:$|[ \t]))[^\s:@#\\])+(?<![{_PUNCT}])\b"
_TS = r"(?P<ts>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)"
_PLANNER = r"(?P<planner_name>[^<]+)[ \t]+<(?P<planner_email>[^>]+)>"
_LINE = re.compile(
    rf"^[ \t]*(?P<tag>@)?(?:[ \t]*(?P<op>[+-])[ \t]*)?(?P<name>{NAME})[ \t]*"
    rf"(?:\[(?P<deps>[^\]]+)\][ \t]*)?(?:{_TS}[ \t]*)?(?:{_PLANNER})?$"
)
_NOTE = re.compile(r"(?P<rspace>[ \t]*)(?:#[ \t]*(?P<note>.*))?$")
_DEPEND = re.compile(
    rf"^(?P<conflict>!?)(?:(?P<project>{NAME}):)?"
    rf"(?:(?P<id>[0-9a-f]{{40}})|(?P<change>{NAME})(?:@(?P<ctag>{NAME}))?|@(?P<tag>{NAME}))$"
)


class PlanError(ValueError):
    """The plan cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class Depend:
    """One entry of a change's `[...]` list, as sqitch's `App::Sqitch::Plan::Depend`."""

    conflict: bool
    project: str | None  # None: this plan's project
    change: str | None
    tag: str | None
    id: str | None

    @property
    def key(self) -> str:
        if self.change or self.tag:
            return (self.change or "") + (f"@{self.tag}" if self.tag else "")
        return self.id or ""

    def as_string(self, plan_project: str) -> str:
        """The form sqitch logs: `name`, `name@tag`, or `project:name` for another project."""
        if self.project is None or self.project == plan_project:
            return self.key
        return f"{self.project}:{self.key}"

    @property
    def type(self) -> str:
        return "conflict" if self.conflict else "require"


@dataclass
class Tag:
    name: str  # with its @
    timestamp: str
    planner_name: str
    planner_email: str
    note: str
    change: Change = field(repr=False)
    id: str = ""


@dataclass
class Change:
    name: str
    requires: list[Depend]
    conflicts: list[Depend]
    timestamp: str
    planner_name: str
    planner_email: str
    note: str
    plan: Plan = field(repr=False)
    parent: Change | None = field(default=None, repr=False)
    tags: list[Tag] = field(default_factory=list)
    rework_tags: list[Tag] = field(default_factory=list)
    id: str = ""

    @property
    def project(self) -> str:
        return self.plan.project

    @property
    def top(self) -> Path:
        return self.plan.top

    @property
    def format_name_with_tags(self) -> str:
        return " ".join([self.name, *(tag.name for tag in self.tags)])

    def file_name(self) -> str:
        """`name.sql`, or for an older instance of a reworked change `name@tag.sql`: the first of
        its rework tags with a deploy script, as sqitch picks it."""
        if not self.rework_tags:
            return f"{self.name}.sql"
        names = [f"{self.name}{tag.name}.sql" for tag in self.rework_tags]
        for candidate in names:
            if (self.top / "deploy" / candidate).is_file():
                return candidate
        return names[0]

    def script(self, kind: str) -> Path:
        return self.top / kind / self.file_name()

    def script_hash(self) -> str | None:
        """SHA-1 of the deploy script's bytes (`sqitch.changes.script_hash`)."""
        path = self.script("deploy")
        return (
            hashlib.sha1(path.read_bytes(), usedforsecurity=False).hexdigest()
            if path.is_file()
            else None
        )

    def dependencies(self) -> list[Depend]:
        return [*self.requires, *self.conflicts]


@dataclass
class Plan:
    project: str
    uri: str | None
    top: Path
    changes: list[Change] = field(default_factory=list)

    def index_of(self, key: str) -> int:
        """The index of `name`, `name@tag`, `@tag`, `@HEAD` or a change id, as sqitch finds it."""
        change, _, tag = key.partition("@")
        if re.fullmatch(r"[0-9a-f]{40}", key):
            hits = [i for i, c in enumerate(self.changes) if c.id == key]
        elif not change:
            return self._tag_index(tag)
        else:
            hits = [i for i, c in enumerate(self.changes) if c.name == change]
            if tag and hits:
                bound = self._tag_index(tag)
                hits = [max(i for i in hits if i <= bound)] if min(hits) <= bound else []
            elif len(hits) > 1:
                raise PlanError(f'change "{key}" is reworked: name it with a tag ("{key}@TAG")')
        if not hits:
            raise PlanError(f"unknown change {key!r} in {self.top / 'sqitch.plan'}")
        return hits[0]

    def find(self, key: str) -> Change:
        """The change a dependency names: `name@tag` as of the tag, a bare name its first
        instance (sqitch's `find`, which unlike `index_of` does not refuse a reworked name)."""
        if "@" in key or re.fullmatch(r"[0-9a-f]{40}", key):
            return self.changes[self.index_of(key)]
        for change in self.changes:
            if change.name == key:
                return change
        raise PlanError(f"unknown change {key!r} in {self.top / 'sqitch.plan'}")

    def _tag_index(self, tag: str) -> int:
        if tag == "HEAD":
            return len(self.changes) - 1
        for index, change in enumerate(self.changes):
            if any(t.name == f"@{tag}" for t in change.tags):
                return index
        raise PlanError(f'unknown tag "@{tag}" in {self.top / "sqitch.plan"}')

    def by_id(self) -> dict[str, Change]:
        return {change.id: change for change in self.changes}


def _sha1(kind: str, info: str) -> str:
    content = info.encode()
    return hashlib.sha1(
        f"{kind} {len(content)}\0".encode() + content, usedforsecurity=False
    ).hexdigest()


def _change_id(change: Change) -> str:
    project = change.project
    requires = "\n  + ".join(d.as_string(project) for d in change.requires)
    conflicts = "\n  - ".join(d.as_string(project) for d in change.conflicts)
    lines = [f"project {project}"]
    lines += [f"uri {change.plan.uri}"] if change.plan.uri else []
    lines += [f"change {change.name}"]
    lines += [f"parent {change.parent.id}"] if change.parent else []
    lines += [f"planner {change.planner_name} <{change.planner_email}>"]
    lines += [f"date {change.timestamp}"]
    lines += [f"requires\n  + {requires}"] if requires else []
    lines += [f"conflicts\n  - {conflicts}"] if conflicts else []
    lines += ["", change.note] if change.note else []
    return _sha1("change", "\n".join(lines))


def _tag_id(tag: Tag) -> str:
    plan = tag.change.plan
    lines = [f"project {plan.project}"]
    lines += [f"uri {plan.uri}"] if plan.uri else []
    lines += [f"tag {tag.name}", f"change {tag.change.id}"]
    lines += [f"planner {tag.planner_name} <{tag.planner_email}>", f"date {tag.timestamp}"]
    lines += ["", tag.note] if tag.note else []
    return _sha1("tag", "\n".join(lines))


def _depend(text: str, where: str) -> Depend:
    match = _DEPEND.match(text)
    if not match:
        raise PlanError(f'{where}: "{text}" is not a valid dependency specification')
    return Depend(
        conflict=bool(match["conflict"]),
        project=match["project"],
        change=match["change"],
        tag=match["ctag"] or match["tag"],
        id=match["id"],
    )


_PRAGMA = re.compile(r"^[ \t]*%[ \t]*(?P<key>[^\s=]+)[ \t]*=[ \t]*(?P<value>[^#]*?)[ \t]*(#.*)?$")


def _pragmas(lines: list[str], path: Path) -> tuple[dict[str, str], int]:
    """The `%key=value` lines at the top, and the index of the first line after them."""
    pragmas: dict[str, str] = {}
    start = 0
    while start < len(lines) and (match := _PRAGMA.match(lines[start])):
        pragmas[match["key"]] = match["value"]
        start += 1
    if "project" not in pragmas:
        raise PlanError(f"{path}: missing %project pragma")
    return pragmas, start


def read(top: Path) -> Plan:
    """Parse `top/sqitch.plan`; ids, parents, tags and reworks as sqitch computes them."""
    path = top / "sqitch.plan"
    lines = path.read_text(encoding="utf-8").splitlines()
    pragmas, start = _pragmas(lines, path)
    plan = Plan(pragmas["project"], pragmas.get("uri") or None, top)
    latest: dict[str, Change] = {}
    for number, raw in enumerate(lines[start:], start=start + 1):
        if re.match(r"^[ \t]*(?:#|$)", raw):
            continue
        where = f"{path} line {number}"
        note_match = _NOTE.search(raw)
        assert note_match is not None
        body, note = raw[: note_match.start()], (note_match["note"] or "")
        match = _LINE.match(body)
        if not match or not match["ts"] or not match["planner_name"]:
            raise PlanError(f"{where}: cannot parse {raw!r} (name, timestamp and planner needed)")
        if match["tag"]:
            _add_tag(plan, match, note, where)
        else:
            _add_change(plan, latest, match, note, where)
    return plan


def _add_tag(plan: Plan, match: re.Match[str], note: str, where: str) -> None:
    if not plan.changes:
        raise PlanError(f"{where}: a tag needs a change before it")
    change = plan.changes[-1]
    tag = Tag(
        f"@{match['name']}",
        match["ts"],
        match["planner_name"],
        match["planner_email"],
        note,
        change,
    )
    tag.id = _tag_id(tag)
    change.tags.append(tag)


def _add_change(
    plan: Plan, latest: dict[str, Change], match: re.Match[str], note: str, where: str
) -> None:
    deps = [_depend(text, where) for text in (match["deps"] or "").split()]
    change = Change(
        name=match["name"],
        requires=[d for d in deps if not d.conflict],
        conflicts=[d for d in deps if d.conflict],
        timestamp=match["ts"],
        planner_name=match["planner_name"],
        planner_email=match["planner_email"],
        note=note,
        plan=plan,
        parent=plan.changes[-1] if plan.changes else None,
    )
    earlier = latest.get(change.name)
    if earlier:
        since = plan.changes[plan.changes.index(earlier) :]
        if not any(c.tags for c in since):
            raise PlanError(f'{where}: change "{change.name}" reworked without a tag in between')
        later = plan.changes[plan.changes.index(earlier) + 1 :]
        earlier.rework_tags += [t for c in reversed(later) for t in c.tags] + earlier.tags
    change.id = _change_id(change)
    plan.changes.append(change)
    latest[change.name] = change
