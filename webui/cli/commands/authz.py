"""`pgwarden authz`: explain and simulate the compiled row policies; manage runtime scoped
grants (grant, revoke, renew, delete, list, history). Grant commands run as the database owner
through the SECURITY DEFINER functions of sql/authz/, which log every change."""

from __future__ import annotations

import argparse
import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

from webui.cli.console import BAD, OK, fail
from webui.cli.identity import owner_transaction
from webui.core import paths
from webui.ops.database import database_url
from webui.policies import writer
from webui.policies.explain import explain
from webui.policies.model import ACTIONS, Resource
from webui.policies.simulate import SimulationError, simulate

_DURATION = re.compile(r"^(?P<n>\d{1,6})(?P<unit>[mhd])$")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("authz", help="explain/simulate row policies; scoped grants")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    ex = actions.add_parser("explain", help="decision per action and tier, and the compiled SQL")
    ex.add_argument("resource")
    ex.add_argument("--dir", type=Path, default=None, help="policy files (default: policies/)")
    ex.set_defaults(handler=run_explain)
    _simulate_parser(actions)
    _grant_parsers(actions)


def _simulate_parser(actions: argparse._SubParsersAction) -> None:
    sim = actions.add_parser("simulate", help="run the real statement as a user, rolled back")
    sim.add_argument("--as", dest="email", required=True, metavar="EMAIL")
    sim.add_argument("--resource", required=True)
    sim.add_argument("--action", required=True, choices=ACTIONS)
    sim.add_argument(
        "--row",
        default="{}",
        metavar="JSON",
        help="filter (read), payload (create), key and changes (update/delete)",
    )
    sim.add_argument("--claim", action="append", default=[], metavar="K=V")
    sim.add_argument("--dir", type=Path, default=None)
    sim.add_argument("--json", action="store_true", help="print the outcome as JSON")
    sim.set_defaults(handler=run_simulate)


def _grant_parsers(actions: argparse._SubParsersAction) -> None:
    grant = actions.add_parser("grant", help="grant a permission or template on a scope value")
    grant.add_argument("--user", required=True, metavar="EMAIL")
    target = grant.add_mutually_exclusive_group(required=True)
    target.add_argument("--permission")
    target.add_argument("--template")
    grant.add_argument("--scope", required=True, metavar="NAME=VALUE")
    grant.add_argument("--expires", metavar="WHEN", help="ISO time, or a duration: 30m, 8h, 7d")
    grant.add_argument("--reason")
    grant.set_defaults(handler=run_grant)
    for name, helptext in (("revoke", "expire a grant now"), ("delete", "delete a grant")):
        sub = actions.add_parser(name, help=helptext)
        sub.add_argument("id", type=int)
        sub.add_argument("--reason")
        sub.set_defaults(handler=run_change, verb=name)
    renew = actions.add_parser("renew", help="give a grant a new future expiry")
    renew.add_argument("id", type=int)
    renew.add_argument("--expires", required=True, metavar="WHEN")
    renew.add_argument("--reason")
    renew.set_defaults(handler=run_change, verb="renew")
    listing = actions.add_parser("list", help="active grants (--all: expired ones too)")
    listing.add_argument("--user", metavar="EMAIL")
    listing.add_argument("--all", action="store_true")
    listing.set_defaults(handler=run_list)
    history = actions.add_parser("history", help="the grant event log")
    history.add_argument("--user", metavar="EMAIL")
    history.set_defaults(handler=run_history)


# --- explain and simulate ------------------------------------------------------------------------


def _resource(directory: Path | None, name: str) -> tuple[Resource | None, dict[str, Resource]]:
    decls, _ = writer.load(directory or paths.policies_dir())
    catalog = writer.catalog(decls)
    return catalog.get(name), catalog


def run_explain(args: argparse.Namespace) -> int:
    decls, _ = writer.load(args.dir or paths.policies_dir())
    catalog = writer.catalog(decls)
    resource = catalog.get(args.resource)
    if resource is None:
        return fail(f"unknown resource {args.resource!r}; declared: {', '.join(sorted(catalog))}")
    authz = next((d.authorization for d in decls if d.authorization), None)
    print(explain(resource, catalog, authz))
    return 0


def _claims(pairs: list[str]) -> dict[str, str]:
    claims = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SimulationError(f"--claim {pair!r}: expected KEY=VALUE")
        claims[key] = value
    return claims


def run_simulate(args: argparse.Namespace) -> int:
    resource, catalog = _resource(args.dir, args.resource)
    if resource is None:
        return fail(f"unknown resource {args.resource!r}; declared: {', '.join(sorted(catalog))}")
    try:
        row = json.loads(args.row)
        if not isinstance(row, dict):
            raise SimulationError("--row must be a JSON object")
        outcome = simulate(
            database_url(), args.email, resource, args.action, row, _claims(args.claim)
        )
    except json.JSONDecodeError as exc:
        return fail(f"--row is not valid JSON: {exc.msg}")
    except SimulationError as exc:
        return fail(str(exc))
    if args.json:
        print(json.dumps(outcome.__dict__, default=str, indent=2))
        return 0 if outcome.allowed else 1
    _print_outcome(args, outcome)
    return 0 if outcome.allowed else 1


