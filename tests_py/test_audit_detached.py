"""record_detached(): a security event of a failing request is committed on its own connection
(as authenticator) although the request's transaction rolls back; only detachable security
events are accepted, with typed errors for anything else; authenticator cannot reach
audit.record() directly."""

from __future__ import annotations

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from webui.audit import record_detached
from webui.core.db import request_transaction
from webui.core.settings import app_url_for

CORRELATION = "corr-detached-test-0001"


class LoginRefused(Exception):
    """Stands for a failed login: the request's transaction rolls back."""


def _pool(db_url: str) -> AsyncConnectionPool:
    return AsyncConnectionPool(
        app_url_for(db_url), min_size=1, max_size=4, open=False, kwargs={"autocommit": True}
    )


def _prepare(db: psycopg.Connection) -> None:
    db.autocommit = True
    db.execute("create table public.attempts (id int primary key, note text)")
    db.execute("grant insert on public.attempts to pgw_anon")
    db.execute("select audit.enable('public.attempts')")


async def test_detached_event_survives_the_request_rollback(
    db: psycopg.Connection, db_url: str
) -> None:
    _prepare(db)
    async with _pool(db_url) as pool:
        with pytest.raises(LoginRefused):
            async with request_transaction(pool, correlation_id=CORRELATION) as conn:
                await conn.execute("insert into public.attempts values (1, 'in the request')")
                event_id = await record_detached(
                    pool,
                    "login_failed",
                    actor_id=7,
                    target_table="auth.users",
                    target_id="7",
                    summary="wrong password",
                    metadata={"reason": "wrong_password"},
                    correlation_id=CORRELATION,
                    client_ip="203.0.113.9",
                )
                raise LoginRefused
    row = db.execute(
        "select event, actor_id, target_table, target_id, metadata ->> 'reason', correlation_id, "
        "client_ip::text, db_role from audit.events where id = %s",
        [event_id],
    ).fetchone()
    assert row == (
        "login_failed",
        7,
        "auth.users",
        "7",
        "wrong_password",
        CORRELATION,
        "203.0.113.9/32",
        "authenticator",
    )
    assert db.execute("select count(*) from public.attempts").fetchone() == (0,)
    row_events = db.execute(
        "select count(*) from audit.events where target_table = 'public.attempts' "
        "and event = 'create'"
    ).fetchone()
    assert row_events == (0,), "the rolled-back insert left no event"


async def test_account_locked_is_detachable(db_url: str) -> None:
    async with _pool(db_url) as pool:
        event_id = await record_detached(
            pool,
            "account_locked",
            actor_id=None,
            target_id="7",
            metadata={"via": "auto_throttle", "failed_count": 5},
        )
    assert event_id > 0


@pytest.mark.parametrize("event", ["role_changed", "user_deleted", "create", "no_such_event"])
async def test_other_events_cannot_be_recorded_detached(db_url: str, event: str) -> None:
    async with _pool(db_url) as pool:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            await record_detached(pool, event, actor_id=1)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("client_ip", "not-an-ip"),
        ("correlation_id", "short"),
        ("correlation_id", "has spaces in it, which is bad"),
        ("metadata", {"blob": "x" * 5000}),
    ],
)
async def test_malformed_input_is_a_typed_error_and_writes_nothing(
    db: psycopg.Connection, db_url: str, field: str, value: object
) -> None:
    db.autocommit = True
    async with _pool(db_url) as pool:
        with pytest.raises(psycopg.errors.InvalidParameterValue):
            await record_detached(pool, "login_failed", **{field: value})  # type: ignore[arg-type]
    assert db.execute("select count(*) from audit.events").fetchone() == (0,)


def test_authenticator_cannot_call_record_or_insert(db_url: str) -> None:
    with psycopg.connect(app_url_for(db_url), autocommit=True) as app:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            app.execute("select audit.record('role_changed')")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            app.execute("insert into audit.events (event) values ('login_failed')")
        app.execute("set role pgw_anon")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            app.execute("select audit.record_security_event('login_failed')")
