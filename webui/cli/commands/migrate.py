"""`pgwarden migrate status|deploy|revert|verify|bundle`: sqitch plans applied through yoyo,
recorded in sqitch's own registry (so stock `sqitch` sees the same state)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import psycopg
from psycopg import sql

from webui.cli.console import BAD, OK
from webui.ops.database import database_url
from webui.ops.migrations import (
    Migrator,
    bundle_released,
    project_dirs,
    project_top,
    registered_projects,
)
from webui.ops.sqitch_registry import DeployedProject

NOT_CONFIRMED = 2


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("migrate", help="deploy, revert and verify the migration plan")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    status = _with_project(actions.add_parser("status", help="list changes, deployed or pending"))
    status.add_argument("--all", action="store_true", help="every project in the database")
    status.set_defaults(handler=show_status)
    deploy = _with_project(actions.add_parser("deploy", help="apply pending changes in order"))
    deploy.add_argument("--to", metavar="CHANGE", help="stop after this change")
    deploy.set_defaults(handler=deploy_changes)
    revert = _with_project(actions.add_parser("revert", help="roll changes back in reverse order"))
    revert.add_argument("--to", metavar="CHANGE", help="keep this change and those before it")
    revert.add_argument("-y", "--yes", action="store_true", help="revert without asking")
    revert.set_defaults(handler=revert_changes)
    verify = _with_project(
        actions.add_parser("verify", help="run deployed changes' verify scripts")
    )
    verify.set_defaults(handler=verify_changes)
    bundle = actions.add_parser(
        "bundle", help="make the released changes' scripts self-contained (after `sqitch tag`)"
    )
    bundle.add_argument("--dir", type=Path, metavar="DIR", help="a sqitch project's folder")
    bundle.set_defaults(handler=bundle_scripts)


def _with_project(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--project", metavar="P", help="a sqitch project by name (default: pgwarden)"
    )
    where.add_argument("--dir", type=Path, metavar="DIR", help="a sqitch project's folder")
    return parser


def _migrator(args: argparse.Namespace) -> Migrator:
    url = database_url()
    if getattr(args, "dir", None):
        return Migrator(url, top=args.dir.resolve())
    if getattr(args, "project", None):
        return Migrator(url, top=project_top(args.project))
    return Migrator(url)


def show_status(args: argparse.Namespace) -> int:
    if not args.all:
        _print_plan_status(_migrator(args))
        return 0
    url = database_url()
    registered = {p.project: p for p in registered_projects(url)}
    known = project_dirs()
    for name in sorted({*registered, "pgwarden"}):
        print(f"# {name}")
        if name in known:
            _print_plan_status(Migrator(url, top=known[name]))
        else:
            _print_registry_only(registered[name])
    return 0


def _print_plan_status(migrator: Migrator) -> None:
    deployed = set(migrator.deployed_ids())
    for change in migrator.changes:
        state = "deployed" if change.id in deployed else "pending "
        print(f"  {state}  {change.format_name_with_tags:<28} {change.note}")
    count = sum(change.id in deployed for change in migrator.changes)
    print(f"{count} deployed, {len(migrator.changes) - count} pending")


def _print_registry_only(project: DeployedProject) -> None:
    for _change_id, name in project.changes:
        print(f"  deployed  {name}")
    print(f"{len(project.changes)} deployed (plan not found here: pass --dir to manage it)")


def deploy_changes(args: argparse.Namespace) -> int:
    migrator = _migrator(args)
    count = migrator.deploy(to=args.to)
    print(f"{count} change(s) deployed." if count else "Nothing to deploy: up to date.")
    _set_authenticator_password(migrator.database_url)
    return 0


def _set_authenticator_password(database_url: str) -> None:
    """Give `authenticator` the password in PGWARDEN_AUTHENTICATOR_PASSWORD, when set."""
    password = os.environ.get("PGWARDEN_AUTHENTICATOR_PASSWORD")
    if not password:
        return
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("alter role authenticator password {}").format(sql.Literal(password)))


def revert_changes(args: argparse.Namespace) -> int:
    migrator = _migrator(args)
    if not args.to and not args.yes:
        count = len(migrator.deployed_ids())
        if not count:
            print("Nothing to revert.")
            return 0
        question = f"Revert all {count} deployed change(s) of {migrator.project}?"
        if not sys.stdin.isatty():
            print(
                f"pgwarden: {question[:-1]} needs confirmation: add --yes (no TTY to ask on)",
                file=sys.stderr,
            )
            return NOT_CONFIRMED
        if input(f"{question} [y/N] ").strip().lower() not in ("y", "yes"):
            print("Nothing reverted.")
            return NOT_CONFIRMED
    count = migrator.revert(to=args.to)
    print(f"{count} change(s) reverted." if count else "Nothing to revert.")
    return 0


def verify_changes(args: argparse.Namespace) -> int:
    results = _migrator(args).verify()
    if not results:
        print("Nothing deployed: nothing to verify.")
        return 1
    failures = 0
    for name, error in results:
        print(f"  {BAD if error else OK} {name}" + (f": {error}" if error else ""))
        failures += bool(error)
    print("Verify failed." if failures else "Verify successful.")
    return 1 if failures else 0


def bundle_scripts(args: argparse.Namespace) -> int:
    """Inline the `\\ir` includes of every released script, in place; leave bundled ones."""
    top = args.dir.resolve() if args.dir else None
    results = bundle_released(top)
    for result in results:
        if result.state == "bundled":
            print(f"  bundled  {result.path}")
    count = sum(result.state == "bundled" for result in results)
    kept = len(results) - count
    print(
        f"{count} script(s) bundled, {kept} already bundled (left as released)."
        if count
        else f"Nothing to bundle: {kept} released script(s) already bundled."
    )
    return 0
