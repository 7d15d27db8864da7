"""Archive old audit partitions to files, and check such a file again (docs/audit.md#retention).

The rules live in SQL (sql/audit/62_retention_code.sql): which partition may go, the chain
segment its file covers, the checkpoint, the detach and drop. This module writes the file and
its manifest in between, and re-verifies a file offline.

An archive is two files in one folder:

- `audit-<partition>.jsonl.gz`: one JSON object per chain link, in chain order:
  `{"seq": n, "hash": "<hex>", "canonical": "<audit.canonical() of the event>"}`;
- `audit-<partition>.manifest.json`: the partition, its bounds, the segment (first/last seq,
  first/last event id, links), the chain anchors (`anchor_before`: the link before the first,
  `anchor_after`: the last link) and the SHA-256 of the .gz file.

`link(n) = sha256(link(n-1) || canonical(n))`, so a file re-verifies without the database; with
it, the anchors and the digest are also checked against the checkpoint recorded in
`audit.checkpoints`, which the file cannot change.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

FORMAT = "pgwarden-audit-archive/1"
GENESIS = hashlib.sha256(b"pgwarden audit chain v1").hexdigest()


@dataclass(frozen=True)
class Archived:
    partition: str
    checkpoint_id: int
    links: int
    data_file: Path
    manifest_file: Path


@dataclass(frozen=True)
class FileCheck:
    ok: bool
    links: int
    problem: str | None
    manifest: dict[str, Any]


def month_start(text: str) -> datetime:
    """`YYYY-MM` as the first instant of that month, UTC."""
    moment = datetime.strptime(text, "%Y-%m")
    return moment.replace(tzinfo=UTC)


def archivable(conn: psycopg.Connection, before: datetime) -> list[str]:
    """The partitions that end on or before `before` and before this month, oldest first."""
    rows = conn.execute(
        "select p.partition::text from audit.partitions p"
        " where p.upper_bound <= %s and p.upper_bound <= audit.month_start(now())"
        " order by p.upper_bound",
        [before],
    ).fetchall()
    return [row[0] for row in rows]


def _write_links(conn: psycopg.Connection, segment: dict[str, Any], data_file: Path) -> str:
    """The segment's links into a gzip file (fsynced); returns the file's SHA-256."""
    digest = hashlib.sha256()
    tmp = data_file.with_suffix(data_file.suffix + ".part")
    with tmp.open("wb") as raw:
        with (
            gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out,
            conn.cursor(name="audit_archive_links") as cur,
        ):
            cur.itersize = 5000
            cur.execute(
                "select seq, hash, canonical from audit.archive_links(%s, %s)",
                [segment["first_seq"], segment["last_seq"]],
            )
            for seq, link, canonical in cur:
                line = {"seq": seq, "hash": link, "canonical": canonical}
                out.write(json.dumps(line, separators=(",", ":")).encode() + b"\n")
        raw.flush()
        os.fsync(raw.fileno())
    os.replace(tmp, data_file)
    with data_file.open("rb") as written:
        for block in iter(lambda: written.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _manifest(segment: dict[str, Any], data_file: Path, sha256: str) -> dict[str, Any]:
    def when(value: datetime | None) -> str | None:
        return value.astimezone(UTC).isoformat() if value else None

    return {
        "format": FORMAT,
        "partition": segment["partition_name"],
        "lower_bound": when(segment["lower_bound"]),
        "upper_bound": when(segment["upper_bound"]),
        "first_seq": str(segment["first_seq"]),
        "last_seq": str(segment["last_seq"]),
        "links": segment["events"],
        "first_event_id": segment["first_event_id"],
        "last_event_id": segment["last_event_id"],
        "anchor_before": segment["anchor_before"],
        "anchor_after": segment["anchor_after"],
        "file": data_file.name,
        "sha256": sha256,
        "created_at": datetime.now(UTC).isoformat(),
    }


def _prepare(conn: psycopg.Connection, partition: str, out_dir: Path) -> tuple[str, dict]:
    """Lock and describe one partition, write its file and manifest; (partition, manifest)."""
    with conn.cursor(row_factory=dict_row) as cur:
        sql = "select * from audit.archive_begin(%s::regclass)"
        segment = cur.execute(sql, [partition]).fetchone()
    assert segment is not None
    stem = f"audit-{segment['partition_name']}"
    data_file = out_dir / f"{stem}.jsonl.gz"
    sha256 = _write_links(conn, segment, data_file)
    manifest = _manifest(segment, data_file, sha256)
    check = verify_file(data_file, manifest)
    if not check.ok:
        raise RuntimeError(f"the file just written does not verify: {check.problem}")
    manifest_file = out_dir / f"{stem}.manifest.json"
    manifest_file.write_text(json.dumps(manifest, indent=2) + "\n")
    return partition, manifest


def archive(
    conn: psycopg.Connection,
    before_text: str,
    out_dir: Path,
    stamp: Callable[[psycopg.Connection], None] | None = None,
) -> list[Archived]:
    """Archive every partition before `before_text` (YYYY-MM), each in its own transaction (the
    partition is locked against late writers while its file is written; audit.events is locked
    only for the detach). The last transaction records the run's one audit_archived event; if a
    later partition fails, the event is still recorded for those done, then the error raised.
    `stamp` runs first in each transaction (the CLI's OS actor and operation)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    done: list[Archived] = []
    partitions = archivable(conn, month_start(before_text))
    try:
        for index, partition in enumerate(partitions):
            with conn.transaction():
                if stamp:
                    stamp(conn)
                name, manifest = _prepare(conn, partition, out_dir)
                conn.execute("set local lock_timeout = '10s'")
                row = conn.execute(
                    "select audit.archive_commit(%s::regclass, %s)", [name, Jsonb(manifest)]
                ).fetchone()
                assert row is not None
                stem = f"audit-{manifest['partition']}"
                done.append(
                    Archived(
                        manifest["partition"],
                        int(row[0]),
                        int(manifest["links"]),
                        out_dir / manifest["file"],
                        out_dir / f"{stem}.manifest.json",
                    )
                )
                if index == len(partitions) - 1:
                    _record(conn, done, before_text)
    except BaseException:
        if done and len(done) < len(partitions):
            with conn.transaction():
                if stamp:
                    stamp(conn)
                _record(conn, done, before_text)
        raise
    return done


def _record(conn: psycopg.Connection, done: list[Archived], before_text: str) -> None:
    conn.execute(
        "select audit.archive_recorded(%s, %s)", [[a.checkpoint_id for a in done], before_text]
    )


def _link(previous: str, canonical: str) -> str:
    return hashlib.sha256(bytes.fromhex(previous) + canonical.encode()).hexdigest()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _chain_problem(path: Path, manifest: dict[str, Any]) -> tuple[int, str | None]:
    """Walk the file's links from anchor_before; (links read, first problem or None)."""
    previous = manifest["anchor_before"]
    expected = int(manifest["first_seq"])
    count = 0
    try:
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            for line in lines:
                item = json.loads(line)
                if item["seq"] != expected:
                    return count, f"link {expected} is missing (found {item['seq']})"
                previous = _link(previous, item["canonical"])
                if previous != item["hash"]:
                    return count, f"link {expected} or its event was altered"
                expected += 1
                count += 1
    except (OSError, EOFError, ValueError, KeyError, TypeError) as exc:
        return count, f"unreadable archive ({type(exc).__name__})"
    if expected - 1 != int(manifest["last_seq"]):
        last = manifest["last_seq"]
        return count, f"the file ends at link {expected - 1}, the manifest at {last}"
    if previous != manifest["anchor_after"]:
        return count, "the last link is not the manifest's anchor_after"
    return count, None


def verify_file(path: Path, manifest: dict[str, Any]) -> FileCheck:
    """Check a file against a manifest: its SHA-256, then every link from anchor_before to
    anchor_after."""
    if _file_sha256(path) != manifest.get("sha256"):
        return FileCheck(False, 0, "the file's SHA-256 differs from the manifest", manifest)
    count, problem = _chain_problem(path, manifest)
    return FileCheck(problem is None, count, problem, manifest)


def manifest_for(path: Path) -> dict[str, Any]:
    """The manifest next to an archive file (…jsonl.gz → …manifest.json), or the file itself."""
    name = path.name
    if name.endswith(".manifest.json"):
        candidate = path
    else:
        candidate = path.with_name(name.removesuffix(".jsonl.gz") + ".manifest.json")
    manifest = json.loads(candidate.read_text())
    if manifest.get("format") != FORMAT:
        raise ValueError(f"{candidate.name} is not a pgwarden audit archive manifest")
    return manifest


def data_file_for(path: Path, manifest: dict[str, Any]) -> Path:
    return path.with_name(manifest["file"]) if path.name.endswith(".manifest.json") else path


def against_checkpoint(conn: psycopg.Connection, manifest: dict[str, Any]) -> str | None:
    """The checkpoint recorded for this archive must carry the same segment, anchors and digest;
    the previous checkpoint's link must be the archive's anchor_before. None when all agree."""
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(
            "select c.id, c.first_seq, c.seq, encode(c.hash, 'hex') as hash, c.file_sha256,"
            "  coalesce((select encode(p.hash, 'hex') from audit.checkpoints p"
            "             where p.id < c.id order by p.id desc limit 1), %s) as before"
            " from audit.checkpoints c where c.partition_name = %s order by c.id desc limit 1",
            [GENESIS, manifest["partition"]],
        ).fetchone()
    if row is None:
        return f"no checkpoint of {manifest['partition']} in audit.checkpoints"
    if row["file_sha256"] != manifest["sha256"]:
        return "the manifest's SHA-256 differs from the checkpoint's"
    if (str(row["first_seq"]), str(row["seq"])) != (manifest["first_seq"], manifest["last_seq"]):
        return "the manifest's links differ from the checkpoint's"
    if row["hash"] != manifest["anchor_after"] or row["before"] != manifest["anchor_before"]:
        return "the manifest's anchors differ from the checkpoints'"
    return None


@dataclass(frozen=True)
class Retention:
    past: list[str]
    detail: str
    ahead_ok: bool
    ahead_detail: str


def retention_report(conn: psycopg.Connection, months: int | None) -> Retention | None:
    """What `pgwarden doctor` says about retention: the partitions older than the `months`
    kept (the current month counts as one) with the command that archives them, and whether
    next month already has its partition. None before audit.events is partitioned."""
    row = conn.execute("select to_regclass('audit.partitions')").fetchone()
    if not row or row[0] is None:
        return None
    ahead = conn.execute(
        "select max(upper_bound) > audit.month_start(now()) + interval '1 month'"
        " from audit.partitions"
    ).fetchone()
    ahead_ok = bool(ahead and ahead[0])
    ahead_detail = (
        "next month has its partition"
        if ahead_ok
        else "next month has no partition: run `pgwarden jobs run audit_partitions`"
    )
    if months is None:
        detail = "PGWARDEN_AUDIT_RETENTION_MONTHS unset: every month is kept"
        return Retention([], detail, ahead_ok, ahead_detail)
    cut_row = conn.execute(
        "select audit.month_start(now()) - make_interval(months => %s)", [months - 1]
    ).fetchone()
    assert cut_row is not None
    cut: datetime = cut_row[0]
    past = [
        r[0]
        for r in conn.execute(
            "select name from audit.partitions where upper_bound <= %s order by upper_bound", [cut]
        )
    ]
    month = cut.astimezone(UTC).strftime("%Y-%m")
    if past:
        detail = (
            f"{len(past)} partition(s) older than {months} month(s): {', '.join(past)};"
            f" run `pgwarden audit archive --before {month}`"
        )
    else:
        detail = f"nothing older than {months} month(s) (kept from {month})"
    return Retention(past, detail, ahead_ok, ahead_detail)
