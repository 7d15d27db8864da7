"""`pgwarden doctor`: one ✓/✗ line per check, non-zero exit on any ✗."""

from __future__ import annotations

import argparse

import psycopg

from webui.cli.commands.jobs import report as jobs_report
from webui.cli.console import check
from webui.core import settings
from webui.core.roles import ALL_ROLES
from webui.core.settings import SECRET_MIN_LENGTH, SettingsError
from webui.ops.database import database_url
from webui.ops.migrations import Migrator

ROLES = list(ALL_ROLES)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("doctor", help="check the database, migrations, roles, secrets")
    parser.set_defaults(handler=doctor)


def doctor(args: argparse.Namespace) -> int:
    results = [_check_secret()]
    try:
        url = database_url()
    except SettingsError as exc:
        check(False, "database reachable", str(exc))
        return 1
    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            version = conn.execute("show server_version").fetchone()
            results.append(
                check(True, "database reachable", f"PostgreSQL {version[0] if version else '?'}")
            )
            results.append(_check_roles(conn))
    except psycopg.OperationalError as exc:
        results.append(check(False, "database reachable", f"{exc}".strip().splitlines()[0]))
        return 1
    results.extend(_check_migrations(url))
    results.extend(_check_jobs(url))
    return 0 if all(results) else 1


def _check_secret() -> bool:
    key, source = settings.secret_key()
    if not key:
        return check(
            False, "secret key set", "set PGWARDEN_SECRET_KEY (or run `pgwarden serve` once)"
        )
    long_enough = len(key) >= SECRET_MIN_LENGTH
    detail = (
        f"from {source}" if long_enough else f"{source} is shorter than {SECRET_MIN_LENGTH} chars"
    )
    return check(long_enough, "secret key set", detail)


def _check_roles(conn: psycopg.Connection) -> bool:
    rows = conn.execute("select rolname from pg_roles where rolname = any(%s)", [ROLES]).fetchall()
    missing = sorted(set(ROLES) - {row[0] for row in rows})
    detail = f"missing {', '.join(missing)}" if missing else f"{len(ROLES)} roles"
    return check(not missing, "roles present", detail)


def _check_migrations(url: str) -> list[bool]:
    migrator = Migrator(url, quiet=True)
    deployed = migrator.deployed()
    pending = [c.name for c in migrator.changes if c.name not in deployed]
    detail = (
        f"pending: {', '.join(pending)} (run `pgwarden migrate deploy`)"
        if pending
        else (f"{len(deployed)} changes, last {deployed[-1]}" if deployed else "none")
    )
    ok = check(not pending, "migrations deployed", detail)
    failures = [f"{name}: {error}" for name, error in migrator.verify() if error]
    verified = check(
        not failures, "migrations verified", "; ".join(failures) or "all verify scripts pass"
    )
    return [ok, verified]


def _check_jobs(url: str) -> list[bool]:
    """The scheduled jobs' mode and last runs (once their change is deployed)."""
    with psycopg.connect(url, connect_timeout=5) as conn:
        deployed = conn.execute("select to_regclass('pgwarden.job_status')").fetchone()
        if not deployed or deployed[0] is None:
            return []
        return jobs_report(conn)
