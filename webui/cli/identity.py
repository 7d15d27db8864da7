"""Shared plumbing of the identity commands (`pgwarden user|group|perm|session`): one owner-level
transaction per command, stamped with a fresh correlation id for the audit trail, and database
refusals (rank guards, constraints) printed as one clear line."""

from __future__ import annotations

import argparse
import functools
import getpass
import secrets
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg

from webui.auth.config import AuthConfig
from webui.auth.passwords import PasswordPolicyError, check_policy, make_hasher
from webui.ops.database import database_url
from webui.web.correlation import uuid7

Handler = Callable[[argparse.Namespace], int]


@contextmanager
def owner_transaction() -> Iterator[psycopg.Connection]:
    """One transaction as the owner (DATABASE_URL), committed on success."""
    with psycopg.connect(database_url()) as conn:
        conn.execute("select pgwarden.begin_request(current_user, correlation_id => %s)", [uuid7()])
        yield conn


def refusals(handler: Handler) -> Handler:
    """Prints a database refusal (e.g. a rank guard) as `pgwarden: <message>` and exits 1."""

    @functools.wraps(handler)
    def wrapped(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except psycopg.Error as exc:
            message = exc.diag.message_primary or str(exc).splitlines()[0]
            print(f"pgwarden: {message}", file=sys.stderr)
            return 1

    return wrapped


def user_id(conn: psycopg.Connection, email: str) -> int:
    row = conn.execute("select auth.user_id_by_email(%s)", [email]).fetchone()
    if row is None or row[0] is None:
        raise LookupError(f"no user with email {email!r}")
    return int(row[0])


def read_password(args: argparse.Namespace) -> tuple[str | None, bool]:
    """(password, generated): from stdin, generated, or prompted twice on a TTY."""
    if getattr(args, "generate", False):
        return secrets.token_urlsafe(15), True
    if getattr(args, "password_stdin", False):
        return sys.stdin.readline().rstrip("\n"), False
    if not sys.stdin.isatty():
        raise LookupError("no TTY: use --password-stdin or --generate")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise LookupError("the passwords differ")
    return first, False


def hash_password(password: str) -> str:
    config = AuthConfig.from_env()
    try:
        value = check_policy(password, config)
    except PasswordPolicyError as exc:
        raise LookupError(str(exc)) from None
    return make_hasher(config).hash(value)


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> None:
    """Prints rows as aligned columns."""
    cells = [[("" if v is None else str(v)) for v in row] for row in [headers, *rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


def lookups(handler: Handler) -> Handler:
    """Prints a LookupError (unknown user, bad password input) as one line and exits 1."""

    @functools.wraps(handler)
    def wrapped(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except LookupError as exc:
            print(f"pgwarden: {exc.args[0]}", file=sys.stderr)
            return 1

    return wrapped


def command(handler: Handler) -> Handler:
    return lookups(refusals(handler))