def _print_outcome(args: argparse.Namespace, outcome: Any) -> None:
    print(f"as {args.email} ({outcome.claims['role']}, claims {json.dumps(outcome.claims)})")
    print(f"  {outcome.statement}")
    if not outcome.allowed:
        print(f"{BAD} denied: {outcome.error} (SQLSTATE {outcome.sqlstate})")
        return
    verb = "visible" if args.action == "read" else "affected"
    note = "" if outcome.count else " (the row policy hides it, or no row matches)"
    print(f"{OK} allowed: {outcome.count} row(s) {verb}{note}; rolled back")
    for row in outcome.rows:
        print(f"  {json.dumps(row, default=str)}")


# --- scoped grants -------------------------------------------------------------------------------


def _when(text: str | None) -> datetime | timedelta | None:
    if text is None:
        return None
    match = _DURATION.match(text)
    if match:
        unit = {"m": "minutes", "h": "hours", "d": "days"}[match["unit"]]
        return timedelta(**{unit: int(match["n"])})
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise SimulationError(f"{text!r}: expected an ISO time or a duration like 8h") from None


def _expiry_sql(value: datetime | timedelta | None) -> tuple[str, Any]:
    if isinstance(value, timedelta):
        return "now() + %s::interval", value
    return "%s::timestamptz", value


def _call(query: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]] | int:
    try:
        with owner_transaction() as conn:
            return conn.execute(query, params).fetchall()
    except psycopg.Error as exc:
        if exc.sqlstate in ("P0002", "22023", "23514", "42501"):
            hint = exc.diag.message_hint
            message = exc.diag.message_primary or str(exc)
            return fail(f"{message}: {hint}" if hint else message)
        raise


def run_grant(args: argparse.Namespace) -> int:
    name, sep, value = args.scope.partition("=")
    if not sep or not name or not value:
        return fail(f"--scope {args.scope!r}: expected NAME=VALUE, e.g. branch=3")
    try:
        expiry, param = _expiry_sql(_when(args.expires))
    except SimulationError as exc:
        return fail(str(exc))
    kind, target = ("template", args.template) if args.template else ("permission", args.permission)
    found = _call("select auth.user_id_by_email(%s)", (args.user,))
    if isinstance(found, int) or not found or found[0][0] is None:
        return fail(f"no user with email {args.user!r}")
    result = _call(
        f"select authz.grant_scoped(%s, %s, %s, %s, %s, {expiry}, %s)",
        (found[0][0], kind, target, name, value, param, args.reason),
    )
    if isinstance(result, int):
        return result
    print(f"{OK} grant {result[0][0]}: {kind} {target} on {name} = {value} to {args.user}")
    return 0


def run_change(args: argparse.Namespace) -> int:
    if args.verb == "renew":
        try:
            expiry, param = _expiry_sql(_when(args.expires))
        except SimulationError as exc:
            return fail(str(exc))
        query, params = (
            f"select authz.renew_scoped(%s, {expiry}, %s)",
            (args.id, param, args.reason),
        )
    else:
        query, params = f"select authz.{args.verb}_scoped(%s, %s)", (args.id, args.reason)
    result = _call(query, params)
    if isinstance(result, int):
        return result
    done = {"revoke": "revoked", "renew": "renewed", "delete": "deleted"}[args.verb]
    print(f"{OK} grant {args.id} {done}")
    return 0


_LIST = """
select g.id, u.email, g.target_kind, g.target_name, g.scope_name, g.scope_value,
       g.expires_at, (g.expires_at is null or g.expires_at > now()) as active
  from authz.scoped_grants g join auth.users u on u.id = g.user_id
 where (%(email)s::text is null or u.id = auth.user_id_by_email(%(email)s))
   and (%(all)s or g.expires_at is null or g.expires_at > now())
 order by g.id
"""
_HISTORY = """
select e.occurred_at, e.event, e.grant_id, u.email, e.target_kind, e.target_name, e.scope_name,
       e.scope_value, e.expires_at, a.email, e.reason
  from authz.scoped_grant_events e
  left join auth.users u on u.id = e.user_id
  left join auth.users a on a.id = e.actor_id
 where (%(email)s::text is null or u.id = auth.user_id_by_email(%(email)s))
 order by e.id
"""


def run_list(args: argparse.Namespace) -> int:
    with psycopg.connect(database_url()) as conn:
        rows = conn.execute(_LIST, {"email": args.user, "all": args.all}).fetchall()
    for gid, email, kind, target, scope, value, expires, active in rows:
        until = f"until {expires:%Y-%m-%d %H:%M %Z}" if expires else "no expiry"
        state = "" if active else " (expired)"
        print(f"  {gid:>5}  {email:<32} {kind} {target} on {scope} = {value}, {until}{state}")
    print(f"{len(rows)} grant(s)")
    return 0


def run_history(args: argparse.Namespace) -> int:
    with psycopg.connect(database_url()) as conn:
        rows = conn.execute(_HISTORY, {"email": args.user}).fetchall()
    for at, event, gid, email, kind, target, scope, value, expires, actor, reason in rows:
        who = actor or "database owner"
        why = f" — {reason}" if reason else ""
        until = f", until {expires:%Y-%m-%d %H:%M}" if expires else ""
        print(
            f"  {at:%Y-%m-%d %H:%M:%S} {event:<8} grant {gid} {email}: {kind} {target} "
            f"on {scope} = {value}{until} by {who}{why}"
        )
    print(f"{len(rows)} event(s)")
    return 0
