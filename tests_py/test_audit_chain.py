"""The chain across transactions: an event that commits after a later-id event was sealed is
still sealed by the next run (nothing falls through the window), and a sealer that holds its
lock never blocks writers."""

from __future__ import annotations

import psycopg
import pytest

from webui import audit


def _connect(db_url: str) -> psycopg.Connection:
    return psycopg.connect(db_url, autocommit=True)


def _record(conn: psycopg.Connection, summary: str) -> int:
    row = conn.execute("select audit.record('session_logout', summary => %s)", [summary]).fetchone()
    assert row is not None
    return int(row[0])


def test_late_commit_with_a_lower_id_is_sealed_by_the_next_run(db_url: str) -> None:
    with _connect(db_url) as slow, _connect(db_url) as fast, _connect(db_url) as sealer:
        with slow.transaction():
            early_id = _record(slow, "takes the lower id, commits last")
            late_id = _record(fast, "takes the higher id, commits first")
            assert early_id < late_id
            assert audit.seal(sealer) == 1, "only the committed event is sealed"
            assert audit.verify(sealer).unsealed == 0
        assert audit.verify(sealer).unsealed == 1, "the late commit shows in the window"
        assert audit.seal(sealer) == 1, "the next run seals the late commit"
        sealed = sealer.execute("select event_id from audit.seals order by seq").fetchall()
        assert [row[0] for row in sealed] == [late_id, early_id]
        result = audit.verify(sealer)
        assert (result.ok, result.checked, result.unsealed) == (True, 2, 0)


def test_a_sealer_holding_its_lock_does_not_block_writers(db_url: str) -> None:
    with _connect(db_url) as sealer, _connect(db_url) as writer:
        _record(writer, "before")
        with sealer.transaction():
            sealer.execute("select audit.seal()")
            writer.execute("set lock_timeout = '1s'")
            _record(writer, "while the sealer holds its lock")
        assert audit.seal(sealer) == 1
        assert audit.verify(sealer).ok


def test_two_sealers_serialise_and_seal_each_event_once(db_url: str) -> None:
    with _connect(db_url) as one, _connect(db_url) as two, _connect(db_url) as writer:
        for n in range(20):
            _record(writer, f"event {n}")
        with one.transaction():
            assert one.execute("select audit.seal()").fetchone() == (20,)
            two.execute("set lock_timeout = '200ms'")
            with pytest.raises(psycopg.errors.LockNotAvailable):
                two.execute("select audit.seal()")
        assert audit.seal(two) == 0
        assert audit.verify(two).checked == 20


def test_app_role_may_seal_but_not_write_links(db_url: str) -> None:
    from webui.core.settings import app_url_for

    with _connect(db_url) as owner, psycopg.connect(app_url_for(db_url), autocommit=True) as app:
        _record(owner, "one")
        assert app.execute("select audit.seal()").fetchone() == (1,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            app.execute("insert into audit.seals (seq, event_id, hash) values (99, 1, '\\x00')")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            app.execute("select * from audit.verify()")
