"""R4, the emergency commands, for the day the last administrator is locked out or has lost their
second factor. They run as the owner (DATABASE_URL), each as one transaction of
`auth.emergency_recovery()` that writes exactly one `emergency_recovery` audit event:

    pgwarden user reset-password --email E --reason R [--yes]   20-character temporary password
    pgwarden user unlock --email E --reason R [--yes]           clears the lock and the counter
    pgwarden user disable-mfa --email E --reason R [--yes]      also ends mfa_verified sessions
    pgwarden user promote --email E --to-tier T --reason R [--yes]
    pgwarden user emergency-access --email E --reason R [--ttl-minutes 15] [--yes]

Each prints a red banner saying what it is about to do, needs a reason of at least 8 trimmed
characters and an interactive `yes` (or --yes); with no TTY and no --yes it exits 2.
Doctrine: docs/recovery.md (R4)."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import secrets
import socket
import string
import sys

import psycopg

from webui.cli.console import OK, fail
from webui.cli.identity import hash_password
from webui.core.roles import TIERS
from webui.ops.database import database_url

RED, RESET = "\033[1;31m", "\033[0m"
ACTIONS = {
    "reset-password": "give {email} a temporary password, force a change and end all sessions",
    "unlock": "clear the lock and the failure count of {email} (sessions are left alone)",
    "disable-mfa": "remove the second factor of {email} and end its mfa_verified sessions",
    "promote": "move {email} to the tier {tier} and end all its sessions",
    "emergency-access": "print a single-use sign-in link for {email}, valid {ttl} minutes",
}


def register_user_actions(actions: argparse._SubParsersAction) -> None:
    """The R4 actions of `pgwarden user` (called by webui.cli.commands.user)."""
    for name in ACTIONS:
        text = ACTIONS[name].format(email="a user", tier="T", ttl="N")
        sub = actions.add_parser(name, help=f"R4 emergency: {text}")
        sub.add_argument("--email", required=True)
        sub.add_argument("--reason", required=True, help="why (at least 8 characters; audited)")
        sub.add_argument("--yes", action="store_true", help="do not ask for confirmation")
        if name == "promote":
            sub.add_argument("--to-tier", required=True, choices=TIERS)
        if name == "emergency-access":
            sub.add_argument("--ttl-minutes", type=int, default=15, help="1 to 60 (default 15)")
        sub.set_defaults(handler=run_emergency, operation=name)


def _banner(text: str) -> None:
    colour = sys.stderr.isatty() or os.environ.get("FORCE_COLOR")
    line = f"EMERGENCY RECOVERY: about to {text}."
    frame = "!" * min(len(line) + 4, 100)
    body = f"{frame}\n! {line}\n! This is audited as emergency_recovery with your name.\n{frame}"
    print(f"{RED}{body}{RESET}" if colour else body, file=sys.stderr)


def _confirmed(args: argparse.Namespace) -> bool | None:
    """True to go on; False if the operator said no; None without a TTY (exit 2)."""
    if args.yes:
        return True
    if not sys.stdin.isatty():
        return None
    return input("Type yes to continue: ").strip() == "yes"


def _argv() -> list[str]:
    """The command line with the reason's value left out (the reason is audited apart)."""
    out, skip = [], False
    for word in sys.argv[1:]:
        if skip:
            out.append("…")
            skip = False
        elif word == "--reason":
            out.append(word)
            skip = True
        elif word.startswith("--reason="):
            out.append("--reason=…")
        else:
            out.append(word)
    return out


def _os_actor() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()}"


def run_emergency(args: argparse.Namespace) -> int:
    if len(args.reason.strip()) < 8:
        return fail("--reason must be at least 8 characters (it is audited): say why")
    ttl = max(1, min(60, getattr(args, "ttl_minutes", 15)))
    _banner(
        ACTIONS[args.operation].format(email=args.email, tier=getattr(args, "to_tier", ""), ttl=ttl)
    )
    answer = _confirmed(args)
    if answer is None:
        print("pgwarden: no TTY to confirm on: add --yes to run without asking", file=sys.stderr)
        return 2
    if not answer:
        return fail("not confirmed: nothing changed")
    password = _temporary_password() if args.operation == "reset-password" else None
    token = secrets.token_urlsafe(32) if args.operation == "emergency-access" else None
    try:
        with psycopg.connect(database_url()) as conn:
            conn.execute(
                "select auth.emergency_recovery(%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    args.operation,
                    args.email,
                    args.reason,
                    _os_actor(),
                    json.dumps(_argv()),
                    hash_password(password) if password else None,
                    getattr(args, "to_tier", None),
                    token,
                    ttl,
                ],
            )
    except psycopg.Error as exc:
        return fail(exc.diag.message_primary or str(exc))
    print(f"{OK} {args.operation} done for {args.email} (audited as emergency_recovery)")
    if password:
        print(f"Temporary password (shown once; it must be changed at sign-in): {password}")
    if token:
        base = os.environ.get("PGWARDEN_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
        print(f"Single-use link, valid {ttl} minutes: {base}/admin/reset-password/{token}")
    return 0


def _temporary_password() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(20))
