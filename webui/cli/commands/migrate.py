"""`pgwarden migrate status|deploy|revert|verify`: the sqitch plan, applied through yoyo."""

from __future__ import annotations

import argparse
import os

import psycopg
from psycopg import sql

from webui.cli.console import BAD, OK
from webui.ops.database import database_url
from webui.ops.migrations import Migrator


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("migrate", help="deploy, revert and verify the migration plan")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("status", help="list changes, deployed or pending").set_defaults(
        handler=show_status
    )
    deploy = actions.add_parser("deploy", help="apply pending changes in plan order")
    deploy.add_argument("--to", metavar="CHANGE", help="stop after this change")
    deploy.set_defaults(handler=deploy_changes)
    revert = actions.add_parser("revert", help="roll changes back in reverse order")
    revert.add_argument("--to", metavar="CHANGE", help="keep this change and those before it")
    revert.set_defaults(handler=revert_changes)
    actions.add_parser(
        "verify", help="run the verify script of every deployed change"
    ).set_defaults(handler=verify_changes)


def _migrator() -> Migrator:
    return Migrator(database_url())


def show_status(args: argparse.Namespace) -> int:
    migrator = _migrator()
    deployed = set(migrator.deployed())
    for change in migrator.changes:
        state = "deployed" if change.name in deployed else "pending "
        print(f"  {state}  {change.name:<28} {change.note}")
    pending = len(migrator.changes) - len(deployed)
    print(f"{len(deployed)} deployed, {pending} pending")
    return 0


def deploy_changes(args: argparse.Namespace) -> int:
    migrator = _migrator()
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
    count = _migrator().revert(to=args.to)
    print(f"{count} change(s) reverted." if count else "Nothing to revert.")
    return 0


def verify_changes(args: argparse.Namespace) -> int:
    failures = 0
    for name, error in _migrator().verify():
        print(f"  {BAD if error else OK} {name}" + (f": {error}" if error else ""))
        failures += bool(error)
    print("Verify failed." if failures else "Verify successful.")
    return 1 if failures else 0
