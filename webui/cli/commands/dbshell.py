"""`pgwarden dbshell [-- PSQL ARGS]`: psql on the configured database (DATABASE_URL, else the
embedded cluster), as Django's `manage.py dbshell` does. Arguments after `--` go to psql."""

from __future__ import annotations

import argparse
import os
import shutil

from webui.cli.console import fail
from webui.ops.database import database_url


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("dbshell", help="psql on the configured database")
    parser.add_argument("psql_args", nargs=argparse.REMAINDER, help="passed to psql (after --)")
    parser.set_defaults(handler=run_dbshell)


def run_dbshell(args: argparse.Namespace) -> int:
    url = database_url()
    psql = shutil.which("psql")
    if psql is None:
        return fail("psql is not installed: `apt-get install postgresql-client`, then try again")
    extra = args.psql_args[1:] if args.psql_args[:1] == ["--"] else args.psql_args
    os.execv(psql, [psql, "--dbname", url, *extra])  # noqa: S606 (psql replaces this process)
    return 0  # not reached: psql replaced this process
