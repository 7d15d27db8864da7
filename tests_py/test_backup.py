"""Backup with a verified restore (docs/operations.md#backup-and-restore): `backup create` dumps
the database with a manifest; `backup verify` restores into a scratch database and checks the
migrations, the audit chain up to the manifest's head, the row counts, the roles and RLS
policies; `backup restore` into a new database gives REST answers identical to the source's and
creates the roles the dump needs; a corrupted dump is reported as corrupt and never restored;
`backup list` keeps daily and weekly backups."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import psycopg
import pytest

from webui.testing import run_cli, running_server

FIXTURE = Path(__file__).with_name("typed_client") / "fixture.sql"
READER = "pgw_backup_test_reader"
QUERIES = [
    "/rest/v1/tc_books?select=id,title,status,tags,tc_authors(name)&order=id",
    "/rest/v1/tc_authors?order=id",
    "/rest/v1/rpc/tc_counts?order=author",
    "/rest/v1/tc_titles?title=like.*Earthsea*",
]


@pytest.fixture
def source(db: psycopg.Connection, db_url: str) -> str:
    db.autocommit = True
    db.execute(FIXTURE.read_text())
    db.execute("insert into api.tc_authors (name) values ('Ursula'), ('Terry')")
    db.execute(
        "insert into api.tc_books (title, author_id, status, tags) values"
        " ('A Wizard of Earthsea', 1, 'published', '{fantasy}'), ('Mort', 2, 'draft', null)"
    )
    db.execute(
        "select audit.record('session_logout', 'auth.users', n::text) from generate_series(1, 3) n"
    )
    db.execute("select audit.seal()")
    db.execute(f"drop role if exists {READER}")
    db.execute(f"create role {READER} nologin")
    db.execute(f"grant pgw_user to {READER}")
    db.execute(f"grant select on api.tc_books to {READER}")
    return db_url


def _answers(url: str, log_dir: Path) -> list[str]:
    with running_server(url, log_dir, env={"PGRST_DB_SCHEMAS": "api"}) as server:
        bodies = []
        for query in QUERIES:
            with urllib.request.urlopen(server.base_url + query, timeout=10) as reply:
                bodies.append(reply.read().decode())
        return bodies


@pytest.mark.slow
def test_create_verify_restore_gives_the_same_answers(
    source: str, db: psycopg.Connection, empty_db_url: str, tmp_path: Path
) -> None:
    created = run_cli("backup", "create", "--out", str(tmp_path / "bk"), database_url=source)
    assert created.returncode == 0, created.stderr
    (dump,) = (tmp_path / "bk").glob("*.dump")
    manifest = json.loads(dump.with_suffix(".manifest.json").read_text())
    assert manifest["deployed_change"] == manifest["deployed_changes"][-1]
    assert manifest["row_counts"]["api.tc_books"] == 2
    assert manifest["audit_head"]["seq"] == 3
    assert READER in {role["name"] for role in manifest["roles"]}
    # the role is cluster-wide: gone from the cluster, restore must create it again
    db.execute(f"drop owned by {READER}")
    db.execute(f"drop role {READER}")

    verified = run_cli("backup", "verify", str(dump), database_url=source)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    for label in ["dump intact", "migrate verify", "audit chain verifies", "row counts match",
                  "roles and RLS policies present", "backup verified"]:  # fmt: skip
        assert f"✓ {label}" in verified.stdout, (label, verified.stdout)
    assert f"roles created {READER}" in verified.stdout
    with psycopg.connect(source, autocommit=True) as conn:
        left = conn.execute("select count(*) from pg_database where datname like 'pgw_verify_%'")
        assert left.fetchone() == (0,), "the scratch database is dropped"

    restored = run_cli("backup", "restore", str(dump), "--into", empty_db_url, database_url=source)
    assert restored.returncode == 0, restored.stderr
    assert _answers(empty_db_url, tmp_path) == _answers(source, tmp_path)
    with psycopg.connect(empty_db_url) as conn:
        assert conn.execute("select ok, checked from audit.verify()").fetchone() == (True, 3)
        grants = conn.execute(
            "select has_table_privilege(%s, 'api.tc_books', 'select')", [READER]
        ).fetchone()
        assert grants == (True,)
        conn.execute(f"drop owned by {READER}")
        conn.commit()
    db.execute(f"drop owned by {READER}")
    db.execute(f"drop role {READER}")


def test_a_corrupted_dump_is_reported_and_never_restored(
    source: str, empty_db_url: str, tmp_path: Path
) -> None:
    assert run_cli("backup", "create", "--out", str(tmp_path), database_url=source).returncode == 0
    (dump,) = tmp_path.glob("*.dump")
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))

    verified = run_cli("backup", "verify", str(dump), database_url=source)
    assert verified.returncode == 1
    assert "✗ dump intact: corrupt: SHA-256" in verified.stdout
    assert "restored into" not in verified.stdout
    restored = run_cli("backup", "restore", str(dump), "--into", empty_db_url, database_url=source)
    assert restored.returncode == 1 and "nothing restored" in restored.stderr
    with psycopg.connect(empty_db_url) as conn:
        tables = conn.execute("select count(*) from pg_tables where schemaname = 'api'").fetchone()
        assert tables == (0,)


def test_restore_refuses_a_database_that_is_not_empty(source: str, tmp_path: Path) -> None:
    assert run_cli("backup", "create", "--out", str(tmp_path), database_url=source).returncode == 0
    (dump,) = tmp_path.glob("*.dump")
    result = run_cli("backup", "restore", str(dump), "--into", source, database_url=source)
    assert result.returncode == 1
    assert "not empty: restore into a new database" in result.stderr


def test_list_keeps_daily_and_weekly_backups(tmp_path: Path) -> None:
    days = ["2026-11-02", "2026-11-09", "2026-11-16", "2026-11-20", "2026-11-21", "2026-11-22"]
    for n, day in enumerate(days):
        for hour in ("08", "20"):
            dump = tmp_path / f"db-{n}-{hour}.dump"
            dump.write_bytes(b"")
            created = f"{day}T{hour}:00:00+00:00"
            dump.with_suffix(".manifest.json").write_text(json.dumps({"created_at": created}))
    listed = run_cli("backup", "list", str(tmp_path), "--keep-daily", "2", "--keep-weekly", "3")
    assert listed.returncode == 0, listed.stderr
    kept = [line.split()[-1] for line in listed.stdout.splitlines() if " keep " in line]
    # the newest of each of the last 2 days, and of each of the last 3 ISO weeks
    # (11-16 … 11-22 are one ISO week, 47; 11-09 is in 46, 11-02 in 45)
    assert kept == ["db-5-20.dump", "db-4-20.dump", "db-1-20.dump", "db-0-20.dump"]
    assert "12 backup(s), 4 kept" in listed.stdout
    pruned = run_cli("backup", "list", str(tmp_path), "--keep-daily", "2", "--keep-weekly", "3",
                     "--prune")  # fmt: skip
    assert pruned.returncode == 0
    assert sorted(p.name for p in tmp_path.glob("*.dump")) == sorted(kept)
