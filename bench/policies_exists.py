"""Membership-filtered lists under the three ways an `exists` can compile, written to
bench/results/policies.md.

    .venv/bin/python bench/policies_exists.py [--database-url URL] [--repeat 7]

Creates a scratch database `pgw_bench_policies` on DATABASE_URL's server (default: the project's
throw-away test cluster in .pgwarden/test), deploys every migration, and compiles one small
policy file three times with `pgwarden`'s own compiler, each into its own schema:

- `inline`: `exists = { …, visible = true }`, the SQL of before: `exists (select from member …)`
  inside the policy, read under the caller's RLS (recurses when the tables refer to each other);
- `keys`: the default, a SECURITY DEFINER helper returning the caller's family ids, called once
  per statement (`family_id in (select authz.…(user id))`);
- `bool`: the boolean helper form, called per row (`authz.…(family_id)`), used when nothing
  in the exists narrows the lookup by the request (here the reader's id written as a literal).

Data: 1,000 families, 2,000 users each a member of 5 families (10,000 memberships), 100,000
shopping items (100 per family). As user 1 (5 families, 500 visible items) it times a count of
the whole table, the first page of 25 by id, and one family's list (`family_id = 3`), each the
median of --repeat runs, and records whether the planner used the family_id index.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from webui.ops.cluster import Cluster  # noqa: E402
from webui.policies import compiler, parser  # noqa: E402
from webui.policies import model as m  # noqa: E402
from webui.testing import deploy_all, url_for_database  # noqa: E402

DB_NAME = "pgw_bench_policies"
KEY = '"family_id = row.family_id", "user_id = user.id"'
VARIANTS = {
    "inline": f'{{ exists = {{ resource = "member", where = [{KEY}], visible = true }} }}',
    "keys": f'{{ exists = {{ resource = "member", where = [{KEY}] }} }}',
    # the same test for the reader (user 1) with the user as a literal: nothing narrows the
    # lookup by the request, so it compiles to the boolean form, called per row
    "bool": (
        '{ exists = { resource = "member", where = ["family_id = row.family_id", '
        '{ field = "user_id", equals = 1 }] } }'
    ),
    # `keys` with an update policy the read lacks (its creator): the item table then has a
    # second read policy, item_read_to_update, false outside a PATCH (doctrine 11)
    "writes": f'{{ exists = {{ resource = "member", where = [{KEY}] }} }}',
}
WRITES = """update = "created_by = user.id"
"""
TOML = """
[settings]
schema = "bench_{name}"
[resources.member]
roles = {{ read = "user" }}
audit = false
[resources.member.fields]
id = {{ type = "bigint", primary_key = true, generated = "identity" }}
family_id = {{ type = "bigint" }}
user_id = {{ type = "bigint" }}
[resources.member.policies]
read = "user_id = user.id"
[resources.item]
roles = {{ read = "user"{update_role} }}
audit = false
[resources.item.fields]
id = {{ type = "bigint", primary_key = true, generated = "identity" }}
family_id = {{ type = "bigint" }}
title = {{ type = "text" }}
created_by = {{ type = "bigint", nullable = true }}
[resources.item.policies]
read = {policy}
{update}"""
DATA = """
insert into bench_{name}.member (family_id, user_id)
  select (u * 7 + k * 131) % 1000 + 1, u from generate_series(1, 2000) u, generate_series(0, 4) k;
insert into bench_{name}.item (family_id, title)
  select i % 1000 + 1, 'item ' || i from generate_series(1, 100000) i;
