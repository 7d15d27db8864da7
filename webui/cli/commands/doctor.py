"""`pgwarden doctor`: one ✓/✗ line per check, non-zero exit on any ✗."""

from __future__ import annotations

import argparse

import psycopg

from webui.audit.archive import retention_report
from webui.auth import mfa
from webui.cli.commands.doctor_email import doctor_email
from webui.cli.commands.jobs import report as jobs_report
from webui.cli.commands.secret import old_key_count
from webui.cli.console import check, warn
from webui.core import settings
from webui.core.roles import ALL_ROLES
from webui.core.settings import SECRET_MIN_LENGTH, SettingsError
from webui.ops.database import database_url
from webui.ops.migrations import Migrator, project_dirs, registered_projects

ROLES = list(ALL_ROLES)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("doctor", help="check the database, migrations, roles, secrets")
    parser.add_argument(
        "topic", nargs="?", choices=["email"], help="email: check the mail transport instead"
    )
    parser.add_argument("--to", metavar="ADDR", help="with email: send a test mail to ADDR")
    parser.set_defaults(handler=doctor)


def doctor(args: argparse.Namespace) -> int:
    if getattr(args, "topic", None) == "email":
        return doctor_email(args.to)
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
            results.append(_check_mfa_keys(conn))
    except psycopg.OperationalError as exc:
        results.append(check(False, "database reachable", f"{exc}".strip().splitlines()[0]))
        return 1
    results.extend(_check_migrations(url))
    results.extend(_check_jobs(url))
    results.extend(_check_audit_retention(url))
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


def _check_mfa_keys(conn: psycopg.Connection) -> bool:
    """A warning while any MFA secret is encrypted under a key other than the newest."""
    if conn.execute("select to_regclass('auth.mfa_secrets')").fetchone() in (None, (None,)):
        return True
    keys = mfa.parse_keys(settings.secret_key()[0] or "")
    old = old_key_count(conn, keys) if keys else 0
    if not old:
        return check(True, "MFA secrets under the newest key")
    return warn(
        "MFA secrets under an old key",
        f"{old} still encrypted with an older PGWARDEN_SECRET_KEY key "
        "(run `pgwarden secret rotate`, then remove the old key)",
    )


def _check_roles(conn: psycopg.Connection) -> bool:
    rows = conn.execute("select rolname from pg_roles where rolname = any(%s)", [ROLES]).fetchall()
    missing = sorted(set(ROLES) - {row[0] for row in rows})
    detail = f"missing {', '.join(missing)}" if missing else f"{len(ROLES)} roles"
    return check(not missing, "roles present", detail)


def _check_migrations(url: str) -> list[bool]:
    """One line per sqitch project in the database (pgwarden's always), then the verify scripts
    of every deployed change whose plan is known here."""
    registered = {p.project: p for p in registered_projects(url)}
    known = project_dirs()
    results: list[bool] = []
    migrators: list[Migrator] = []
    for name in sorted({*registered, "pgwarden"}):
        if name not in known:
            count = len(registered[name].changes)
            results.append(check(True, f"migrations deployed ({name})", f"{count} changes"))
            continue
        migrator = Migrator(url, top=known[name], quiet=True)
        migrators.append(migrator)
        results.append(_check_project(migrator))
    failures = [f"{n}: {e}" for m in migrators for n, e in m.verify() if e]
    verified = sum(len(m.deployed_ids()) for m in migrators)
    if not verified:
        results.append(check(False, "migrations verified", "nothing deployed, nothing verified"))
    else:
        detail = "; ".join(failures) or f"all {verified} verify scripts pass"
        results.append(check(not failures, "migrations verified", detail))
    return results


def _check_project(migrator: Migrator) -> bool:
    deployed = set(migrator.deployed_ids())
    pending = [c.name for c in migrator.changes if c.id not in deployed]
    done = [c.name for c in migrator.changes if c.id in deployed]
    if pending:
        hint = "pgwarden migrate deploy" + (
            "" if migrator.project == "pgwarden" else f" --project {migrator.project}"
        )
        detail = f"pending: {', '.join(pending)} (run `{hint}`)"
    else:
        detail = f"{len(done)} changes, last {done[-1]}" if done else "none"
    return check(not pending, f"migrations deployed ({migrator.project})", detail)


def _check_jobs(url: str) -> list[bool]:
    """The scheduled jobs' mode and last runs (once their change is deployed)."""
    with psycopg.connect(url, connect_timeout=5) as conn:
        deployed = conn.execute("select to_regclass('pgwarden.job_status')").fetchone()
        if not deployed or deployed[0] is None:
            return []
        return jobs_report(conn)


def _check_audit_retention(url: str) -> list[bool]:
    """Partitions past PGWARDEN_AUDIT_RETENTION_MONTHS, and the months ahead (once partitioned)."""
    try:
        months = settings.audit_retention_months()
    except SettingsError as exc:
        return [check(False, "audit retention", str(exc))]
    with psycopg.connect(url, connect_timeout=5) as conn:
        report = retention_report(conn, months)
    if report is None:
        return []
    return [
        check(report.ahead_ok, "audit partitions ahead", report.ahead_detail),
        check(not report.past, "audit retention", report.detail),
    ]
