"""`pgwarden example load library`: migrate, create one demo account per tier, load the
deterministic demo data, print the credentials. Safe to re-run: nothing is loaded twice and
existing accounts keep their passwords unless --reset-passwords."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shlex
from dataclasses import dataclass

import psycopg
from argon2 import PasswordHasher

from webui.cli.console import OK, fail
from webui.cli.identity import owner_transaction
from webui.core import paths
from webui.ops.database import database_url
from webui.ops.migrations import Migrator
from webui.policies.model import TIERS

EXAMPLES = {"library": "library.example"}


@dataclass(frozen=True)
class Account:
    email: str
    tier: str
    password: str | None  # None: existed already, password unchanged


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("example", help="load an example application with demo data")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    load = actions.add_parser("load", help="migrate, create demo accounts, load demo data")
    load.add_argument("name", choices=sorted(EXAMPLES), help="the example")
    load.add_argument(
        "--reset-passwords", action="store_true", help="give existing demo accounts new passwords"
    )
    load.add_argument(
        "--base-url",
        default=os.environ.get("PGWARDEN_BASE_URL", "http://127.0.0.1:8000"),
        help="where `pgwarden serve` will answer, for the printed curl line",
    )
    load.set_defaults(handler=run_load)


def run_load(args: argparse.Namespace) -> int:
    folder = paths.project_dir() / "examples" / args.name
    data = folder / "demo_data.sql"
    if not data.is_file():
        return fail(f"{data} is missing: the example ships with a source checkout")
    url = database_url()
    Migrator(url, quiet=True).deploy()
    Migrator(url, top=folder / "migrations", quiet=True).deploy()
    with owner_transaction() as conn:
        accounts = [
            _account(conn, tier, EXAMPLES[args.name], args.reset_passwords) for tier in TIERS
        ]
        conn.execute(data.read_text().encode())
        counts = _counts(conn)
    print(f"{OK} example {args.name} loaded: " + ", ".join(f"{n} {t}" for t, n in counts))
    _print_accounts(accounts)
    _print_try_it(args.base_url.rstrip("/"), accounts)
    return 0


def _account(conn: psycopg.Connection, tier: str, domain: str, reset: bool) -> Account:
    email = f"{tier}@{domain}"
    password = secrets.token_urlsafe(12)
    digest = PasswordHasher().hash(password)
    row = conn.execute(
        "insert into auth.users (email, display_name, role, password_hash) "
        "values (%s, %s, %s, %s) on conflict (email) do nothing returning id",
        (email, f"Demo {tier}", tier, digest),
    ).fetchone()
    if row:
        return Account(email, tier, password)
    if reset:
        conn.execute(
            "update auth.users set password_hash = %s, is_active = true, "
            "locked_until = null, failed_login_count = 0 where email = %s",
            (digest, email),
        )
        return Account(email, tier, password)
    return Account(email, tier, None)


def _counts(conn: psycopg.Connection) -> list[tuple[str, int]]:
    tables = ["branches", "patrons", "items", "loans"]
    row = (
        conn.execute(
            "select " + ", ".join(f"(select count(*) from library.{t})" for t in tables)
        ).fetchone()
        or ()
    )
    return list(zip(tables, (int(n) for n in row), strict=False))


def _print_accounts(accounts: list[Account]) -> None:
    print("Demo accounts (one per tier):")
    for a in accounts:
        secret = a.password or "(exists; unchanged — use --reset-passwords for a new one)"
        print(f"  {a.tier:<14} {a.email:<32} {secret}")
    print("These are demo credentials: do not load the example into a production database.")


def curl_line(base: str, email: str, password: str) -> str:
    """Sign in (a session cookie in a jar), then read the first page of the loans this account
    may see, with the headers: Content-Range tells how many there are in all."""
    body = shlex.quote(json.dumps({"email": email, "password": password}))
    jar = "/tmp/pgwarden-demo.cookies"  # noqa: S108 (a demo cookie jar, printed for the user)
    return (
        f"curl -sf -c {jar} -H 'Content-Type: application/json' -d {body} {base}/auth/login"
        f" >/dev/null && curl -s -b {jar} -H 'Prefer: count=exact' -D -"
        f" '{base}/rest/v1/loans?select=id,branch_id,status'"
    )


def _print_try_it(base: str, accounts: list[Account]) -> None:
    print(f"REST API: {base}/rest/v1/ (Swagger UI: {base}/docs), once `pgwarden serve` runs.")
    staff = next((a for a in accounts if a.tier == "staff"), None)
    if staff is None:
        return
    password = staff.password or "PASSWORD"
    print(f"Try it as {staff.email} (the loans of their own branches):")
    print(f"  {curl_line(base, staff.email, password)}")
