"""`pgwarden session list|revoke|purge`: live sessions, revoked through the single writer
(auth.invalidate_sessions, reason administrative_revoke; one audit event per session); purge
deletes rows revoked or expired more than --keep-days ago (their audit events stay)."""

from __future__ import annotations

import argparse

from webui.cli.identity import command, owner_transaction, table, user_id

_LIVE = (
    "s.revoked_at is null and s.idle_expires_at > auth.now() and s.absolute_expires_at > auth.now()"
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("session", help="list and revoke sessions (audited)")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="live sessions (all users, or one)")
    listing.add_argument("--email")
    listing.set_defaults(handler=list_sessions)
    revoke = actions.add_parser("revoke", help="revoke one session, or all of a user's")
    target = revoke.add_mutually_exclusive_group(required=True)
    target.add_argument("--id", type=int, help="a session id")
    target.add_argument("--email", help="every session of this user")
    revoke.set_defaults(handler=revoke_sessions)
    purge = actions.add_parser("purge", help="delete sessions revoked or expired long ago")
    purge.add_argument("--keep-days", type=int, default=7, help="keep this many days (7)")
    purge.set_defaults(handler=purge_sessions)


@command
def list_sessions(args: argparse.Namespace) -> int:
    with owner_transaction() as conn:
        uid = user_id(conn, args.email) if args.email else None
        rows = conn.execute(
            "select s.id, u.email, s.created_at::timestamptz(0)::text,"
            " s.last_seen_at::timestamptz(0)::text,"
            " least(s.idle_expires_at, s.absolute_expires_at)::timestamptz(0)::text, host(s.ip),"
            " left(s.user_agent, 40) from auth.sessions s join auth.users u on u.id = s.user_id"
            f" where {_LIVE} and (%s::bigint is null or s.user_id = %s) order by s.id",
            [uid, uid],
        ).fetchall()
    table(rows, ["id", "email", "created", "last_seen", "expires", "ip", "user_agent"])
    return 0


@command
def revoke_sessions(args: argparse.Namespace) -> int:
    with owner_transaction() as conn:
        if args.id is not None:
            row = conn.execute(
                "select auth.invalidate_sessions('single', 'administrative_revoke', null, %s)",
                [args.id],
            ).fetchone()
        else:
            row = conn.execute(
                "select auth.invalidate_sessions('user', 'administrative_revoke', %s)",
                [user_id(conn, args.email)],
            ).fetchone()
    revoked = list(row[0]) if row else []
    print(f"revoked {len(revoked)} session(s)" + (f": {revoked}" if revoked else ""))
    return 0


@command
def purge_sessions(args: argparse.Namespace) -> int:
    if args.keep_days < 0:
        raise LookupError("--keep-days cannot be negative")
    with owner_transaction() as conn:
        row = conn.execute(
            "select auth.purge_expired(make_interval(days => %s))", [args.keep_days]
        ).fetchone()
    print(
        f"purged {row[0] if row else 0} session(s) revoked or expired over"
        f" {args.keep_days} day(s) ago"
    )
    return 0
