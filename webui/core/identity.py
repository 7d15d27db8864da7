"""Who is asking, once proven: one `Identity` for a verified JWT and for a live pgwarden session,
and the one rule that tells the two kinds of bearer token apart."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from webui.core.roles import tier_role


def is_session_token(token: str) -> bool:
    """A JWT has exactly two dots; any other bearer token is a pgwarden session token (resolved
    by `auth.resolve_session()` in the database). The REST dialect and the auth endpoints both
    ask this, and only this."""
    return token.count(".") != 2


@dataclass(frozen=True)
class Identity:
    """The database role and claims a request runs with. A session (`from_session`) also knows
    its user, tier and session, and what it still owes; a JWT (`from_claims`) only its claims."""

    role: str
    claims: Mapping[str, Any]
    claims_json: str  # the claims as `pgwarden.begin_request()` takes them
    user_id: int | None = None
    tier: str | None = None
    session_id: int | None = None
    elevated: bool = False
    must_change_password: bool = False
    mfa_pending: bool = False  # the session still owes its second factor
    mfa_enrolment_due: bool = False  # PGWARDEN_MFA requires this user to enrol first

    @classmethod
    def from_claims(cls, role: str, claims: Mapping[str, Any], claims_json: str) -> Identity:
        """A verified JWT's: `role` as the role claim gave it."""
        return cls(role, claims, claims_json)

    @classmethod
    def from_session(
        cls,
        claims_json: str,
        user_id: int,
        tier: str,
        session_id: int,
        elevated: bool,
        must_change_password: bool,
        mfa_pending: bool = False,
        mfa_enrolment_due: bool = False,
    ) -> Identity:
        """A live session's: `auth.claims_of()`'s claims (their one shape, in SQL), then
        `auth.resolve_session()`'s columns in their order."""
        return cls(
            tier_role(tier),
            json.loads(claims_json),
            claims_json,
            user_id,
            tier,
            session_id,
            elevated,
            must_change_password,
            mfa_pending,
            mfa_enrolment_due,
        )

    @property
    def db_role(self) -> str:
        return self.role

    @property
    def authenticated(self) -> bool:
        """Always true: an anonymous request has no Identity."""
        return True
