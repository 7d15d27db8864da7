"""The R4 emergency commands against a real PostgreSQL (docs/recovery.md, R4): the red banner,
the refusals (a short reason, no TTY without --yes, an inactive user, demoting the sole active
administrator), exactly one emergency_recovery event per command with the operator and the argv
without the reason; the web server's code never emits that event."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from webui.testing.auth import create_user, sql

PASSWORD = "correct horse battery"
REASON = "ticket 4711: locked out on call"


def pgwarden(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "webui.cli", *args],
        env={**os.environ, "DATABASE_URL": db_url},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def events(db_url: str) -> list[tuple[object, ...]]:
    return sql(db_url, "select metadata from audit.events where event = 'emergency_recovery'")


@pytest.fixture
def admin(db_url: str) -> int:
    uid = create_user(db_url, "root@example.com", PASSWORD, "administrator")
    sql(
        db_url,
        "update auth.users set locked_until = now() + interval '1 hour' where id = %s",
        [uid],
    )
    return uid


def test_unlock_prints_the_banner_and_writes_one_event(db_url: str, admin: int) -> None:
    done = pgwarden(
        db_url, "user", "unlock", "--email", "root@example.com", "--reason", REASON, "--yes"
    )
    assert done.returncode == 0, done.stderr
    assert "EMERGENCY RECOVERY: about to clear the lock" in done.stderr
    ((metadata,),) = events(db_url)
    assert metadata["cli_operation"] == "unlock" and "@" in metadata["os_actor"]
    assert REASON not in " ".join(metadata["argv"]) and metadata["reason"] == REASON
    assert sql(db_url, "select locked_until from auth.users where id = %s", [admin]) == [(None,)]


def test_refusals_change_nothing(db_url: str, admin: int) -> None:
    short = pgwarden(
        db_url, "user", "unlock", "--email", "root@example.com", "--reason", " 1234 ", "--yes"
    )
    assert short.returncode == 1 and "at least 8 characters" in short.stderr
    no_tty = pgwarden(db_url, "user", "unlock", "--email", "root@example.com", "--reason", REASON)
    assert no_tty.returncode == 2 and "--yes" in no_tty.stderr
    create_user(db_url, "gone@example.com", PASSWORD, "staff", is_active=False)
    inactive = pgwarden(
        db_url, "user", "unlock", "--email", "gone@example.com", "--reason", REASON, "--yes"
    )
    assert inactive.returncode == 1 and "inactive" in inactive.stderr
    demote = pgwarden(
        db_url,
        "user",
        "promote",
        "--email",
        "root@example.com",
        "--to-tier",
        "staff",
        "--reason",
        REASON,
        "--yes",
    )
    assert demote.returncode == 1, demote.stdout
    assert "Traceback" not in short.stderr + no_tty.stderr + inactive.stderr + demote.stderr
    assert events(db_url) == []


def test_reset_password_prints_a_temporary_password_once(db_url: str, admin: int) -> None:
    done = pgwarden(
        db_url, "user", "reset-password", "--email", "root@example.com", "--reason", REASON, "--yes"
    )
    assert done.returncode == 0, done.stderr
    password = done.stdout.strip().rsplit(" ", 1)[-1]
    assert len(password) == 20
    assert sql(db_url, "select must_change_password from auth.users where id = %s", [admin]) == [
        (True,)
    ]
    ((metadata,),) = events(db_url)
    assert password not in str(metadata)


def test_the_web_server_never_emits_emergency_recovery() -> None:
    package = Path(__file__).resolve().parents[1] / "webui"
    writers = [
        str(p.relative_to(package))
        for p in package.rglob("*.py")
        if "emergency_recovery" in p.read_text() and p.parts[len(package.parts)] != "cli"
    ]
    assert writers == []


def test_emergency_access_prints_a_single_use_link(db_url: str, admin: int) -> None:
    done = pgwarden(
        db_url,
        "user",
        "emergency-access",
        "--email",
        "root@example.com",
        "--reason",
        REASON,
        "--ttl-minutes",
        "500",
        "--yes",
    )
    assert done.returncode == 0, done.stderr
    assert "valid 60 minutes" in done.stdout, "the TTL is clamped to 60"
    token = done.stdout.strip().rsplit("/", 1)[-1]
    assert len(token) == 43
    ((minutes,),) = sql(
        db_url,
        "select round(extract(epoch from expires_at - requested_at) / 60) from"
        " auth.password_reset_tokens where token_hash = sha256(convert_to(%s, 'UTF8'))",
        [token],
    )
    assert minutes == 60
    assert len(events(db_url)) == 1
