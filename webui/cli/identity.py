"""Shared plumbing of the identity commands (`pgwarden user|group|perm|session`): one owner-level
transaction per command, stamped with a fresh correlation id for the audit trail, and database
refusals (rank guards, constraints) printed as one clear line."""

from __future__ import annotations

import argparse
import functools
import getpass
import os
import secrets
import socket
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import psycopg

from webui.auth.config import AuthConfig
from webui.auth.passwords import PasswordPolicyError, check_policy, make_hasher
from webui.ops.database import database_url
from webui.web.correlation import uuid7

Handler = Callable[[argparse.Namespace], int]


_OPERATION: ContextVar[str] = ContextVar("cli_operation", default="")
# The command line's request context: pgwarden.begin_command() (sql/audit/45_cli_context.sql)
# starts it through pgwarden.begin_request() and adds the OS actor and the operation.
_CONTEXT_SQL = "select pgwarden.begin_command(%s, %s, %s)"


def set_operation(name: str) -> None:
    """The running command, e.g. "user create" (set once by `webui.cli.main`)."""
    _OPERATION.set(name)


def os_actor() -> str:
    """`user@host` of the person running the command."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = f"uid{os.getuid()}"
    return f"{user}@{socket.gethostname()}"


def stamp(conn: psycopg.Connection) -> None:
    """Set the command's correlation id, OS actor and operation for this transaction."""
    conn.execute(_CONTEXT_SQL, [os_actor(), _OPERATION.get(), uuid7()])


@contextmanager
def owner_transaction() -> Iterator[psycopg.Connection]:
    """One transaction as the owner (DATABASE_URL), committed on success, stamped with the
    command's correlation id, OS actor (user@host) and operation for the audit trail."""
    with psycopg.connect(database_url()) as conn:
        stamp(conn)
        yield conn


def refusals(handler: Handler) -> Handler:
    """Prints a database refusal (e.g. a rank guard) as `pgwarden: <message>` and exits 1; a known
    constraint in the words of pgwarden.constraint_messages."""

    @functools.wraps(handler)
    def wrapped(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except psycopg.OperationalError:
            raise  # webui.cli.main says which server is unreachable
        except psycopg.Error as exc:
            print(f"pgwarden: {refusal(exc)}", file=sys.stderr)
            return 1

    return wrapped


def refusal(exc: psycopg.Error) -> str:
    """The error in one line: the known constraint's message and hint, else PostgreSQL's."""
    diag = exc.diag
    message = diag.message_primary or str(exc).splitlines()[0]
    if not diag.constraint_name:
        return message
    known = constraint_message(diag.schema_name, diag.table_name, diag.constraint_name)
    if known is None:
        return message
    text, hint = known
    return f"{text} ({hint})" if hint else text


def constraint_message(
    schema: str | None, table: str | None, constraint: str
) -> tuple[str, str | None] | None:
    """pgwarden.constraint_message(), on a fresh connection (the failed one is aborted)."""
    try:
        with psycopg.connect(database_url(), connect_timeout=5) as conn:
            row = conn.execute(
                "select message, hint from pgwarden.constraint_message(%s, %s, %s)",
                [schema, table, constraint],
            ).fetchone()
    except psycopg.Error:
        return None  # an older schema without the table: the raw message stands
    return (row[0], row[1]) if row else None


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
