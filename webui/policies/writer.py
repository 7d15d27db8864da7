"""Write compiled changes into a sqitch project: scripts plus one plan line, only when the text
differs (re-compiling unchanged declarations writes nothing)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from webui.migrations import read_plan
from webui.paths import migrations_dir
from webui.policies import checker, compiler, parser
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
    decls: list[m.Declarations], root: Path, override: Path | None = None
) -> list[tuple[compiler.Compiled, Path]]:
    everything = catalog(decls)
    found = []
    for d in decls:
        top = target(d, root, override)
        change = compiler.compile_decl(d, everything, display_path(d.path, root), plan_project(top))
        found.append((change, top))
    return found


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
