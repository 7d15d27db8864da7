"""List limits of the declared resources: `default_limit` and `max_limit` of a policies/*.toml
`list`, compiled into authz.resources. A read of such a table with no limit gets the default, and
a larger limit (query string or Range) is cut to the maximum, silently, as `db-max-rows` cuts
every read (PostgREST's behaviour). Embedded reads and write representations are not limited.
Loaded with the schema cache (webui/rest/state.py); docs/rest.md, "List limits"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection

from webui.rest.build import ReadSpec


@dataclass(frozen=True)
class ListLimits:
    default: int | None
    maximum: int | None


Limits = dict[tuple[str, str], ListLimits]

_LIMITS_SQL = """
select split_part(r.relation, '.', 1), split_part(r.relation, '.', 2),
       r.default_limit, r.max_limit
  from authz.resources r
 where split_part(r.relation, '.', 1) = any(%s)
   and (r.default_limit is not null or r.max_limit is not null)
"""


async def load(conn: AsyncConnection[Any], schemas: tuple[str, ...]) -> Limits:
    """The limits of the exposed schemas' declared tables (none without authz.resources)."""
    probe = await conn.execute("select to_regclass('authz.resources') is not null")
    found = await probe.fetchone()
    if not found or not found[0]:
        return {}
    cursor = await conn.execute(_LIMITS_SQL, [list(schemas)])
    return {(s, t): ListLimits(d, x) for s, t, d, x in await cursor.fetchall()}


def page_cap(limits: ListLimits | None, spec: ReadSpec, cap: int | None) -> int | None:
    """Give a read without a top-level limit the default; return the cap of its page (the
    smaller of `db-max-rows` and the resource's maximum)."""
    if limits is None:
        return cap
    if limits.default is not None:
        spec.limit.setdefault((), limits.default)
    if limits.maximum is None:
        return cap
    return limits.maximum if cap is None else min(cap, limits.maximum)
