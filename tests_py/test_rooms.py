"""The rooms of `webui` and what each may import (docs/development.md, "Rooms").

Each rule here is a line of that table; a test fails when a module imports a room its own room
may not, imports another module's private name, or closes an import cycle between modules."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import webui

PACKAGE = Path(webui.__file__).resolve().parent

# room -> the rooms it may import (besides itself and `webui` for __version__)
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "ops": {"core"},
    "audit": {"core"},
    "web": {"core", "ops"},
    "auth": {"core", "web", "audit"},
    "policies": {"core", "ops"},
    "rest": {"core", "web"},
    "mail": {"core"},
    "admin": {"core", "web", "auth", "policies"},
    "cli": {"core", "ops", "web", "audit", "auth", "policies", "rest", "admin", "mail"},
    "testing": {"core", "ops", "web", "audit", "auth", "policies", "rest", "admin", "cli", "mail"},
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) for every `webui` import in the file, relative imports resolved."""
    tree = ast.parse(path.read_text())
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    out: list[tuple[str, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names if a.name.startswith("webui")]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, module] if module else base)
            if module.startswith("webui"):
                out.append((module, [a.name for a in node.names]))
    return out


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_every_room_is_declared() -> None:
    rooms = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert rooms <= set(ALLOWED), f"undeclared rooms: {rooms - set(ALLOWED)}"
    flat = [p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py"]
    assert flat == [], f"modules outside a room: {flat}"


def test_rooms_import_only_what_they_may() -> None:
    wrong = []
    for module, path in _modules().items():
        room = _room(module)
        for target, _names in _imports(path):
            other = _room(target)
            if other and other != room and other not in ALLOWED.get(room, set()):
                wrong.append(f"{module} imports {target}")
    assert wrong == []


def _private_uses(module: str, path: Path) -> list[str]:
    """Private names of other modules: imported by name, or read as `alias._name`."""
    found = []
    aliases: dict[str, str] = {}
    tree = ast.parse(path.read_text())
    for target, names in _imports(path):
        if target == module:
            continue
        found += [f"{target}.{n}" for n in names if n.startswith("_") and not n.startswith("__")]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("webui"):
            aliases.update({a.asname or a.name: f"{node.module}.{a.name}" for a in node.names})
        elif isinstance(node, ast.Import):
            aliases.update(
                {a.asname or a.name: a.name for a in node.names if a.name.startswith("webui")}
            )
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            found.append(f"{aliases[node.value.id]}.{node.attr}")
    return found


def test_no_module_uses_another_modules_private_names() -> None:
    wrong = {m: _private_uses(m, p) for m, p in _modules().items()}
    assert {m: uses for m, uses in wrong.items() if uses} == {}


def test_no_import_cycle_between_modules() -> None:
    modules = _modules()
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in modules.items():
        for target, names in _imports(path):
            candidates = [f"{target}.{n}" for n in names] + [target]
            for cand in candidates:
                if cand in modules and cand != module:
                    graph[module].add(cand)
                    break
    cycles = []
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycles.append(" -> ".join([*stack[stack.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for module in sorted(modules):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_the_table_in_the_docs_matches_these_rules() -> None:
    text = (PACKAGE.parent / "docs" / "development.md").read_text()
    for room, allowed in ALLOWED.items():
        line = next((ln for ln in text.splitlines() if ln.startswith(f"| `{room}/`")), None)
        assert line is not None, f"docs/development.md has no row for {room}/"
        cell = line.split("|")[3]
        listed = {w.strip("` ,") for w in cell.split() if w.strip("` ,")} - {"nothing"}
        assert listed == allowed, f"{room}: docs say {listed}, test says {allowed}"
