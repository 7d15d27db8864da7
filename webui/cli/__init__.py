"""The `pgwarden` command line. Each command group lives in `webui.cli.commands.<name>` and exposes
`register(subparsers)`; adding a group is one line in COMMAND_MODULES."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from webui import __version__
from webui.core.settings import SettingsError
from webui.ops.backup import BackupError
from webui.ops.cluster import ClusterError
from webui.ops.migrations import MigrationError

COMMAND_MODULES = [
    "db",
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
    "jobs",
    "gen",
    "openapi",
    "init",
    "backup",
]
EXPECTED_ERRORS = (BackupError, ClusterError, MigrationError, SettingsError)


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
    try:
        return int(args.handler(args) or 0)
    except EXPECTED_ERRORS as exc:
        print(f"pgwarden: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
