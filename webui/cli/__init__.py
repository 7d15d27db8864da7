"""The `pgwarden` command line. Each command group lives in `webui.cli.commands.<name>` and exposes
`register(subparsers)`; adding a group is one line in COMMAND_MODULES."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

import psycopg

from webui import __version__
from webui.cli.identity import set_operation
from webui.core.settings import SettingsError
from webui.ops.backup import BackupError
from webui.ops.cluster import ClusterError
from webui.ops.migrations import MigrationError

COMMAND_MODULES = [
    "db",
    "dbshell",
    "migrate",
    "serve",
    "doctor",
    "audit",
    "user",
    "group",
    "perm",
    "session",
    "policies",
    "authz",
    "example",
    "rest",
    "bootstrap",
    "secret",
    "mail",
    "jobs",
    "gen",
    "openapi",
    "init",
    "backup",
]
EXPECTED_ERRORS = (BackupError, ClusterError, MigrationError, SettingsError)


def unreachable(exc: psycopg.OperationalError) -> str:
    """One line: which server could not be reached, why, and what to do."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    reason = lines[0] if lines else type(exc).__name__
    where = "DATABASE_URL" if os.environ.get("DATABASE_URL") else "the embedded cluster"
    fix = (
        "check DATABASE_URL (host, port, user, password) and that the server runs"
        if os.environ.get("DATABASE_URL")
        else "start it with `pgwarden db start` (or `make run`), or export DATABASE_URL"
    )
    return f"cannot connect to the database ({where}): {reason}; {fix}"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pgwarden",
        description="pgwarden: an admin and REST framework in which PostgreSQL is the engine. "
        "Every command honours DATABASE_URL; without it the embedded cluster is used.",
    )
    parser.add_argument("--version", action="version", version=f"pgwarden {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(f"webui.cli.commands.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    set_operation(" ".join(filter(None, [args.command, getattr(args, "action", None)])))
    try:
        return int(args.handler(args) or 0)
    except EXPECTED_ERRORS as exc:
        print(f"pgwarden: {exc}", file=sys.stderr)
        return 1
    except psycopg.OperationalError as exc:
        print(f"pgwarden: {unreachable(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
