"""`pgwarden gen types typescript [--schema S] [--out FILE]`: the `Database` type of
`@supabase/postgrest-js` for the exposed schemas (docs/operations.md#typed-clients)."""

from __future__ import annotations

import argparse
from pathlib import Path

import psycopg

from webui.cli.console import fail
from webui.cli.typescript import generate
from webui.ops.database import database_url
from webui.rest import config as rest_config


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("gen", help="generate typed clients (TypeScript types)")
    kinds = parser.add_subparsers(dest="kind", metavar="KIND", required=True)
    types = kinds.add_parser("types", help="types for a client library")
    languages = types.add_subparsers(dest="language", metavar="LANGUAGE", required=True)
    typescript = languages.add_parser(
        "typescript", help="a supabase-style `Database` type for @supabase/postgrest-js"
    )
    typescript.add_argument(
        "--schema",
        action="append",
        help="a schema to include (repeatable); default: the exposed ones (PGRST_DB_SCHEMAS)",
    )
    typescript.add_argument("--out", help="write to FILE instead of standard output")
    typescript.set_defaults(handler=gen_typescript)


def exposed_schemas() -> list[str]:
    try:
        return list(rest_config.load().db_schemas)
    except rest_config.ConfigError:
        return ["api"]


def gen_typescript(args: argparse.Namespace) -> int:
    schemas = args.schema or exposed_schemas()
    with psycopg.connect(database_url(), connect_timeout=5) as conn:
        present = {
            row[0]
            for row in conn.execute(
                "select nspname from pg_namespace where nspname = any(%s)", [schemas]
            )
        }
        missing = [s for s in schemas if s not in present]
        if missing:
            return fail(f"no schema {', '.join(missing)} in this database: check --schema")
        text = generate(conn, schemas)
    if args.out:
        Path(args.out).write_text(text)
    else:
        print(text, end="")
    return 0
