"""`pgwarden audit tail|verify|seal|archive`: read, check, seal and archive the audit trail as the
owner."""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

from webui import audit
from webui.audit import archive as audit_archive
from webui.cli.console import BAD, OK, fail
from webui.cli.identity import stamp
from webui.ops.database import database_url

_DURATION = re.compile(r"^(?P<n>[0-9]{1,6})(?P<unit>[smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def since_value(text: str) -> datetime:
    """`15m`, `2h`, `7d` (ago) or an ISO 8601 time (UTC when it names no zone)."""
    match = _DURATION.match(text.strip())
    if match:
        delta = timedelta(**{_UNITS[match["unit"]]: int(match["n"])})
        return datetime.now(UTC) - delta
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither a duration (30s, 15m, 2h, 7d) nor an ISO time"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def hex_digest(text: str) -> str:
    if not re.fullmatch(r"[0-9a-f]{64}", text.strip().lower()):
        raise argparse.ArgumentTypeError(f"{text!r} is not a sha256 head (64 hex digits)")
    return text.strip().lower()


def month_value(text: str) -> str:
    """`YYYY-MM`."""
    if not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", text.strip()):
        raise argparse.ArgumentTypeError(f"{text!r} is not a month as YYYY-MM (e.g. 2026-09)")
    return text.strip()


def positive_int(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) <= 1_000_000:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number from 1 to 1000000")
    return int(text)


def _guarded(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """A database error becomes one clear line and exit 1, never a traceback."""

    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except psycopg.Error as exc:
            first = (exc.diag.message_primary or str(exc)).strip().splitlines()
            return fail(f"audit {args.action}: {first[0] if first else type(exc).__name__}")

    return run


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("audit", help="read, verify and seal the audit trail")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    tail_parser = actions.add_parser("tail", help="print the latest events, oldest first")
    tail_parser.add_argument("--since", type=since_value, help="15m, 2h, 7d or an ISO time")
    tail_parser.add_argument("--event", help="one event identifier, e.g. login_failed")
    tail_parser.add_argument("--actor", type=positive_int, help="application user id")
    tail_parser.add_argument("--limit", type=positive_int, default=50, help="default 50")
    tail_parser.add_argument("--json", action="store_true", help="one JSON object per line")
    tail_parser.add_argument("--follow", action="store_true", help="keep printing new events")
    tail_parser.set_defaults(handler=_guarded(tail_events))

    verify_parser = actions.add_parser("verify", help="check the hash chain (exit 1 if broken)")
    verify_parser.add_argument("--seal", action="store_true", help="seal pending events first")
    verify_parser.add_argument(
        "--anchor", type=hex_digest, help="a head printed earlier: fail unless it is still a link"
    )
    verify_parser.add_argument(
        "--archive",
        type=Path,
        metavar="FILE",
        help="re-verify an archive file (.jsonl.gz or its .manifest.json) instead",
    )
    verify_parser.set_defaults(handler=_guarded(verify_chain))

    archive_parser = actions.add_parser(
        "archive", help="archive, checkpoint and drop the partitions before a month (audited)"
    )
    archive_parser.add_argument(
        "--before", type=month_value, required=True, help="YYYY-MM: archive the months before it"
    )
    archive_parser.add_argument(
        "--out", type=Path, default=Path("."), help="folder for the files (default: here)"
    )
    archive_parser.set_defaults(handler=_guarded(archive_partitions))

    seal_parser = actions.add_parser("seal", help="link committed events into the hash chain")
    seal_parser.add_argument("--batch", type=positive_int, default=100_000)
    seal_parser.set_defaults(handler=_guarded(seal_chain))


def _connect() -> psycopg.Connection:
    return psycopg.connect(database_url(), autocommit=True, connect_timeout=10)


def _actor(row: dict[str, Any]) -> str:
    """user N (a request), cli user@host (a pgwarden command), or db ROLE (anything else)."""
    if row["actor_id"] is not None:
        return f"user {row['actor_id']}"
    os_actor = (row.get("metadata") or {}).get("os_actor")
    return f"cli {os_actor}" if os_actor else f"db {row['db_role']}"


def _format(row: dict[str, Any]) -> str:
    actor = _actor(row)
    target = row["target_table"] or "-"
    if row["target_id"] is not None:
        target += f"#{row['target_id']}"
    when = row["occurred_at"].astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    parts = [f"{row['id']:>8}", when, f"{row['event']:<26}", f"{actor:<16}", target]
    if row["summary"]:
        parts.append(row["summary"])
    if row["correlation_id"]:
        parts.append(f"[{row['correlation_id']}]")
    return "  ".join(parts)


def _print(rows: list[dict[str, Any]], as_json: bool) -> None:
    for row in rows:
        if as_json:
            print(json.dumps(row, default=str, separators=(",", ":")), flush=True)
        else:
            print(_format(row), flush=True)


def tail_events(args: argparse.Namespace) -> int:
    with _connect() as conn:
        if args.event and args.event not in audit.known_events(conn):
            return fail(f"unknown event {args.event!r}; the identifiers are in audit.event_types")
        selection = audit.TailFilter(args.since, args.event, args.actor, 0, args.limit)
        rows = audit.tail(conn, selection)
        _print(rows, args.json)
        last = rows[-1]["id"] if rows else 0
        while args.follow:
            time.sleep(1.0)
            selection = audit.TailFilter(args.since, args.event, args.actor, last, 1000)
            rows = audit.tail(conn, selection)
            _print(rows, args.json)
            last = rows[-1]["id"] if rows else last
    return 0


def verify_chain(args: argparse.Namespace) -> int:
    if args.archive is not None:
        return verify_archive(args.archive)
    with _connect() as conn:
        if args.seal:
            audit.seal(conn)
        started = time.monotonic()
        result = audit.verify(conn)
        elapsed = time.monotonic() - started
        anchored = audit.is_link(conn, args.anchor) if args.anchor else True
    if not result.ok:
        print(
            f"{BAD} audit chain broken at event {result.first_bad_event_id} "
            f"(link {result.first_bad_seq}): {result.problem}"
        )
        return 1
    if not anchored:
        print(f"{BAD} audit chain rewritten: the anchor {args.anchor[:16]}… is no longer a link")
        return 1
    print(
        f"{OK} audit chain verified: {result.checked} links in {elapsed:.2f}s, "
        f"head {result.head[:16]}…, {result.unsealed} event(s) not sealed yet"
    )
    return 0


def seal_chain(args: argparse.Namespace) -> int:
    with _connect() as conn:
        count = audit.seal(conn, args.batch)
        head = audit.head(conn)
    print(f"{OK} sealed {count} event(s); head {head[:16]}…")
    return 0


def archive_partitions(args: argparse.Namespace) -> int:
    with _connect() as conn:
        audit.seal(conn)
        done = audit_archive.archive(conn, args.before, args.out, stamp)
    if not done:
        print(f"{OK} nothing to archive before {args.before} (the current month is never archived)")
        return 0
    for item in done:
        print(
            f"{OK} archived {item.partition}: {item.links} link(s) to {item.data_file}, "
            f"checkpoint {item.checkpoint_id}; partition dropped"
        )
    return 0


def verify_archive(path: Path) -> int:
    try:
        manifest = audit_archive.manifest_for(path)
        data_file = audit_archive.data_file_for(path, manifest)
        result = audit_archive.verify_file(data_file, manifest)
    except (OSError, ValueError, KeyError) as exc:
        return fail(f"audit verify --archive: cannot read {path}: {exc}")
    if not result.ok:
        print(f"{BAD} archive {data_file.name} does not verify: {result.problem}")
        return 1
    with _connect() as conn:
        problem = audit_archive.against_checkpoint(conn, manifest)
    if problem:
        print(f"{BAD} archive {data_file.name} does not match its checkpoint: {problem}")
        return 1
    print(
        f"{OK} archive {data_file.name} verified: {result.links} link(s) "
        f"{manifest['first_seq']}..{manifest['last_seq']}, matches its checkpoint"
    )
    return 0
