"""`pgwarden group create|list|delete|add-user|remove-user` (audited by triggers)."""

from __future__ import annotations

import argparse

import psycopg

from webui.cli.identity import command, owner_transaction, table, user_id


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("group", help="manage groups and memberships (audited)")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="create a group")
    create.add_argument("name")
    create.add_argument("--description", default="")
    create.set_defaults(handler=create_group)
    actions.add_parser("list", help="list groups").set_defaults(handler=list_groups)
    delete = actions.add_parser("delete", help="delete a group")
    delete.add_argument("name")
    delete.set_defaults(handler=delete_group)
    for name, handler in (("add-user", add_user), ("remove-user", remove_user)):
        sub = actions.add_parser(name, help=f"{name.split('-')[0]} a member")
        sub.add_argument("name")
        sub.add_argument("--email", required=True)
        sub.set_defaults(handler=handler)


def _group_id(conn: psycopg.Connection, name: str) -> int:
    row = conn.execute("select id from auth.groups where name = %s", [name]).fetchone()
    if row is None:
        raise LookupError(f"no group named {name!r}")
    return int(row[0])


@command
def create_group(args: argparse.Namespace) -> int:
    with owner_transaction() as conn:
        conn.execute(
            "insert into auth.groups (name, description) values (%s, %s)",
            [args.name, args.description],
        )
    print(f"created group {args.name}")
    return 0


@command
def list_groups(args: argparse.Namespace) -> int:
    with owner_transaction() as conn:
        rows = conn.execute(
            "select g.name, (select count(*) from auth.user_groups ug where ug.group_id = g.id),"
            " (select count(*) from auth.group_permissions gp where gp.group_id = g.id),"
            " array_to_string(g.auto_actions, ','), g.description"
            " from auth.groups g order by g.name"
        ).fetchall()
    table(rows, ["name", "members", "permissions", "auto_actions", "description"])
    return 0


@command
def delete_group(args: argparse.Namespace) -> int:
    with owner_transaction() as conn:
        conn.execute("delete from auth.groups where id = %s", [_group_id(conn, args.name)])
    print(f"deleted group {args.name}")
    return 0


@command
def add_user(args: argparse.Namespace) -> int:
    with owner_transaction() as conn:
        conn.execute(
            "insert into auth.user_groups (user_id, group_id) values (%s, %s)"
            " on conflict do nothing",
            [user_id(conn, args.email), _group_id(conn, args.name)],
        )
    print(f"{args.email} is a member of {args.name}")
    return 0


@command
def remove_user(args: argparse.Namespace) -> int:
    with owner_transaction() as conn:
        conn.execute(
            "delete from auth.user_groups where user_id = %s and group_id = %s",
            [user_id(conn, args.email), _group_id(conn, args.name)],
        )
    print(f"{args.email} is not a member of {args.name}")
    return 0
