"""`pgwarden backup create|verify|restore|list`: `pg_dump -Fc` with a manifest, and a restore
that is checked before anyone relies on it (docs/operations.md#backup-and-restore)."""

from __future__ import annotations

import argparse
from pathlib import Path

from webui.cli.console import check, fail
from webui.ops import backup
from webui.ops.database import database_url


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("backup", help="create, verify, restore and list backups")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="pg_dump -Fc of the database, with a manifest")
    create.add_argument("--out", type=Path, default=Path("backups"), help="folder (./backups)")
    create.set_defaults(handler=run_create)
    verify = actions.add_parser("verify", help="restore into a scratch database and check it")
    verify.add_argument("file", type=Path, metavar="FILE")
    verify.set_defaults(handler=run_verify)
    restore = actions.add_parser("restore", help="restore into an empty database")
    restore.add_argument("file", type=Path, metavar="FILE")
    restore.add_argument("--into", required=True, metavar="URL", help="the target database")
    restore.set_defaults(handler=run_restore)
    listing = actions.add_parser("list", help="the backups of a folder, with retention")
    listing.add_argument("folder", type=Path, nargs="?", default=Path("backups"))
    listing.add_argument("--keep-daily", type=int, default=0, metavar="N")
    listing.add_argument("--keep-weekly", type=int, default=0, metavar="N")
    listing.add_argument("--prune", action="store_true", help="delete what retention drops")
    listing.set_defaults(handler=run_list)


def run_create(args: argparse.Namespace) -> int:
    dump = backup.create(database_url(), args.out)
    manifest = backup.read_manifest(dump)
    head = manifest["audit_head"] or {}
    print(f"✓ {dump} ({dump.stat().st_size} bytes, SHA-256 {manifest['sha256'][:16]}…)")
    print(
        f"  change {manifest['deployed_change']}, audit head seq {head.get('seq', '-')},"
        f" {len(manifest['row_counts'])} tables, {sum(manifest['row_counts'].values())} rows"
    )
    return 0


def run_verify(args: argparse.Namespace) -> int:
    results = [check(c.ok, c.label, c.detail) for c in backup.verify(args.file, database_url())]
    ok = all(results)
    check(ok, "backup verified" if ok else "backup NOT verified", str(args.file))
    return 0 if ok else 1


def run_restore(args: argparse.Namespace) -> int:
    try:
        created = backup.restore(args.file, args.into)
    except backup.BackupError as exc:
        return fail(str(exc))
    check(
        True,
        "restored",
        f"{args.file}" + (f"; created roles {', '.join(created)}" if created else ""),
    )
    return 0


def run_list(args: argparse.Namespace) -> int:
    if not args.folder.is_dir():
        return fail(f"no folder {args.folder}: `pgwarden backup create --out {args.folder}`")
    entries = backup.retained(backup.listing(args.folder), args.keep_daily, args.keep_weekly)
    for entry in entries:
        mark = "keep" if entry.keep else ("delete" if args.prune else "would delete")
        print(f"  {entry.created:%Y-%m-%d %H:%M}  {mark:<12} {entry.dump.name}")
        if args.prune and not entry.keep:
            entry.dump.unlink()
            backup.manifest_path(entry.dump).unlink(missing_ok=True)
    print(f"{len(entries)} backup(s), {sum(e.keep for e in entries)} kept")
    return 0
