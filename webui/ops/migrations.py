"""Sqitch-compatible migrations, applied through yoyo-migrations, recorded in sqitch's registry.

`migrations/` is a sqitch project. Each sqitch change becomes one yoyo migration (id = sqitch's
change id) with one step: its deploy script as apply, its revert script as rollback, in plan
order. pgwarden opens each change's transaction, yoyo runs the step inside it, and the change's
rows in sqitch's registry (`webui.ops.sqitch_registry`) are written in the same transaction.
Scripts are wrapped in `BEGIN; … COMMIT;` for stock sqitch; that wrapper is removed here, and
`\\ir` includes are inlined as psql would.
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
from yoyo.backends.base import DatabaseBackend
from yoyo.connections import get_backend_class, parse_uri
from yoyo.migrations import Migration, StepCollector

from webui.core.paths import migrations_dir, project_dir
from webui.ops import sqitch_plan
from webui.ops import sqitch_registry as registry
from webui.ops.sqitch_plan import Change as PlannedChange
from webui.ops.sqitch_plan import Plan, PlanError

YOYO_TABLE = "_yoyo_migration"
_INCLUDE = re.compile(r"^\\ir\s+(?P<path>\S+)\s*$")
_WRAPPER_START = re.compile(r"^\s*(?:--[^\n]*\n\s*)*BEGIN\s*;", re.IGNORECASE)
_WRAPPER_END = re.compile(r"(?P<word>COMMIT|ROLLBACK)\s*;\s*(?:--[^\n]*\s*)*\Z", re.IGNORECASE)


class MigrationError(RuntimeError):
    """The plan or a script is malformed, or a change failed; the message names the change."""


@dataclass(frozen=True)
class Change:
    """A plan entry as the rest of pgwarden reads it: name, `[requires]` as written, note, and the
    script file (`name.sql`, or `name@tag.sql` for an older instance of a reworked change)."""

    name: str
    requires: tuple[str, ...]
    note: str
    top: Path = field(repr=False)
    file_name: str = ""

    def script(self, kind: str) -> Path:
        return self.top / kind / (self.file_name or f"{self.name}.sql")


def load_plan(top: Path | None = None) -> Plan:
    """The sqitch plan of `top` (default: pgwarden's), ids and reworks as sqitch computes them."""
    try:
        return sqitch_plan.read(top or migrations_dir())
    except (PlanError, OSError) as exc:
        raise MigrationError(str(exc)) from exc


def read_plan(top: Path | None = None) -> list[Change]:
    """The changes of `sqitch.plan`, in plan order."""
    return [_entry(change) for change in load_plan(top).changes]


def _entry(change: PlannedChange) -> Change:
    requires = tuple(d.as_string(change.project) for d in change.requires)
    requires += tuple("!" + d.as_string(change.project) for d in change.conflicts)
    return Change(change.name, requires, change.note, change.top, change.file_name())


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


def script_body(change: Change | PlannedChange, kind: str) -> str:
    path = change.script(kind)
    closing = "ROLLBACK" if kind == "verify" else "COMMIT"
    return unwrap(inline_includes(path), path, closing)


class ChangeMigration(Migration):
    """One sqitch change as a yoyo migration with one step (deploy as apply, revert as rollback)."""

    def __init__(self, change: PlannedChange) -> None:
        super().__init__(change.id, str(change.script("deploy")), str(change.top / "deploy"))
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


LEGACY_YOYO_TABLES = ("_yoyo_migration", "_yoyo_log", "_yoyo_version", "yoyo_lock")


@dataclass
class Migrator:
    """One sqitch project applied through yoyo, recorded in sqitch's own registry.

    yoyo runs each change's script (its steps, in a transaction); pgwarden writes the registry
    rows of that change in the same transaction, so a change and its record commit together.
    yoyo's own tables (`public._yoyo_migration`, …) are not used: records an older pgwarden left
    there are moved into the registry on first contact (`_adopt_legacy`)."""

    database_url: str
    top: Path = field(default_factory=migrations_dir)
    quiet: bool = False

    def __post_init__(self) -> None:
        self.plan = load_plan(self.top)
        self.changes = self.plan.changes
        self.who = registry.committer(self.top)

    @property
    def project(self) -> str:
        return self.plan.project

    @contextmanager
    def session(self, lock: bool = True) -> Iterator[DatabaseBackend]:
        """A yoyo backend; with `lock`, holding sqitch's advisory lock, so that neither tool
        deploys or reverts beside the other."""
        try:
            backend = _backend(yoyo_uri(self.database_url))
        except psycopg.OperationalError:
            raise  # the CLI says which server, why and what to do (webui.cli.unreachable)
        except (psycopg.Error, ValueError) as exc:
            raise MigrationError(f"cannot connect to the database: {_first_line(exc)}") from exc
        conn: psycopg.Connection = backend.connection
        try:
            if lock:
                conn.execute("set lock_timeout = '60s'")
                conn.execute("select pg_advisory_lock(%s)", (registry.SQITCH_LOCK,))
                conn.execute("reset lock_timeout")
                self._adopt_legacy(backend)
            yield backend
        except psycopg.errors.LockNotAvailable as exc:
            raise MigrationError("another sqitch or pgwarden migrate holds the lock") from exc
        finally:
            conn.close()

    def deployed_ids(self) -> list[str]:
        with self.session(lock=False) as backend:
            return registry.deployed_ids(backend.connection, self.project)

    def deployed(self) -> list[str]:
        """The names of the deployed changes, in plan order."""
        return [self.changes[i].name for i in range(self._position(self.deployed_ids()) + 1)]

    def _position(self, ids: list[str]) -> int:
        """The plan index of the last deployed change (-1: none), as sqitch's `_sync_plan`."""
        if not ids:
            return -1
        by_id = {change.id: index for index, change in enumerate(self.changes)}
        if ids[-1] not in by_id:
            raise MigrationError(
                f"the registry's last {self.project} change ({ids[-1]}) is not in "
                f"{self.top / 'sqitch.plan'}: the plan was edited after deploying"
            )
        return by_id[ids[-1]]

    def _index(self, key: str) -> int:
        try:
            return self.plan.index_of(key)
        except PlanError as exc:
            raise MigrationError(f"{exc}; `pgwarden migrate status` lists the changes") from exc

    def deploy(self, to: str | None = None) -> int:
        """Apply pending changes in plan order (through `to`); returns how many were applied."""
        last = self._index(to) if to else len(self.changes) - 1
        with self.session() as backend:
            conn: psycopg.Connection = backend.connection
            position = self._position(registry.deployed_ids(conn, self.project))
            if last < position:
                raise MigrationError(f"{to} is deployed already: use `migrate revert --to {to}`")
            pending = self.changes[position + 1 : last + 1]
            if not pending:
                return 0
            with backend.transaction():
                registry.ensure(conn, self.who)
                registry.register_project(conn, self.plan, self.who)
                if position >= 0:
                    registry.log_new_tags(conn, self.changes[position], self.who)
            try:
                resolved = self._check_dependencies(conn, pending)
            except PlanError as exc:
                raise MigrationError(str(exc)) from exc
            for change in pending:
                self._deploy_one(backend, change, resolved[change.id])
        return len(pending)

    def _check_dependencies(
        self, conn: psycopg.Connection, pending: list[PlannedChange]
    ) -> dict[str, dict[str, str | None]]:
        """Resolve every `require` before anything runs; refuse missing ones and conflicts."""
        run: set[str] = set()
        resolved: dict[str, dict[str, str | None]] = {}
        missing: list[str] = []
        for change in pending:
            ids = {d.key: registry.resolve(conn, d, self.plan, run) for d in change.requires}
            missing += [d.as_string(self.project) for d in change.requires if not ids[d.key]]
            clash = [d for d in change.conflicts if registry.resolve(conn, d, self.plan, run)]
            if clash:
                names = " ".join(d.as_string(self.project) for d in clash)
                raise MigrationError(f"{change.name} conflicts with deployed change(s): {names}")
            resolved[change.id] = {**ids, **{d.key: None for d in change.conflicts}}
            run.add(change.id)
        if missing:
            names = " ".join(dict.fromkeys(missing))
            raise MigrationError(
                f"missing required change(s): {names}; deploy the project(s) they belong to first"
            )
        return resolved

    def _deploy_one(
        self, backend: DatabaseBackend, change: PlannedChange, resolved: dict[str, str | None]
    ) -> None:
        conn: psycopg.Connection = backend.connection

        def apply() -> None:
            with backend.transaction():
                conn.execute("lock table sqitch.changes in exclusive mode")
                ChangeMigration(change).process_steps(backend, "apply")
                registry.log_deploy(conn, change, self.who, resolved)

        try:
            self._step(apply, change, "deploy", "+")
        except MigrationError:
            with backend.transaction():
                registry.log_fail(conn, change, self.who)
            raise

    def revert(self, to: str | None = None) -> int:
        """Roll deployed changes back in reverse plan order, down to (not including) `to`."""
        keep = self._index(to) if to else -1
        with self.session() as backend:
            conn: psycopg.Connection = backend.connection
            position = self._position(registry.deployed_ids(conn, self.project))
            if to and keep > position:
                raise MigrationError(f"{to} is not deployed: nothing of it to keep")
            leaving = list(reversed(self.changes[keep + 1 : position + 1]))
            self._check_dependents(conn, leaving)
            for change in leaving:
                self._revert_one(backend, change)
        return len(leaving)

    def _check_dependents(self, conn: psycopg.Connection, leaving: list[PlannedChange]) -> None:
        """Refuse to revert a change that a deployed change of another project requires."""
        ids = {change.id for change in leaving}
        for change in leaving:
            others = registry.dependents(conn, change, ids)
            if others:
                raise MigrationError(
                    f"{change.name} is required by deployed change(s) {', '.join(others)}: "
                    "revert those first (`pgwarden migrate revert --project P`)"
                )

    def _revert_one(self, backend: DatabaseBackend, change: PlannedChange) -> None:
        conn: psycopg.Connection = backend.connection

        def rollback() -> None:
            with backend.transaction():
                conn.execute("lock table sqitch.changes in exclusive mode")
                ChangeMigration(change).process_steps(backend, "rollback")
                registry.log_revert(conn, change, self.who)

        self._step(rollback, change, "revert", "-")

    def _step(
        self, action: Callable[[], None], change: PlannedChange, verb: str, sign: str
    ) -> None:
        """Run one change in its transaction, printing `  + name .. ok` as it goes."""
        if not self.quiet:
            print(f"  {sign} {change.format_name_with_tags} ..", end=" ", flush=True)
        try:
            action()
        except (psycopg.Error, MigrationError) as exc:
            if not self.quiet:
                print("failed")
            detail = exc.diag.message_primary if isinstance(exc, psycopg.Error) else None
            message = f"{verb} {change.name} failed, nothing of it applied: {detail or exc}"
            raise MigrationError(message) from exc
        if not self.quiet:
            print("ok")

    def verify(self) -> list[tuple[str, str | None]]:
        """Run each deployed change's verify script in a rolled-back transaction."""
        results: list[tuple[str, str | None]] = []
        deployed = self.changes[: self._position(self.deployed_ids()) + 1]
        with psycopg.connect(self.database_url) as conn:
            for change in deployed:
                try:
                    with conn.transaction(force_rollback=True):
                        conn.execute(script_body(change, "verify").encode())
                    results.append((change.name, None))
                except psycopg.Error as exc:
                    conn.rollback()
                    results.append((change.name, exc.diag.message_primary or str(exc)))
        return results

    def _adopt_legacy(self, backend: DatabaseBackend) -> None:
        """Move this project's records from yoyo's table (an older pgwarden) into the registry."""
        conn: psycopg.Connection = backend.connection
        row = conn.execute("select to_regclass('public._yoyo_migration') is not null").fetchone()
        if not row or not row[0] or registry.deployed_ids(conn, self.project):
            return
        names = {r[0] for r in conn.execute("select migration_id from public._yoyo_migration")}
        adopted = []
        for change in self.changes:
            if change.name not in names:
                break
            adopted.append(change)
        if not adopted:
            return
        with backend.transaction():
            registry.ensure(conn, self.who)
            registry.register_project(conn, self.plan, self.who)
            run: set[str] = set()
            for change in adopted:
                ids = {d.key: registry.resolve(conn, d, self.plan, run) for d in change.requires}
                registry.log_deploy(conn, change, self.who, ids)
                run.add(change.id)
            conn.execute(
                "delete from public._yoyo_migration where migration_id = any(%s)",
                ([c.name for c in adopted],),
            )
            left = conn.execute("select count(*) from public._yoyo_migration").fetchone()
            if left and left[0] == 0:
                for table in LEGACY_YOYO_TABLES:
                    conn.execute(f"drop table if exists public.{table}")


def _backend(uri: str) -> DatabaseBackend:
    """A yoyo backend without `init_database()`: yoyo's lock table is not created, since the
    sqitch advisory lock serialises runs and the registry is sqitch's."""
    parsed = parse_uri(uri)
    backend: DatabaseBackend = get_backend_class(parsed.scheme.lower())(parsed, YOYO_TABLE)
    return backend


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def registered_projects(database_url: str) -> list[registry.DeployedProject]:
    """Every sqitch project deployed into the database, whichever tool deployed it."""
    try:
        with psycopg.connect(database_url, connect_timeout=10) as conn:
            return registry.projects(conn)
    except psycopg.OperationalError:
        raise  # the CLI says which server, why and what to do (webui.cli.unreachable)
    except psycopg.Error as exc:
        raise MigrationError(f"cannot read the sqitch registry: {_first_line(exc)}") from exc


def project_dirs() -> dict[str, Path]:
    """The sqitch projects pgwarden knows the folder of: its own, and each example's."""
    tops = [migrations_dir(), *sorted(project_dir().glob("examples/*/migrations"))]
    found: dict[str, Path] = {}
    for top in tops:
        if (top / "sqitch.plan").is_file():
            found.setdefault(load_plan(top).project, top)
    return found


def project_top(name: str) -> Path:
    """The folder of project `name`, or a MigrationError naming the known ones."""
    known = project_dirs()
    if name not in known:
        listed = ", ".join(sorted(known)) or "none"
        raise MigrationError(f"no plan found for project {name!r} (known: {listed}); pass --dir")
    return known[name]


@dataclass(frozen=True)
class Bundled:
    path: Path
    state: str  # "bundled" | "already bundled"


def bundle_released(top: Path | None = None) -> list[Bundled]:
    """Make every script of the changes up to the newest tag self-contained, in place: each
    `\\ir file` replaced by that file between bundle markers (`bundle()`). A script bundled
    already is left exactly as released; one that mixes markers and `\\ir` is refused."""
    plan = load_plan(top)
    tagged = [i for i, change in enumerate(plan.changes) if change.tags]
    if not tagged:
        raise MigrationError(f"{plan.top / 'sqitch.plan'} has no tag: `sqitch tag` a release first")
    done: list[Bundled] = []
    for change in plan.changes[: tagged[-1] + 1]:
        for kind in ("deploy", "revert", "verify"):
            path = change.script(kind)
            text = path.read_text()
            includes = any(_INCLUDE.match(line.strip()) for line in text.splitlines())
            if BUNDLE_BEGIN in text:
                if includes:
                    raise MigrationError(f"{path}: released and bundled, yet it includes a file")
                done.append(Bundled(path, "already bundled"))
            elif includes:
                path.write_text(bundle(path))
                done.append(Bundled(path, "bundled"))
    return done
