"""`pgwarden user create|list|set-role|set-password|deactivate|activate|delete`, and the R4
emergency actions `reset-password|unlock|disable-mfa|promote` (webui.cli.commands.emergency).

Runs as the owner (DATABASE_URL), like a DBA in psql: the triggers of auth.users audit every
change and revoke sessions where the doctrine asks; the last-administrator guard applies."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any

import psycopg

from webui.cli.commands.emergency import register_user_actions
from webui.cli.identity import (
    command,
    hash_password,
    owner_transaction,
    read_password,
    table,
    user_id,
)
from webui.core.roles import TIERS


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("user", help="manage accounts (audited, sessions revoked)")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="create an account")
    create.add_argument("--email", required=True)
    create.add_argument("--role", choices=TIERS, default="user")
    create.add_argument("--display-name", default="")
    create.add_argument("--group", action="append", default=[], help="join this group (repeat)")
    _password_options(create, allow_none=True)
    create.set_defaults(handler=create_user)
    actions.add_parser("list", help="list accounts").set_defaults(handler=list_users)
    show = actions.add_parser(
        "show", help="one account: tier, groups, effective permissions, sessions, lock state"
    )
    show.add_argument("--email", required=True)
    show.set_defaults(handler=show_user)
    role = actions.add_parser("set-role", help="change a tier (revokes the user's sessions)")
    role.add_argument("--email", required=True)
    role.add_argument("role", choices=TIERS)
    role.set_defaults(handler=set_role)
    password = actions.add_parser("set-password", help="set a password (revokes all sessions)")
    password.add_argument("--email", required=True)
    password.add_argument(
        "--temporary", action="store_true", help="the user must change it at the next sign-in"
    )
    _password_options(password, allow_none=False)
    password.set_defaults(handler=set_password)
    for name, handler, text in (
        ("deactivate", deactivate, "deactivate (revokes all sessions)"),
        ("activate", activate, "reactivate"),
    ):
        sub = actions.add_parser(name, help=text)
        sub.add_argument("--email", required=True)
        sub.set_defaults(handler=handler)
    register_user_actions(actions)
    delete = actions.add_parser("delete", help="delete an account (sessions revoked first)")
    delete.add_argument("--email", required=True)
    delete.add_argument("--yes", action="store_true", help="confirm")
    delete.set_defaults(handler=delete_user)


def _password_options(parser: argparse.ArgumentParser, allow_none: bool) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--password-stdin", action="store_true", help="read it from stdin")
    group.add_argument(
        "--generate",
        action="store_true",
        help="generate one, print it once, require a change at sign-in",
    )
    if allow_none:
        group.add_argument("--no-password", action="store_true", help="cannot sign in yet")


@command
def create_user(args: argparse.Namespace) -> int:
    password, generated = (None, False) if args.no_password else read_password(args)
    password_hash = hash_password(password) if password else None
    with owner_transaction() as conn:
        row = conn.execute(
            "insert into auth.users (email, display_name, role, password_hash,"
            " must_change_password) values (%s, %s, %s, %s, %s) returning id, email",
            [args.email, args.display_name, args.role, password_hash, generated],
        ).fetchone()
        assert row is not None
        for group in args.group:
            _join(conn, row[0], group)
    print(f"created user {row[0]} <{row[1]}> ({args.role})")
    if generated:
        print(f"temporary password (shown once, must be changed at sign-in): {password}")
    return 0


def _join(conn: psycopg.Connection, uid: int, group: str) -> None:
    inserted = conn.execute(
        "insert into auth.user_groups (user_id, group_id) select %s, g.id from auth.groups g"
        " where g.name = %s on conflict do nothing returning group_id",
        [uid, group],
    ).fetchone()
    exists = conn.execute("select 1 from auth.groups where name = %s", [group]).fetchone()
    if inserted is None and exists is None:
        raise LookupError(f"no group named {group!r}")


@command
def list_users(args: argparse.Namespace) -> int:
    with owner_transaction() as conn:
        rows = conn.execute(
            "select u.id, u.email, u.role, case when u.is_active then 'yes' else 'no' end,"
            " case when u.locked_until > auth.now() then u.locked_until::timestamptz(0)::text end,"
            " (select string_agg(g.name, ',' order by g.name) from auth.user_groups ug"
            "   join auth.groups g on g.id = ug.group_id where ug.user_id = u.id),"
            " (select count(*) from auth.sessions s where s.user_id = u.id"
            "   and s.revoked_at is null and s.idle_expires_at > auth.now()"
            "   and s.absolute_expires_at > auth.now())"
            " from auth.users u order by u.id"
        ).fetchall()
    table(rows, ["id", "email", "role", "active", "locked_until", "groups", "sessions"])
    return 0


_SHOW_SQL = """
select u.id, u.email, u.display_name, u.role,
       case when not u.is_active then 'deactivated'
            when u.locked_until > auth.now() then 'locked until '
                 || u.locked_until::timestamptz(0)::text
            else 'not locked' end,
       u.failed_login_count, u.must_change_password, u.password_hash is not null,
       coalesce((select array_agg(g.name order by g.name) from auth.user_groups ug
                   join auth.groups g on g.id = ug.group_id where ug.user_id = u.id), '{}')
  from auth.users u where u.id = %s
