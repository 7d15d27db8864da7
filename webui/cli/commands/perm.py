"""`pgwarden perm grant|revoke|list`: permission codenames `<resource>.<action>`, granted to a
user (--email) or a group (--group); `list --email` prints the effective set."""

from __future__ import annotations

import argparse
import json

import psycopg

from webui.cli.identity import command, owner_transaction, table, user_id


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("perm", help="grant, revoke and list permissions (audited)")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, handler in (("grant", grant), ("revoke", revoke)):
        sub = actions.add_parser(name, help=f"{name} a permission")
        sub.add_argument("codename", help="e.g. books.change")
        holder = sub.add_mutually_exclusive_group(required=True)
        holder.add_argument("--email")
        holder.add_argument("--group")
        sub.set_defaults(handler=handler)
    listing = actions.add_parser("list", help="all codenames, or a user's effective set")
    listing.add_argument("--email")
    listing.set_defaults(handler=list_perms)


def _holder(conn: psycopg.Connection, args: argparse.Namespace) -> tuple[str, str, int]:
    if args.email:
        return "user_permissions", "user_id", user_id(conn, args.email)
    row = conn.execute("select id from auth.groups where name = %s", [args.group]).fetchone()
    if row is None:
        raise LookupError(f"no group named {args.group!r}")
    return "group_permissions", "group_id", int(row[0])


@command
def grant(args: argparse.Namespace) -> int:
    with owner_transaction() as conn:
        if (
            conn.execute(
                "select 1 from auth.permissions where codename = %s", [args.codename]
            ).fetchone()
            is None
        ):
            raise LookupError(f"unknown permission {args.codename!r} (see `pgwarden perm list`)")
        link, column, holder = _holder(conn, args)
        conn.execute(
            f"insert into auth.{link} ({column}, codename) values (%s, %s) on conflict do nothing",
            [holder, args.codename],
        )
    print(f"granted {args.codename} to {args.email or 'group ' + args.group}")
    return 0


@command
def revoke(args: argparse.Namespace) -> int:
    with owner_transaction() as conn:
        link, column, holder = _holder(conn, args)
        gone = conn.execute(
            f"delete from auth.{link} where {column} = %s and codename = %s",
            [holder, args.codename],
        ).rowcount
    print(
        f"revoked {args.codename} from {args.email or 'group ' + args.group}"
        + ("" if gone else " (it was not granted)")
    )
    return 0


@command
def list_perms(args: argparse.Namespace) -> int:
    with owner_transaction() as conn:
        if not args.email:
            rows = conn.execute(
                "select codename, description from auth.permissions order by codename"
            ).fetchall()
            table(rows, ["codename", "description"])
            return 0
        uid = user_id(conn, args.email)
        conn.execute(
            "select pgwarden.begin_request(current_user, %s::jsonb)",
            [json.dumps({"sub": str(uid)})],
        )
        rows = conn.execute(
            "select p.codename, concat_ws(',',"
            " case when exists (select 1 from auth.user_permissions up where up.user_id = %s"
            "   and up.codename = p.codename) then 'direct' end,"
            " (select string_agg('group:' || g.name, ',') from auth.user_groups ug"
            "   join auth.group_permissions gp on gp.group_id = ug.group_id"
            "   join auth.groups g on g.id = ug.group_id"
            "  where ug.user_id = %s and gp.codename = p.codename),"
            " case when (select role from auth.users where id = %s)"
            "   in ('administrator', 'developer') then 'tier' end)"
            " from auth.permissions p where auth.has_perm(p.codename) order by p.codename",
            [uid, uid, uid],
        ).fetchall()
    table(rows, ["codename", "via"])
    return 0
