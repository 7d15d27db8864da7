"""The app's background sealer: a real `pgwarden serve` links committed events into the chain
within a few of its intervals, without anyone running `pgwarden audit seal`; interval 0 turns it
off."""

from __future__ import annotations

import time
from pathlib import Path

import psycopg

from webui.testing import running_server


def _record(db: psycopg.Connection, count: int) -> None:
    for n in range(count):
        db.execute("select audit.record('session_logout', 'auth.users', %s)", [str(n)])


def _unsealed(db: psycopg.Connection) -> int:
    row = db.execute("select unsealed from audit.chain_status").fetchone()
    assert row is not None
    return int(row[0])


def test_the_server_seals_new_events(db: psycopg.Connection, db_url: str, tmp_path: Path) -> None:
    db.autocommit = True
    with running_server(db_url, tmp_path, env={"PGWARDEN_AUDIT_SEAL_INTERVAL": "0.2"}):
        _record(db, 5)
        deadline = time.monotonic() + 10
        while _unsealed(db) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _unsealed(db) == 0
    row = db.execute("select ok, checked from audit.verify()").fetchone()
    assert row == (True, 5)


def test_interval_zero_turns_the_sealer_off(
    db: psycopg.Connection, db_url: str, tmp_path: Path
) -> None:
    db.autocommit = True
    with running_server(db_url, tmp_path, env={"PGWARDEN_AUDIT_SEAL_INTERVAL": "0"}) as server:
        _record(db, 3)
        time.sleep(1.0)
        assert _unsealed(db) == 3
        assert "audit sealer" not in server.log()
