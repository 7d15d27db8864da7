"""Backups with a verified restore: `pg_dump -Fc` of the application database, taken in one
exported snapshot together with a manifest of what that snapshot holds (the deployed change, the
audit chain head, per-table row counts, the RLS policy count, the roles the dump needs), and
the dump's SHA-256. `verify()` restores into a scratch database and checks it all; `restore()`
restores into a given empty database. Doctrine: docs/operations.md#backup-and-restore."""

from __future__ import annotations

import hashlib
import json
import secrets
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from webui.ops.migrations import Migrator

FORMAT = 1
SUFFIX = ".dump"

COUNTS_SQL = """
select n.nspname || '.' || c.relname
  from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
 where c.relkind in ('r', 'p') and not c.relispartition
   and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
 order by 1
"""
ROLES_SQL = """
select r.rolname, r.rolcanlogin, r.rolinherit,
       coalesce((select pg_catalog.array_agg(g.rolname order by g.rolname)
                   from pg_catalog.pg_auth_members m join pg_catalog.pg_roles g on g.oid = m.roleid
                  where m.member = r.oid), '{}')
  from pg_catalog.pg_roles r
 where not r.rolsuper and r.rolname not like 'pg\\_%%' and r.oid in (
   select relowner from pg_catalog.pg_class union select nspowner from pg_catalog.pg_namespace
   union select proowner from pg_catalog.pg_proc
   union select (pg_catalog.aclexplode(relacl)).grantee from pg_catalog.pg_class
   union select (pg_catalog.aclexplode(nspacl)).grantee from pg_catalog.pg_namespace
   union select (pg_catalog.aclexplode(proacl)).grantee from pg_catalog.pg_proc
   union select unnest(polroles) from pg_catalog.pg_policy)
 order by 1
"""


class BackupError(RuntimeError):
    """A backup could not be made, verified or restored; the message says why."""


@dataclass(frozen=True)
class Check:
    ok: bool
    label: str
    detail: str


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest_path(dump: Path) -> Path:
    return dump.with_suffix(".manifest.json")


def read_manifest(dump: Path) -> dict[str, Any]:
    path = manifest_path(dump)
    if not path.is_file():
        raise BackupError(f"{path} is missing: a backup is the dump and its manifest")
    return json.loads(path.read_text())


def snapshot_facts(conn: psycopg.Connection) -> dict[str, Any]:
    """What the manifest records, read in the caller's (exported) snapshot."""
    tables = [row[0] for row in conn.execute(COUNTS_SQL)]
    counts = {}
    for name in tables:
        schema, _, table = name.partition(".")
        query = sql.SQL("select count(*) from {}.{}").format(
            sql.Identifier(schema), sql.Identifier(table)
        )
        counts[name] = int(conn.execute(query).fetchone()[0])  # type: ignore[index]
    return {
        "deployed_changes": [r[0] for r in conn.execute(_DEPLOYED_SQL)],
        "audit_head": _audit_head(conn),
        "row_counts": counts,
        "rls_policies": int(conn.execute("select count(*) from pg_policies").fetchone()[0]),  # type: ignore[index]
        "roles": [
            {"name": r[0], "login": r[1], "inherit": r[2], "member_of": list(r[3])}
            for r in conn.execute(ROLES_SQL)
        ],
    }


_DEPLOYED_SQL = """
select change from pgwarden.deployed_changes() order by deployed_at, change
"""


def _audit_head(conn: psycopg.Connection) -> dict[str, Any] | None:
    if conn.execute("select to_regclass('audit.seal_state')").fetchone() == (None,):
        return None
    row = conn.execute("select encode(head, 'hex'), last_seq from audit.seal_state").fetchone()
    return {"hash": row[0], "seq": int(row[1])} if row else None


