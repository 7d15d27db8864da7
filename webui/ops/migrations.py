"""Sqitch-compatible migrations, applied through yoyo-migrations.

`migrations/` is a sqitch project. Each sqitch change becomes one yoyo migration (id = change
name) with one step: its deploy script as apply, its revert script as rollback, in plan order and
in one transaction. Scripts are wrapped in `BEGIN; … COMMIT;` for stock sqitch; yoyo owns the
transaction here, so that wrapper is removed, and `\\ir` includes are inlined as psql would.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import psycopg
from psycopg.conninfo import conninfo_to_dict
from yoyo import get_backend
from yoyo.backends.base import DatabaseBackend
from yoyo.migrations import Migration, MigrationList, StepCollector

from webui.core.paths import migrations_dir

YOYO_TABLE = "_yoyo_migration"
_INCLUDE = re.compile(r"^\\ir\s+(?P<path>\S+)\s*$")
_WRAPPER_START = re.compile(r"^\s*(?:--[^\n]*\n\s*)*BEGIN\s*;", re.IGNORECASE)
_WRAPPER_END = re.compile(r"(?P<word>COMMIT|ROLLBACK)\s*;\s*(?:--[^\n]*\s*)*\Z", re.IGNORECASE)


class MigrationError(RuntimeError):
    """The plan or a script is malformed, or a change failed; the message names the change."""


@dataclass(frozen=True)
class Change:
    name: str
    requires: tuple[str, ...]
    note: str
    top: Path = field(repr=False)

    def script(self, kind: str) -> Path:
        return self.top / kind / f"{self.name}.sql"


def read_plan(top: Path | None = None) -> list[Change]:
    """The changes of `sqitch.plan`, in plan order."""
    top = top or migrations_dir()
    changes: list[Change] = []
    seen: set[str] = set()
    for number, raw in enumerate((top / "sqitch.plan").read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line[0] in "%#@":
            continue
        match = re.match(
            r"^(?P<name>[^\s\[]+)\s*(?:\[(?P<deps>[^\]]*)\])?.*?(?:#\s*(?P<note>.*))?$", line
        )
        if not match:
            raise MigrationError(f"sqitch.plan line {number}: cannot parse {raw!r}")
        name = match["name"]
        if name in seen:
            raise MigrationError(f"sqitch.plan line {number}: reworked change {name!r} unsupported")
        seen.add(name)
        requires = tuple((match["deps"] or "").split())
        changes.append(Change(name, requires, (match["note"] or "").strip(), top))
    return changes


def inline_includes(path: Path, depth: int = 0) -> str:
    """The script with every `\\ir file` replaced by that file's text, as psql would read it."""
    if depth > 10:
        raise MigrationError(f"{path}: \\ir includes nested too deeply")
    lines = []
    for line in path.read_text().splitlines():
        include = _INCLUDE.match(line.strip())
        if include:
            lines.append(inline_includes((path.parent / include["path"]).resolve(), depth + 1))
        elif line.lstrip().startswith("\\"):
            raise MigrationError(f"{path}: psql meta-command {line.strip()!r} is not supported")
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


BUNDLE_BEGIN = "-- pgwarden bundle: begin "
BUNDLE_END = "-- pgwarden bundle: end "


def bundle(path: Path) -> str:
    """The script with every top-level `\\ir file` replaced by that file's text between two marker
    comments naming it, so that a released change's script is self-contained (sqitch's rule: a
    released change never changes) and a test can still tell where each part came from."""
    lines = []
    for line in path.read_text().splitlines():
        include = _INCLUDE.match(line.strip())
        if include:
            lines.append(BUNDLE_BEGIN + include["path"])
            lines.append(inline_includes((path.parent / include["path"]).resolve()).rstrip("\n"))
            lines.append(BUNDLE_END + include["path"])
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


def unwrap(script: str, path: Path, closing: str = "COMMIT") -> str:
    """The script without its outer `BEGIN; … COMMIT;` (or `ROLLBACK;` for verify scripts)."""
    start = _WRAPPER_START.search(script)
    end = _WRAPPER_END.search(script)
    if not start or not end or end["word"].upper() != closing:
        raise MigrationError(f"{path}: must be wrapped in BEGIN; … {closing}; as sqitch expects")
    body = script[start.end() : end.start()]
    if re.search(r"^\s*(commit|rollback)\s*;", body, re.IGNORECASE | re.MULTILINE):
        raise MigrationError(f"{path}: nothing inside the BEGIN; … {closing}; wrapper may commit")
    return body


