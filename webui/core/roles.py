"""The database roles of pgwarden, named once (created by `sql/00_roles/01_roles.sql`).

Tiers are stored in data as `user` … `developer`; the database role of a tier is `pgw_<tier>`."""

from __future__ import annotations

TIERS = ("user", "staff", "supervisor", "administrator", "developer")
ANON_ROLE = "pgw_anon"
LOGIN_ROLE = "authenticator"


def tier_role(tier: str) -> str:
    """The database role of a tier: `staff` → `pgw_staff`."""
    return f"pgw_{tier}"


# pgw_anon and the five tiers: every role a request may run as.
REQUEST_ROLES = (ANON_ROLE, *(tier_role(tier) for tier in TIERS))
# Every role the roles migration creates.
ALL_ROLES = (LOGIN_ROLE, *REQUEST_ROLES)
