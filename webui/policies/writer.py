"""Write compiled changes into a sqitch project: scripts plus one plan line, only when the text
differs (re-compiling unchanged declarations writes nothing)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from webui.core.paths import migrations_dir
from webui.ops.migrations import read_plan
from webui.policies import admin_options, checker, compiler, followup, parser
from webui.policies import model as m

PLANNER = "pgwarden policies compile <dev@pgwarden.local>"
KINDS = ("deploy", "revert", "verify")


@dataclass(frozen=True)
class Outcome:
    name: str
    state: str  # "unchanged" | "created" | "rewritten"
    missing_requires: tuple[str, ...] = ()


def load(directory: Path) -> tuple[list[m.Declarations], list[m.Issue]]:
    decls = parser.load_dir(directory)
    return decls, checker.check(decls)


def catalog(decls: list[m.Declarations]) -> dict[str, m.Resource]:
    found: dict[str, m.Resource] = {}
    for decl in decls:
        for r in decl.resources:
            found.setdefault(r.name, r)
    return found


def display_path(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return path.name


def target(decl: m.Declarations, root: Path, override: Path | None = None) -> Path:
    """The sqitch project a file compiles into: --migrations, else its settings.migrations
    (relative to the project folder), else the framework's migrations/."""
    if override:
        return override
    if decl.migrations:
        return root / decl.migrations
    return root / "migrations"


def plan_project(top: Path) -> str:
    plan = top / "sqitch.plan"
    if plan.is_file():
        for line in plan.read_text().splitlines():
            if line.startswith("%project="):
                return line.partition("=")[2].strip()
    return "pgwarden"


def compile_all(
    decls: list[m.Declarations],
    root: Path,
    override: Path | None = None,
    rewrite: bool = False,
) -> list[tuple[compiler.Compiled, Path]]:
    """The change to write for each file: its first change, or a follow-up change when its
    declarations differ from those embedded in the latest change of the plan (unless
    `rewrite`, which recompiles the first change in place)."""
    everything = catalog(decls)
    found = []
    for d in decls:
        top = target(d, root, override)
        source, project = display_path(d.path, root), plan_project(top)
        full = compiler.compile_decl(d, everything, source, project)
        found.append((_next_change(d, full, everything, top, source, project, rewrite), top))
    return found


def _versions(top: Path, base: str) -> list[tuple[int, str]]:
    pattern = re.compile(rf"^{re.escape(base)}(?:_(\d+))?$")
    found = []
    for change in read_plan(top) if (top / "sqitch.plan").is_file() else []:
        match = pattern.match(change.name)
        if match:
            found.append((int(match[1] or 1), change.name))
    return sorted(found)


def _same_declarations(a: str, b: str) -> bool:
    try:
        return tomllib.loads(a) == tomllib.loads(b)
    except tomllib.TOMLDecodeError:
        return False


def _next_change(
    d: m.Declarations,
    full: compiler.Compiled,
    everything: dict[str, m.Resource],
    top: Path,
    source: str,
    project: str,
    rewrite: bool,
) -> compiler.Compiled:
    versions = _versions(top, full.name)
    if not versions or rewrite:
        return full
    number, latest = versions[-1]
    script = top / "deploy" / f"{latest}.sql"
    before = compiler.embedded(script.read_text()) if script.is_file() else None
    if before is None or _same_declarations(before, d.source_text):
        return full if number == 1 else _unchanged(top, latest)
    if admin_options.without_admin(before) == admin_options.without_admin(d.source_text):
        return _unchanged(top, latest)  # admin options change no SQL
    old = parser.load_data(tomllib.loads(before), m.Declarations(path=d.path, schema="public"))
    return followup.compile_follow_up(old, d, everything, source, project, latest, number + 1)


def _unchanged(top: Path, name: str) -> compiler.Compiled:
    """A follow-up change as it stands on disk (nothing to write)."""
    texts = {k: (top / k / f"{name}.sql").read_text() for k in KINDS}
    planned = {c.name: c for c in read_plan(top)}[name]
    return compiler.Compiled(name, planned.requires, planned.note, **texts)


def write(change: compiler.Compiled, top: Path, dry_run: bool = False) -> Outcome:
    texts = {"deploy": change.deploy, "revert": change.revert, "verify": change.verify}
    paths = {kind: top / kind / f"{change.name}.sql" for kind in KINDS}
    planned = {c.name: c for c in read_plan(top)}
    plan = set(planned)
    same = all(p.is_file() and p.read_text() == texts[k] for k, p in paths.items())
    framework = {c.name for c in read_plan(migrations_dir())}
    missing = tuple(
        r
        for r in change.requires
        if (
            r.removeprefix("pgwarden:") not in framework
            if r.startswith("pgwarden:")
            else r not in plan
        )
    )
    current = planned.get(change.name)
    if same and current and current.requires == change.requires:
        return Outcome(change.name, "unchanged", missing)
    state = "rewritten" if any(p.is_file() for p in paths.values()) else "created"
    if dry_run:
        return Outcome(change.name, state, missing)
    for kind, path in paths.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(texts[kind])
    if current is None:
        _append_plan(top / "sqitch.plan", change)
    elif current.requires != change.requires:
        _set_requires(top / "sqitch.plan", change)
    return Outcome(change.name, state, missing)


def _set_requires(plan: Path, change: compiler.Compiled) -> None:
    """Rewrite the dependencies of the change's plan line (the rest of the line stays)."""
    lines = plan.read_text().splitlines(keepends=True)
    for index, line in enumerate(lines):
        name, _, rest = line.partition(" ")
        if name == change.name:
            rest = re.sub(r"^\s*\[[^\]]*\]\s*", "", rest)
            deps = f"[{' '.join(change.requires)}] " if change.requires else ""
            lines[index] = f"{name} {deps}{rest}"
    plan.write_text("".join(lines))


def _append_plan(plan: Path, change: compiler.Compiled) -> None:
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    requires = f" [{' '.join(change.requires)}]" if change.requires else ""
    text = plan.read_text()
    if text and not text.endswith("\n"):
        text += "\n"
    plan.write_text(text + f"{change.name}{requires} {stamp} {PLANNER} # {change.note}\n")
