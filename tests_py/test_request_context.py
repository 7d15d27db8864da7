"""Across real connections: the app's role can switch only to the pgwarden roles, and request
context set in one transaction is gone in the next."""

from __future__ import annotations

import psycopg
import pytest

from webui.core.settings import app_url_for


def test_authenticator_switches_to_tiers_but_not_to_other_roles(db_url: str) -> None:
    with psycopg.connect(app_url_for(db_url), autocommit=True) as conn:
        for role in [
            "pgw_anon",
            "pgw_user",
            "pgw_staff",
            "pgw_supervisor",
            "pgw_administrator",
            "pgw_developer",
        ]:
            conn.execute(f"set role {role}")
            assert conn.execute("select current_user").fetchone() == (role,)
            conn.execute("reset role")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("set role postgres")


def test_authenticator_holds_no_tier_privilege_before_switching(db_url: str) -> None:
    with psycopg.connect(app_url_for(db_url), autocommit=True) as conn:
        inherited = conn.execute("select pg_has_role('pgw_user', 'usage')").fetchone()
    assert inherited == (False,)


def test_context_is_transaction_local(db_url: str) -> None:
    with psycopg.connect(app_url_for(db_url)) as conn:
        with conn.transaction():
            conn.execute(
                "select set_config('request.jwt.claims', '{\"sub\":\"9\"}', true),"
                " set_config('request.correlation_id', 'c-0123456789abcdef', true)"
            )
            assert conn.execute("select auth.uid(), pgwarden.correlation_id()").fetchone() == (
                9,
                "c-0123456789abcdef",
            )
        assert conn.execute("select auth.uid(), pgwarden.correlation_id()").fetchone() == (
            None,
            None,
        )