def script_body(change: Change, kind: str) -> str:
    path = change.script(kind)
    closing = "ROLLBACK" if kind == "verify" else "COMMIT"
    return unwrap(inline_includes(path), path, closing)


class ChangeMigration(Migration):
    """One sqitch change as a yoyo migration with one step (deploy as apply, revert as rollback)."""

    def __init__(self, change: Change) -> None:
        super().__init__(change.name, str(change.script("deploy")), str(change.top / "deploy"))
        self.change = change

    def load(self) -> None:
        if self.loaded:
            return
        collector = StepCollector(migration=self)
        collector.add_step(script_body(self.change, "deploy"), script_body(self.change, "revert"))
        self._depends = set()
        self.use_transactions = True
        self.steps = collector.create_steps(True)


def yoyo_uri(database_url: str) -> str:
    """A yoyo URI (psycopg 3 driver) for a libpq URL or key=value conninfo."""
    params = conninfo_to_dict(database_url)
    dbname = str(params.pop("dbname", "postgres"))
    query = urlencode({key: str(value) for key, value in params.items()})
    return f"postgresql+psycopg:///{dbname}?{query}"


@dataclass
class Migrator:
    database_url: str
    top: Path = field(default_factory=migrations_dir)
    quiet: bool = False

    def __post_init__(self) -> None:
        self.changes = read_plan(self.top)
        self.migrations = MigrationList([ChangeMigration(change) for change in self.changes])

    @contextmanager
    def backend(self) -> Iterator[DatabaseBackend]:
        backend = get_backend(yoyo_uri(self.database_url), migration_table=YOYO_TABLE)
        try:
            with backend.lock():
                yield backend
        finally:
            backend.connection.close()

    def deployed(self) -> list[str]:
        with self.backend() as backend:
            applied = set(backend.get_applied_migration_hashes())
        return [m.id for m in self.migrations if m.hash in applied]

    def _index(self, name: str) -> int:
        for index, change in enumerate(self.changes):
            if change.name == name:
                return index
        raise MigrationError(f"unknown change {name!r}; `pgwarden migrate status` lists them")

    def deploy(self, to: str | None = None) -> int:
        """Apply pending changes in plan order (up to `to`); returns how many were applied."""
        last = self._index(to) if to else len(self.changes) - 1
        count = 0
        with self.backend() as backend:
            applied = set(backend.get_applied_migration_hashes())
            for migration in list(self.migrations)[: last + 1]:
                if migration.hash in applied:
                    continue
                self._step(backend.apply_one, migration, "deploy", "+")
                count += 1
        return count

    def revert(self, to: str | None = None) -> int:
        """Roll back deployed changes in reverse plan order, down to (not including) `to`."""
        keep = self._index(to) + 1 if to else 0
        count = 0
        with self.backend() as backend:
            applied = set(backend.get_applied_migration_hashes())
            for migration in reversed(list(self.migrations)[keep:]):
                if migration.hash not in applied:
                    continue
                self._step(backend.rollback_one, migration, "revert", "-")
                count += 1
        return count

    def _step(
        self, action: Callable[[Migration], None], migration: Migration, verb: str, sign: str
    ) -> None:
        """Run one change in its transaction, printing `  + name .. ok` as it goes."""
        if not self.quiet:
            print(f"  {sign} {migration.id} ..", end=" ", flush=True)
        try:
            action(migration)
        except psycopg.Error as exc:
            if not self.quiet:
                print("failed")
            detail = exc.diag.message_primary or str(exc)
            message = f"{verb} {migration.id} failed, nothing of it applied: {detail}"
            raise MigrationError(message) from exc
        if not self.quiet:
            print("ok")

    def verify(self) -> list[tuple[str, str | None]]:
        """Run each deployed change's verify script in a rolled-back transaction."""
        results: list[tuple[str, str | None]] = []
        deployed = self.deployed()
        with psycopg.connect(self.database_url) as conn:
            for change in self.changes:
                if change.name not in deployed:
                    continue
                try:
                    with conn.transaction(force_rollback=True):
                        conn.execute(script_body(change, "verify").encode())
                    results.append((change.name, None))
                except psycopg.Error as exc:
                    conn.rollback()
                    results.append((change.name, exc.diag.message_primary or str(exc)))
        return results