"""
_PERMS_SQL = """
select coalesce(array_agg(p.codename order by p.codename), '{}')
  from auth.permissions p where auth.has_perm(p.codename)
"""
_SESSIONS_SQL = """
select s.id, s.created_at::timestamptz(0), s.last_seen_at::timestamptz(0),
       host(s.ip), s.absolute_expires_at::timestamptz(0)
  from auth.sessions s
 where s.user_id = %s and s.revoked_at is null and s.idle_expires_at > auth.now()
   and s.absolute_expires_at > auth.now()
 order by s.id
"""


@command
def show_user(args: argparse.Namespace) -> int:
    with owner_transaction() as conn:
        uid = user_id(conn, args.email)
        row = conn.execute(_SHOW_SQL, [uid]).fetchone()
        assert row is not None
        conn.execute(  # has_perm() asks about the user in the claims
            "select pgwarden.begin_request(current_user, %s::jsonb)",
            [json.dumps({"sub": str(uid)})],
        )
        perms = conn.execute(_PERMS_SQL).fetchone()
        sessions = conn.execute(_SESSIONS_SQL, [uid]).fetchall()
    _print_user(row, perms[0] if perms else [], sessions)
    return 0


def _print_user(row: Sequence[Any], perms: list[str], sessions: list[Any]) -> None:
    uid, email, name, tier, lock, failures, must_change, has_password, groups = row
    print(f"user {uid} <{email}>" + (f" ({name})" if name else ""))
    print(f"  tier:        {tier}")
    print(f"  groups:      {', '.join(groups) or '-'}")
    print(f"  state:       {lock}; {failures} failed login(s) in a row")
    password = "set" if has_password else "none (cannot sign in)"
    print(f"  password:    {password}" + ("; must be changed at sign-in" if must_change else ""))
    print(f"  permissions: {', '.join(perms) or '-'}")
    print(f"  sessions:    {len(sessions)} live")
    for sid, created, seen, ip, expires in sessions:
        print(f"    {sid}: since {created}, last seen {seen}, from {ip or '-'}, until {expires}")


def _update(email: str, assignments: str, params: list[object]) -> None:
    with owner_transaction() as conn:
        uid = user_id(conn, email)
        conn.execute(f"update auth.users set {assignments} where id = %s", [*params, uid])


@command
def set_role(args: argparse.Namespace) -> int:
    _update(args.email, "role = %s", [args.role])
    print(f"{args.email}: tier is now {args.role}; their sessions were revoked")
    return 0


@command
def set_password(args: argparse.Namespace) -> int:
    password, generated = read_password(args)
    assert password is not None
    _update(
        args.email,
        "password_hash = %s, must_change_password = %s",
        [hash_password(password), args.temporary or generated],
    )
    print(f"{args.email}: password set; every session of theirs was revoked")
    if generated:
        print(f"temporary password (shown once, must be changed at sign-in): {password}")
    return 0


@command
def deactivate(args: argparse.Namespace) -> int:
    _update(args.email, "is_active = false", [])
    print(f"{args.email}: deactivated; their sessions were revoked")
    return 0


@command
def activate(args: argparse.Namespace) -> int:
    _update(args.email, "is_active = true", [])
    print(f"{args.email}: active")
    return 0


@command
def delete_user(args: argparse.Namespace) -> int:
    if not args.yes:
        raise LookupError("deleting an account cannot be undone: add --yes")
    with owner_transaction() as conn:
        uid = user_id(conn, args.email)
        conn.execute("delete from auth.users where id = %s", [uid])
    print(f"{args.email}: deleted (sessions revoked, audit kept)")
    return 0
