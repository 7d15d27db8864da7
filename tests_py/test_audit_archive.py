"""`pgwarden audit archive` and `audit verify --archive`, as a user runs them: real subprocesses on
a real database. Old events go into the legacy partition (it ends before this month in a freshly
deployed database), inserted by the owner with an old occurred_at (docs/audit.md#retention)."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest

from webui.core.settings import as_authenticator
from webui.ops.migrations import Migrator


def pgwarden(
    db_url: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "DATABASE_URL": db_url, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "webui.cli", *args],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _old_events(db: psycopg.Connection, count: int) -> None:
    db.autocommit = True
    db.execute(
        "insert into audit.events (occurred_at, event, summary, metadata)"
        " select timestamptz '2026-01-10 00:00:00+00' + i * interval '1 minute', 'login_failed',"
        "        'old ' || i, jsonb_build_object('n', i)"
        "   from generate_series(1, %s) i",
        [count],
    )


def _new_events(db: psycopg.Connection, count: int) -> None:
    db.execute(
        "select audit.record('login_failed', 'auth.users', i::text, 'new ' || i, '{}', null)"
        "  from generate_series(1, %s) i",
        [count],
    )


def _archive(db_url: str, out: Path) -> subprocess.CompletedProcess[str]:
    return pgwarden(db_url, "audit", "archive", "--before", _this_month(), "--out", str(out))


def _this_month() -> str:
    return time.strftime("%Y-%m", time.gmtime())


def test_archive_drop_verify_still_green(
    db: psycopg.Connection, db_url: str, tmp_path: Path
) -> None:
    _old_events(db, 40)
    _new_events(db, 5)
    result = _archive(db_url, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("✓ archived events_legacy: 40 link(s)")
    assert db.execute("select to_regclass('audit.events_legacy')").fetchone() == (None,)
    # the old events are gone from the database, the new ones stay
    assert db.execute(
        "select count(*) from audit.events where summary like 'old %'"
    ).fetchone() == (0,)
    assert db.execute(
        "select count(*) from audit.events where summary like 'new %'"
    ).fetchone() == (5,)
    # exactly one audit event of the run
    rows = db.execute("select metadata from audit.events where event = 'audit_archived'").fetchall()
    assert len(rows) == 1 and rows[0][0]["partitions"] == ["events_legacy"]
    assert rows[0][0]["cli_operation"] == "audit archive" and "@" in rows[0][0]["os_actor"]
    # the chain verifies from the checkpoint, the file against it
    verified = pgwarden(db_url, "audit", "verify", "--seal")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    archive = tmp_path / "audit-events_legacy.jsonl.gz"
    manifest = json.loads((tmp_path / "audit-events_legacy.manifest.json").read_text())
    assert (manifest["first_seq"], manifest["last_seq"], manifest["links"]) == ("1", "40", 40)
    checked = pgwarden(db_url, "audit", "verify", "--archive", str(archive))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "40 link(s) 1..40, matches its checkpoint" in checked.stdout
    # nothing left to archive: the current month never is
    again = _archive(db_url, tmp_path)
    assert again.returncode == 0 and "nothing to archive" in again.stdout
    assert db.execute(
        "select count(*) from audit.events where event = 'audit_archived'"
    ).fetchone() == (1,)


def _rewrite(archive: Path, change: str) -> None:
    lines = gzip.decompress(archive.read_bytes()).decode().splitlines()
    item = json.loads(lines[3])
    item["canonical"] = item["canonical"].replace("old", change)
    lines[3] = json.dumps(item, separators=(",", ":"))
    archive.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))


def test_a_tampered_archive_is_detected(
    db: psycopg.Connection, db_url: str, tmp_path: Path
) -> None:
    _old_events(db, 10)
    assert _archive(db_url, tmp_path).returncode == 0
    archive = tmp_path / "audit-events_legacy.jsonl.gz"
    manifest_file = tmp_path / "audit-events_legacy.manifest.json"
    original = archive.read_bytes()
    # an altered event: the file's digest no longer matches
    _rewrite(archive, "new")
    checked = pgwarden(db_url, "audit", "verify", "--archive", str(archive))
    assert checked.returncode == 1
    assert "SHA-256 differs from the manifest" in checked.stdout
    # the same, with the manifest's digest rewritten to match: the links break
    manifest = json.loads(manifest_file.read_text())
    manifest["sha256"] = hashlib.sha256(archive.read_bytes()).hexdigest()
    manifest_file.write_text(json.dumps(manifest))
    checked = pgwarden(db_url, "audit", "verify", "--archive", str(archive))
    assert checked.returncode == 1
    assert "link 4 or its event was altered" in checked.stdout
    # a file whose last event was cut off, manifest adjusted: the checkpoint in the database differs
    lines = gzip.decompress(original).decode().splitlines()[:-1]
    archive.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    manifest["sha256"] = hashlib.sha256(archive.read_bytes()).hexdigest()
    manifest["last_seq"] = str(int(manifest["last_seq"]) - 1)
    manifest["anchor_after"] = json.loads(lines[-1])["hash"]
    manifest_file.write_text(json.dumps(manifest))
    checked = pgwarden(db_url, "audit", "verify", "--archive", str(archive))
    assert checked.returncode == 1
    assert "does not match its checkpoint" in checked.stdout
    # the original verifies again once the manifest is restored
    archive.write_bytes(original)
    manifest["sha256"] = hashlib.sha256(original).hexdigest()
    manifest["last_seq"] = str(int(manifest["last_seq"]) + 1)
    manifest["anchor_after"] = json.loads(gzip.decompress(original).decode().splitlines()[-1])[
        "hash"
    ]
    manifest_file.write_text(json.dumps(manifest))
    assert pgwarden(db_url, "audit", "verify", "--archive", str(archive)).returncode == 0


def test_events_written_during_an_archive_are_neither_lost_nor_duplicated(
    db: psycopg.Connection, db_url: str, tmp_path: Path
) -> None:
    _old_events(db, 3000)
    stop = threading.Event()
    written: list[int] = []
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            with psycopg.connect(db_url, autocommit=True) as conn:
                while not stop.is_set():
                    row = conn.execute(
                        "select audit.record('login_failed', 'auth.users', %s, 'during',"
                        " '{}', null)",
                        [str(n)],
                    ).fetchone()
                    assert row is not None
                    written.append(int(row[0]))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.3)
        result = _archive(db_url, tmp_path)
        time.sleep(0.3)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert not errors, errors
    assert result.returncode == 0, result.stderr
    stored = [r[0] for r in db.execute("select id from audit.events where summary = 'during'")]
    assert len(written) > 10
    assert sorted(stored) == sorted(written), "every event written during the run is there, once"
    verified = pgwarden(db_url, "audit", "verify", "--seal")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "0 event(s) not sealed yet" in verified.stdout
    checked = pgwarden(
        db_url, "audit", "verify", "--archive", str(tmp_path / "audit-events_legacy.jsonl.gz")
    )
    assert checked.returncode == 0, checked.stdout


def test_web_roles_cannot_archive(db: psycopg.Connection, db_url: str, tmp_path: Path) -> None:
    _old_events(db, 2)
    assert pgwarden(db_url, "audit", "seal").returncode == 0
    app = as_authenticator(db_url)
    with (
        psycopg.connect(app, autocommit=True) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("select * from audit.archive_begin('audit.events_legacy')")
    assert db.execute("select to_regclass('audit.events_legacy')").fetchone() != (None,)


def test_bad_month_is_one_line_and_exit_2(db_url: str, tmp_path: Path) -> None:
    result = pgwarden(db_url, "audit", "archive", "--before", "2026-13", "--out", str(tmp_path))
    assert result.returncode == 2
    assert "is not a month as YYYY-MM" in result.stderr


def test_doctor_reports_partitions_past_retention(db: psycopg.Connection, db_url: str) -> None:
    _old_events(db, 1)
    result = pgwarden(db_url, "doctor", env={"PGWARDEN_AUDIT_RETENTION_MONTHS": "1"})
    line = next(x for x in result.stdout.splitlines() if "audit retention" in x)
    assert line.startswith("✗"), result.stdout
    assert "pgwarden audit archive --before" in line and "events_legacy" in line
    kept = pgwarden(db_url, "doctor", env={"PGWARDEN_AUDIT_RETENTION_MONTHS": "1200"})
    line = next(x for x in kept.stdout.splitlines() if "audit retention" in x)
    assert line.startswith("✓"), kept.stdout


def test_revert_restores_the_unpartitioned_table_and_deploy_partitions_it_again(
    db: psycopg.Connection, db_url: str
) -> None:
    _old_events(db, 20)
    _new_events(db, 5)
    assert pgwarden(db_url, "audit", "seal").returncode == 0
    before = db.execute("select array_agg(id order by id) from audit.events").fetchone()
    migrator = Migrator(db_url, quiet=True)
    migrator.revert(to="audit_write_path")
    shape = db.execute(
        "select relkind::text, (select pg_get_constraintdef(oid) from pg_constraint"
        "  where conrelid = 'audit.events'::regclass and contype = 'p')"
        " from pg_class where oid = 'audit.events'::regclass"
    ).fetchone()
    assert shape == ("r", "PRIMARY KEY (id)")
    assert db.execute("select array_agg(id order by id) from audit.events").fetchone() == before
    assert db.execute("select ok from audit.verify()").fetchone() == (True,)
    _new_events(db, 1)
    assert db.execute("select max(id) from audit.events").fetchone() == (max(before[0]) + 1,)
    Migrator(db_url, quiet=True).deploy()
    assert db.execute(
        "select relkind::text from pg_class where oid = 'audit.events'::regclass"
    ).fetchone() == ("p",)
    assert db.execute("select count(*) from audit.events").fetchone() == (26,)
    assert pgwarden(db_url, "audit", "verify", "--seal").returncode == 0
