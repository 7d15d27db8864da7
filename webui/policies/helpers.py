"""Exists helpers: how a cross-resource `exists` is compiled so that it never re-enters RLS.

A policy that reads another table inline (`exists (select from other …)`) runs that table's own
policies too; two resources whose policies look into each other then recurse, and PostgreSQL
refuses every statement with 42P17. Instead, each `exists` shape becomes one SQL function here:

- SECURITY DEFINER, STABLE, `search_path = ''`, every name schema-qualified;
- owned by `pgw_policy_reader` (NOLOGIN, BYPASSRLS, SELECT on exactly the tables its helpers
  read; created by the framework change `authz_exists_owner`), so the lookup answers "does a
  matching row exist", whatever the caller may see (VSR's semantics);
- the values it compares (the policy row's columns, user.id, claims) are its arguments: the
  body reads nothing of the request, so the owner needs no other privilege;
- EXECUTE revoked from PUBLIC and granted to the roles the calling policies apply to;
- in schema `authz`, which the REST dialect never exposes.

When the `exists` compares columns of the policy row and is narrowed by the request (user.id, a
claim), the helper returns the caller's matching keys instead (`family_id in (select authz.…(user
id))`): called once per statement, so the planner can still drive the list through the index on
that column. docs/policies.md says why; bench/policies_exists.py measures it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from webui.policies.sqltext import ident, qualified, text_literal

SCHEMA = "authz"
OWNER = "pgw_policy_reader"
MAX_NAME = 63


@dataclass(frozen=True)
class Helper:
    """One generated function: its name, argument types, result, body and the tables it reads."""

    name: str
    params: tuple[str, ...]
    returns: str  # "boolean", or "setof <type>" for the key-set form
    body: str
    reads: tuple[tuple[str, str], ...]  # (schema, table)
    comment: str

    @property
    def signature(self) -> str:
        return f"{SCHEMA}.{ident(self.name)}({', '.join(self.params)})"

    def call(self, args: list[str]) -> str:
        return f"{SCHEMA}.{ident(self.name)}({', '.join(args)})"


def helper_name(prefix: str, table: str, returns: str, body: str, params: tuple[str, ...]) -> str:
    """A stable name: the file and table it belongs to, and a digest of the shape."""
    digest = hashlib.sha256(f"{returns}|{body}|{','.join(params)}".encode()).hexdigest()[:8]
    head = f"{prefix}_{table}"[: MAX_NAME - 10].rstrip("_")
    return f"{head}_{digest}"


def render(helper: Helper, grantees: list[str]) -> str:
    """The function, its owner, its privileges and its comment, re-runnable."""
    sig = helper.signature
    reads = sorted(set(helper.reads))
    lines = [
        f"create or replace function {sig}\nreturns {helper.returns}\nlanguage sql\nstable\n"
        f"security definer\nset search_path = ''\nas $$\n  {helper.body}\n$$;",
        *(f"grant usage on schema {ident(s)} to {OWNER};" for s in sorted({s for s, _ in reads})),
        *(f"grant select on {qualified(s, t)} to {OWNER};" for s, t in reads),
        f"alter function {sig} owner to {OWNER};",
        f"revoke execute on function {sig} from public;",
        f"grant execute on function {sig} to {', '.join(grantees)};",
        f"comment on function {sig} is {text_literal(helper.comment)};",
    ]
    return "\n".join(lines)


def drop(helper: Helper) -> str:
    return f"drop function if exists {helper.signature};"


def verify(helper: Helper) -> str:
    message = text_literal(f"{SCHEMA}.{helper.name}: must be SECURITY DEFINER owned by {OWNER}")
    return (
        "  assert (select p.prosecdef and p.proowner = "
        f"(select r.oid from pg_catalog.pg_roles r where r.rolname = {text_literal(OWNER)})\n"
        f"          from pg_catalog.pg_proc p where p.oid = {text_literal(helper.signature)}"
        f"::regprocedure),\n    {message};"
    )