analyze bench_{name}.member;
analyze bench_{name}.item;
"""
QUERIES = {
    "count(*) of the whole table": "select count(*) from bench_{name}.item",
    "first page (25 by id)": "select id, title from bench_{name}.item order by id limit 25",
    "one family's list": "select id, title from bench_{name}.item where family_id = {family}",
}


def server_url(explicit: str | None) -> str:
    url = explicit or os.environ.get("DATABASE_URL")
    if url:
        return url
    cluster = Cluster(ROOT / ".pgwarden" / "test")
    cluster.start(fast_unsafe=True)
    return cluster.url("postgres")


def compiled(name: str, policy: str) -> str:
    decl = parser.load_data(
        __import__("tomllib").loads(
            TOML.format(
                name=name,
                policy=policy,
                update=WRITES if name == "writes" else "",
                update_role=', update = "user"' if name == "writes" else "",
            )
        ),
        m.Declarations(path=Path(f"bench_{name}.toml"), schema="public"),
    )
    assert not decl.issues, decl.issues
    catalog = {r.name: r for r in decl.resources}
    return compiler.compile_decl(decl, catalog, f"bench_{name}.toml").deploy


def fresh_database(url: str) -> str:
    with psycopg.connect(url_for_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(f"drop database if exists {DB_NAME} with (force)")
        conn.execute(f"create database {DB_NAME}")
    bench_url = url_for_database(url, DB_NAME)
    deploy_all(bench_url)
    with psycopg.connect(bench_url, autocommit=True) as conn:
        for name, policy in VARIANTS.items():
            conn.execute(compiled(name, policy).encode())
            conn.execute(DATA.format(name=name).encode())
    return bench_url


def visible_family(conn: psycopg.Connection) -> int:
    row = conn.execute("select min(family_id) from bench_keys.member where user_id = 1").fetchone()
    assert row is not None
    return int(row[0])


def timed(conn: psycopg.Connection, sql: str, repeat: int) -> tuple[float, int, str]:
    """Median milliseconds, the row count, and the plan's access path for the item table."""
    claims = json.dumps({"sub": "1", "role": "pgw_user", "tier": "user"})
    runs, rows, plan = [], 0, ""
    for i in range(repeat + 1):
        with conn.transaction(force_rollback=True):
            conn.execute("select set_config('request.jwt.claims', %s, true)", (claims,))
            conn.execute("set local role pgw_user")
            if i == 0:
                lines = [r[0] for r in conn.execute(f"explain {sql}").fetchall()]
                plan = next((x.strip() for x in lines if " on item" in x), lines[0].strip())
            start = time.perf_counter()
            rows = len(conn.execute(sql).fetchall())
            elapsed = (time.perf_counter() - start) * 1000
        if i:  # the first run warms the caches
            runs.append(elapsed)
    return statistics.median(runs), rows, plan


def main() -> int:
    arguments = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    arguments.add_argument("--database-url")
    arguments.add_argument("--repeat", type=int, default=7)
    arguments.add_argument(
        "--output", type=Path, default=ROOT / "bench" / "results" / "policies.md"
    )
    args = arguments.parse_args()
    load_before = os.getloadavg()
    url = fresh_database(server_url(args.database_url))
    results: dict[str, dict[str, tuple[float, int, str]]] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        version = str(conn.execute("show server_version").fetchone()[0])  # type: ignore[index]
        family = visible_family(conn)
        for label, query in QUERIES.items():
            results[label] = {}
            for name in VARIANTS:
                sql = query.format(name=name, family=family)
                results[label][name] = timed(conn, sql, args.repeat)
                print(f"{label:<30} {name:<7} {results[label][name][0]:9.2f} ms", flush=True)
    load_after = os.getloadavg()
    args.output.write_text(report(results, version, load_before, load_after, args.repeat))
    print(f"wrote {args.output}")
    return 0


def report(
    results: dict[str, dict[str, tuple[float, int, str]]],
    version: str,
    before: tuple[float, float, float],
    after: tuple[float, float, float],
    repeat: int,
) -> str:
    lines = [
        "# Membership-filtered lists: inline exists vs. exists helpers",
        "",
        f"`bench/policies_exists.py`, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, PostgreSQL "
        f"{version}, medians of {repeat} runs (after one warm-up run). Load average "
        f"{before[0]:.2f} before, {after[0]:.2f} after (a machine shared with other work).",
        "",
        "100,000 items in 1,000 families; the reader is a member of 5 families (500 visible).",
        "`inline` is the SQL compiled before (an `exists` subquery under the reader's RLS, as",
        "`visible = true` still compiles); `keys` the default helper (the reader's family ids,",
        "once per statement); `bool` the per-row helper (an exists not narrowed by the request);",
        "`writes` is `keys` plus an update policy the read lacks, so the item table also has",
        "`item_read_to_update` (docs/policies.md, doctrine 11), false outside a PATCH.",
        "",
        "| query | variant | median ms | rows | access path of the item table |",
        "|---|---|---:|---:|---|",
    ]
    for label, variants in results.items():
        for name, (ms, rows, plan) in variants.items():
            lines.append(f"| {label} | {name} | {ms:.2f} | {rows} | `{plan}` |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
