"""`pgwarden openapi [--role TIER] [--schema S] [--out FILE]`: the OpenAPI 3.1 document that a
tier's requests see at `GET /` of the dialect, exported without a running server."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import psycopg

from webui.cli.commands.gen import exposed_schemas
from webui.cli.console import fail
from webui.core.roles import ANON_ROLE, TIERS, tier_role
from webui.ops.database import database_url
from webui.rest.openapi import document, privileges_statement
from webui.rest.schema import TABLES_SQL, build


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("openapi", help="export the OpenAPI document a tier sees")
    parser.add_argument(
        "--role", default="anon", help=f"anon or a tier ({', '.join(TIERS)}); default anon"
    )
    parser.add_argument("--schema", help="the exposed schema; default: the first of db-schemas")
    parser.add_argument("--server", default="/rest/v1", help="the servers[0].url to write")
    parser.add_argument("--out", help="write to FILE instead of standard output")
    parser.set_defaults(handler=export_openapi)


def role_of(name: str) -> str | None:
    if name in ("anon", ANON_ROLE):
        return ANON_ROLE
    tier = name.removeprefix("pgw_")
    return tier_role(tier) if tier in TIERS else None


def export_openapi(args: argparse.Namespace) -> int:
    role = role_of(args.role)
    if role is None:
        return fail(f"unknown role {args.role!r}: use anon or one of {', '.join(TIERS)}")
    schemas = exposed_schemas()
    schema = args.schema or schemas[0]
    with psycopg.connect(database_url(), connect_timeout=5) as conn:
        row = conn.execute(TABLES_SQL, {"schemas": [schema, *schemas]}).fetchone()
        assert row is not None
        cache = build(json.loads(row[0]), tuple(dict.fromkeys([schema, *schemas])))
        with conn.transaction(force_rollback=True):
            conn.execute("select set_config('role', %s, true)", [role])
            privileges = conn.execute(*privileges_statement(schema)).fetchone()
    assert privileges is not None
    body = document(cache, schema, json.loads(privileges[0]), args.server)
    text = json.dumps(body, indent=2, ensure_ascii=False) + "\n"
    if args.out:
        Path(args.out).write_text(text)
    else:
        print(text, end="")
    return 0
