"""`pgwarden bootstrap`: what the compose file's one-shot `migrate` service runs. Deploys the
plan (as `pgwarden migrate deploy`), then, once, creates the first administrator named by
`PGWARDEN_BOOTSTRAP_ADMIN_EMAIL` with a one-time password that is printed to the log and must be
changed at the first sign-in; `PGWARDEN_BOOTSTRAP_EXAMPLE=library` also loads that example.
Re-running it changes nothing that exists."""

from __future__ import annotations

import argparse
import os
import secrets

from webui.cli.commands.example import run_load
from webui.cli.commands.migrate import deploy_changes
from webui.cli.identity import command, hash_password, owner_transaction

ADMIN_EMAIL = "PGWARDEN_BOOTSTRAP_ADMIN_EMAIL"
EXAMPLE = "PGWARDEN_BOOTSTRAP_EXAMPLE"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bootstrap",
        help=f"migrate, then (once) the first administrator from {ADMIN_EMAIL}",
    )
    parser.set_defaults(handler=run_bootstrap)


def run_bootstrap(args: argparse.Namespace) -> int:
    deploy_changes(argparse.Namespace(to=None))
    email = os.environ.get(ADMIN_EMAIL, "").strip()
    if email and first_administrator(argparse.Namespace(email=email)):
        return 1
    example = os.environ.get(EXAMPLE, "").strip()
    if example:
        base = os.environ.get("PGWARDEN_BASE_URL", "http://127.0.0.1:8000")
        return run_load(argparse.Namespace(name=example, reset_passwords=False, base_url=base))
    if not email:
        print(
            "No administrator requested: create one with `docker compose run --rm migrate "
            "pgwarden user create --role administrator --email you@example.com --generate`."
        )
    return 0


@command
def first_administrator(args: argparse.Namespace) -> int:
    """Creates the account unless it exists; the password is shown once, here only."""
    password = secrets.token_urlsafe(15)
    with owner_transaction() as conn:
        row = conn.execute(
            "insert into auth.users (email, display_name, role, password_hash,"
            " must_change_password) values (%s, 'Administrator', 'administrator', %s, true)"
            " on conflict (email) do nothing returning id, email",
            [args.email, hash_password(password)],
        ).fetchone()
    if row is None:
        print(f"bootstrap: {args.email} exists already; nothing changed.")
        return 0
    print(f"bootstrap: created administrator {row[0]} <{row[1]}>.")
    print(f"bootstrap: one-time password (shown once, must be changed at sign-in): {password}")
    return 0
