"""`pgwarden audit tail|verify|seal` as a user runs them: a real subprocess on a real database."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys

import psycopg

from webui.testing import url_for_database


def pgwarden(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": db_url}
    return subprocess.run(
        [sys.executable, "-m", "webui.cli", "audit", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _seed(db: psycopg.Connection) -> list[int]:
    db.autocommit = True
    ids = []
    for actor, event in [(7, "login_failed"), (7, "login_succeeded"), (8, "role_changed")]:
        row = db.execute(
            "select audit.record(%s, 'auth.users', %s, %s, '{}', %s)",
            [event, str(actor), f"{event} of {actor}", actor],
        ).fetchone()
        assert row is not None
        ids.append(int(row[0]))
    return ids


def test_seal_then_verify(db: psycopg.Connection, db_url: str) -> None:
    _seed(db)
    sealed = pgwarden(db_url, "seal")
    assert sealed.returncode == 0, sealed.stderr
    assert sealed.stdout.startswith("✓ sealed 3 event(s); head ")
    verified = pgwarden(db_url, "verify")
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("✓ audit chain verified: 3 links")
    assert "0 event(s) not sealed yet" in verified.stdout


def test_verify_names_the_first_bad_event_and_exits_non_zero(
    db: psycopg.Connection, db_url: str
) -> None:
    ids = _seed(db)
    assert pgwarden(db_url, "seal").returncode == 0
    db.execute("alter table audit.events disable trigger events_append_only")
    db.execute("update audit.events set actor_id = 1 where id = %s", [ids[1]])
    db.execute("alter table audit.events enable always trigger events_append_only")
    verified = pgwarden(db_url, "verify")
    assert verified.returncode == 1
    assert verified.stdout.startswith(f"✗ audit chain broken at event {ids[1]} (link 2)")


def test_tail_filters_by_event_actor_and_since(db: psycopg.Connection, db_url: str) -> None:
    _seed(db)
    by_event = pgwarden(db_url, "tail", "--event", "login_failed")
    assert by_event.returncode == 0, by_event.stderr
    lines = by_event.stdout.splitlines()
    assert len(lines) == 1 and "login_failed" in lines[0] and "user 7" in lines[0]
    as_json = pgwarden(db_url, "tail", "--actor", "7", "--since", "1h", "--json")
    events = [json.loads(line)["event"] for line in as_json.stdout.splitlines()]
    assert events == ["login_failed", "login_succeeded"]
    future = pgwarden(db_url, "tail", "--since", "2999-01-01T00:00:00")
    assert (future.returncode, future.stdout) == (0, "")


def test_bad_input_is_a_clear_error_without_traceback(db: psycopg.Connection, db_url: str) -> None:
    _seed(db)
    since = pgwarden(db_url, "tail", "--since", "yesterday")
    assert since.returncode == 2
    assert "neither a duration" in since.stderr and "Traceback" not in since.stderr
    event = pgwarden(db_url, "tail", "--event", "no_such_event")
    assert event.returncode == 1
    assert "unknown event 'no_such_event'" in event.stderr
    actor = pgwarden(db_url, "tail", "--actor", "-3")
    assert actor.returncode == 2 and "Traceback" not in actor.stderr
    missing = pgwarden(url_for_database(db_url, "no_such_database"), "verify")
    assert missing.returncode == 1
    assert (
        missing.stderr.startswith("pgwarden: audit verify: ") and "Traceback" not in missing.stderr
    )


def test_verify_with_an_anchor_detects_a_rewritten_chain(
    db: psycopg.Connection, db_url: str
) -> None:
    ids = _seed(db)
    assert pgwarden(db_url, "seal").returncode == 0
    anchor = db.execute("select encode(head, 'hex') from audit.seal_state").fetchone()
    assert anchor is not None
    assert pgwarden(db_url, "verify", "--anchor", anchor[0]).returncode == 0
    # A superuser rewrites the whole chain consistently: verify() alone cannot tell.
    db.execute("alter table audit.seals disable trigger user")
    db.execute("alter table audit.seal_state disable trigger user")
    db.execute("delete from audit.seals")
    db.execute("update audit.seal_state set last_seq = 0, head = audit.genesis(), horizon = '0'")
    db.execute("alter table audit.events disable trigger user")
    db.execute("update audit.events set summary = 'rewritten' where id = %s", [ids[0]])
    db.execute("select audit.seal()")
    assert pgwarden(db_url, "verify").returncode == 0
    anchored = pgwarden(db_url, "verify", "--anchor", anchor[0])
    assert anchored.returncode == 1
    assert "is no longer a link" in anchored.stdout
    assert pgwarden(db_url, "verify", "--anchor", "xyz").returncode == 2


def _line(process: subprocess.Popen[str], timeout: float = 15.0) -> str:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    assert ready, f"no output within {timeout}s"
    return process.stdout.readline()


def test_tail_follow_prints_new_events(db: psycopg.Connection, db_url: str) -> None:
    _seed(db)
    env = {**os.environ, "DATABASE_URL": db_url, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "webui.cli", "audit", "tail", "--follow", "--limit", "1"]
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True) as follower:
        try:
            assert "role_changed" in _line(follower)
            db.execute("select audit.record('policy_changed', 'library.loans', null, 'followed')")
            assert "policy_changed" in _line(follower)
        finally:
            follower.terminate()