def create(url: str, out_dir: Path) -> Path:
    """Dump the database at `url` into `out_dir` with its manifest; returns the dump's path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    dbname = str(conninfo_to_dict(url).get("dbname", ""))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    dump = out_dir / f"{dbname}-{stamp}{SUFFIX}"
    with psycopg.connect(url) as conn:
        conn.execute("set transaction isolation level repeatable read, read only")
        snapshot = conn.execute("select pg_export_snapshot()").fetchone()[0]  # type: ignore[index]
        facts = snapshot_facts(conn)
        _run(["pg_dump", "-Fc", "--snapshot", snapshot, "-f", str(dump), "-d", url])
        conn.rollback()
    manifest = {
        "format": FORMAT,
        "database": dbname,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "deployed_change": facts["deployed_changes"][-1] if facts["deployed_changes"] else None,
        **facts,
        "dump": dump.name,
        "sha256": sha256_of(dump),
    }
    manifest_path(dump).write_text(json.dumps(manifest, indent=2) + "\n")
    return dump


def _run(args: list[str]) -> None:
    result = subprocess.run(args, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{args[0]} failed: {result.stderr.strip() or result.stdout.strip()}")


def intact(dump: Path, manifest: dict[str, Any]) -> Check:
    """The dump's SHA-256 is the manifest's, and pg_restore can read its table of contents."""
    if not dump.is_file():
        return Check(False, "dump intact", f"{dump} is missing")
    digest = sha256_of(dump)
    if digest != manifest.get("sha256"):
        return Check(False, "dump intact", f"corrupt: SHA-256 {digest[:16]}… is not the manifest's")
    listed = subprocess.run(["pg_restore", "-l", str(dump)], capture_output=True, check=False)
    if listed.returncode != 0:
        return Check(False, "dump intact", "corrupt: pg_restore cannot read it")
    return Check(True, "dump intact", f"SHA-256 {digest[:16]}… matches the manifest")


def ensure_roles(conn: psycopg.Connection, roles: list[dict[str, Any]]) -> list[str]:
    """Create the roles the dump needs that this cluster lacks (no passwords), then their
    memberships; returns the names created."""
    existing = {row[0] for row in conn.execute("select rolname from pg_roles")}
    created = []
    for role in roles:
        if role["name"] not in existing:
            conn.execute(
                sql.SQL("create role {} {} {}").format(
                    sql.Identifier(role["name"]),
                    sql.SQL("login" if role["login"] else "nologin"),
                    sql.SQL("inherit" if role["inherit"] else "noinherit"),
                )
            )
            created.append(role["name"])
    for role in roles:
        for group in role["member_of"]:
            if role["name"] in created or group in created:
                conn.execute(
                    sql.SQL("grant {} to {}").format(
                        sql.Identifier(group), sql.Identifier(role["name"])
                    )
                )
    return created


def _is_empty(conn: psycopg.Connection) -> bool:
    row = conn.execute(
        "select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace"
        " where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')"
    ).fetchone()
    return bool(row and row[0] == 0)


def restore(dump: Path, into_url: str) -> list[str]:
    """Restore into the empty database at `into_url`; returns the roles created first."""
    manifest = read_manifest(dump)
    check = intact(dump, manifest)
    if not check.ok:
        raise BackupError(f"{dump}: {check.detail}; nothing restored")
    with psycopg.connect(into_url, autocommit=True) as conn:
        if not _is_empty(conn):
            raise BackupError("the target database is not empty: restore into a new database")
        created = ensure_roles(conn, manifest["roles"])
    _run(["pg_restore", "--exit-on-error", "--no-password", "-d", into_url, str(dump)])
    return created


@contextmanager
def scratch_database(url: str) -> Iterator[str]:
    """A new database on the same server, dropped afterwards."""
    name = f"pgw_verify_{secrets.token_hex(4)}"
    admin = make_conninfo(url, dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    try:
        yield make_conninfo(url, dbname=name)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )


def verify(dump: Path, server_url: str) -> list[Check]:
    """Restore into a scratch database on `server_url`'s server and check it against the
    manifest; the scratch database is dropped afterwards. A corrupt dump is not restored."""
    manifest = read_manifest(dump)
    checks = [intact(dump, manifest)]
    if not checks[0].ok:
        return checks
    with scratch_database(server_url) as scratch:
        created = restore(dump, scratch)
        detail = f"created {', '.join(created)}" if created else "all present"
        checks.append(Check(True, "restored into a scratch database", f"roles {detail}"))
        checks.extend(_checks(scratch, manifest))
    return checks


def _checks(url: str, manifest: dict[str, Any]) -> list[Check]:
    failures = [f"{name}: {error}" for name, error in Migrator(url, quiet=True).verify() if error]
    found = [
        Check(not failures, "migrate verify", "; ".join(failures) or "all verify scripts pass")
    ]
    with psycopg.connect(url) as conn:
        facts = snapshot_facts(conn)
        found.append(_chain_check(conn, manifest["audit_head"]))
    wrong = {
        name: (count, facts["row_counts"].get(name))
        for name, count in manifest["row_counts"].items()
        if facts["row_counts"].get(name) != count
    }
    detail = f"{len(manifest['row_counts'])} tables" if not wrong else f"differ: {wrong}"
    found.append(Check(not wrong, "row counts match", detail))
    roles = {r["name"] for r in manifest["roles"]} - {r["name"] for r in facts["roles"]}
    policies = facts["rls_policies"] == manifest["rls_policies"]
    found.append(
        Check(
            not roles and policies,
            "roles and RLS policies present",
            f"{facts['rls_policies']} policies, {len(facts['roles'])} roles"
            + (f"; missing roles {sorted(roles)}" if roles else "")
            + ("" if policies else f"; the manifest has {manifest['rls_policies']} policies"),
        )
    )
    return found


def _chain_check(conn: psycopg.Connection, head: dict[str, Any] | None) -> Check:
    if head is None:
        return Check(True, "audit chain verifies", "no audit chain in this database")
    row = conn.execute("select ok, checked, problem from audit.verify()").fetchone()
    linked = conn.execute(
        "select exists (select 1 from audit.seals where seq = %s and hash = decode(%s, 'hex'))",
        [head["seq"], head["hash"]],
    ).fetchone()
    ok = bool(row and row[0]) and (head["seq"] == 0 or bool(linked and linked[0]))
    detail = f"{row[1] if row else 0} links, head {head['hash'][:16]}… (seq {head['seq']})"
    return Check(ok, "audit chain verifies", detail if ok else f"{detail}: {row[2] if row else ''}")


@dataclass(frozen=True)
class Entry:
    dump: Path
    created: datetime
    keep: bool


def retained(dumps: list[tuple[Path, datetime]], daily: int, weekly: int) -> list[Entry]:
    """Newest first; keep the newest backup of each of the last `daily` days and of each of the
    last `weekly` ISO weeks (both 0: keep everything)."""
    ordered = sorted(dumps, key=lambda item: item[1], reverse=True)
    if not daily and not weekly:
        return [Entry(path, when, True) for path, when in ordered]
    days: list[date] = []
    weeks: list[tuple[int, int]] = []
    entries = []
    for path, when in ordered:
        day, week = when.date(), when.isocalendar()[:2]
        keep = False
        if day not in days and len(days) < daily:
            days.append(day)
            keep = True
        if week not in weeks and len(weeks) < weekly:
            weeks.append(week)
            keep = True
        entries.append(Entry(path, when, keep))
    return entries


def listing(folder: Path) -> list[tuple[Path, datetime]]:
    found = []
    for dump in sorted(folder.glob(f"*{SUFFIX}")):
        try:
            created = datetime.fromisoformat(read_manifest(dump)["created_at"])
        except (BackupError, KeyError, ValueError):
            continue
        found.append((dump, created))
    return found
