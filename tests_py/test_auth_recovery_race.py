"""Races that must have one outcome, with two real connections (docs/recovery.md):
- of two concurrent consumes of one reset link, exactly one wins;
- two transactions that each demote or deactivate one of the last two administrators leave one
  active administrator, under READ COMMITTED (the second waits, then is refused) and under
  REPEATABLE READ (the second fails with a serialization error)."""

from __future__ import annotations

import threading

import psycopg
import pytest
from psycopg import errors

from webui.testing.auth import create_user, sql

HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$bmV3"
TOKEN = "t" * 43


def _in_thread(target: object) -> tuple[threading.Thread, dict[str, object]]:
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["value"] = target()  # type: ignore[operator]
        except Exception as exc:  # the outcome is what the test inspects
            box["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread, box


def test_two_concurrent_consumes_exactly_one_wins(db_url: str) -> None:
    create_user(db_url, "ann@example.com", "correct horse battery")
    sql(
        db_url,
        "select auth.request_password_reset('ann@example.com', %s, 'https://x.example')",
        [TOKEN],
    )
    consume = "select auth.consume_password_reset(%s, %s)"
    with psycopg.connect(db_url) as first, psycopg.connect(db_url) as second:
        won = first.execute(consume, [TOKEN, HASH]).fetchone()
        thread, box = _in_thread(lambda: second.execute(consume, [TOKEN, HASH]).fetchone())
        thread.join(0.5)
        assert thread.is_alive(), "the second consume waits for the first transaction"
        first.commit()
        thread.join(10)
        second.commit()
    assert won == (0,) and box.get("value") == (None,), "one wins, the other finds it used"
    assert sql(
        db_url, "select count(*) from audit.events where event = 'password_reset_self_consume'"
    ) == [(1,)]


@pytest.mark.parametrize(
    ("isolation", "change"),
    [
        (psycopg.IsolationLevel.READ_COMMITTED, "is_active = false"),
        (psycopg.IsolationLevel.READ_COMMITTED, "role = 'staff'"),
        (psycopg.IsolationLevel.REPEATABLE_READ, "is_active = false"),
        (psycopg.IsolationLevel.REPEATABLE_READ, "role = 'staff'"),
    ],
)
def test_the_last_two_administrators_cannot_both_go(
    db_url: str, isolation: psycopg.IsolationLevel, change: str
) -> None:
    a = create_user(db_url, "a@example.com", None, "administrator")
    b = create_user(db_url, "b@example.com", None, "administrator")
    statement = f"update auth.users set {change} where id = %s"
    with psycopg.connect(db_url) as one, psycopg.connect(db_url) as two:
        one.isolation_level = two.isolation_level = isolation
        one.execute("select count(*) from auth.users")  # both snapshots see two administrators
        two.execute("select count(*) from auth.users")
        one.execute(statement, [a])
        thread, box = _in_thread(lambda: two.execute(statement, [b]))
        thread.join(0.5)
        assert thread.is_alive(), "the second removal waits on the tier's guard row"
        one.commit()
        thread.join(10)
        error = box.get("error")
        expected = (
            errors.InsufficientPrivilege
            if isolation == psycopg.IsolationLevel.READ_COMMITTED
            else errors.SerializationFailure
        )
        assert isinstance(error, expected), f"got {error!r}"
        two.rollback()
    assert sql(
        db_url, "select count(*) from auth.users where role = 'administrator' and is_active"
    ) == [(1,)]
