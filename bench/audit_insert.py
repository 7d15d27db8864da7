"""Row-audit overhead and chain speed, written to bench/results/audit_insert.md.

    .venv/bin/python bench/audit_insert.py [--rows 100000] [--repeat 3] [--chain 1000000]

Creates a scratch database `pgw_bench_audit` on DATABASE_URL's server (default: the project's
throw-away test cluster in .pgwarden/test, fsync off), deploys every migration, then measures:

1. 100,000 rows inserted from Python in batches of 1,000 (one multi-row INSERT and one commit
   per batch) into a plain table and into the same table with audit.enable();
2. the same 100,000 rows as one server-side INSERT … SELECT;
3. audit.seal() and audit.verify() over a chain of --chain events.

Runs alternate plain and audited, and each number is the median of --repeat runs.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from webui.cluster import Cluster  # noqa: E402
from webui.testing import deploy_all, url_for_database  # noqa: E402

DB_NAME = "pgw_bench_audit"
BATCH = 1_000
# "accounts": the smallest table worth auditing (a primary key, a secret column).
# "orders": a typical back-office table (a foreign key, a unique and two secondary indexes).
SETUP_DDL = """
create schema bench;
create table bench.customers (id bigint primary key, name text not null);
insert into bench.customers select i, 'customer ' || i from generate_series(1, 1000) i;
"""
TABLE_DDL = {
    "accounts": """
create table bench.{name} (
  id bigint primary key,
  login text not null,
  email text not null,
  balance numeric(12, 2) not null,
  status text not null default 'new',
  password_hash text,
  created_at timestamptz not null default now()
)""",
    "orders": """
create table bench.{name} (
  id bigint primary key,
  order_number text not null unique,
  customer_id bigint not null references bench.customers (id),
  amount numeric(12, 2) not null check (amount >= 0),
  status text not null default 'new' check (status in ('new', 'paid', 'shipped')),
  note text,
  created_at timestamptz not null default now()
);
create index on bench.{name} (customer_id);
create index on bench.{name} (status, created_at)""",
}
ROWS_SQL = {
    "accounts": """
insert into bench.{name} (id, login, email, balance, password_hash)
select i, 'user' || i, 'u' || i || '@example.com', (i %% 1000) / 10.0, '$argon2id$' || md5(i::text)
  from {source}""",
    "orders": """
insert into bench.{name} (id, order_number, customer_id, amount, note)
select i, 'ORD-' || lpad(i::text, 8, '0'), 1 + i %% 1000, (i %% 1000) / 10.0, 'note ' || i
  from {source}""",
}
BATCH_SOURCE = "unnest(%s::bigint[]) as i"
SERVER_SOURCE = "generate_series(1, %s) as i"


def server_url(explicit: str | None) -> str:
    url = explicit or os.environ.get("DATABASE_URL")
    if url:
        return url
    cluster = Cluster(ROOT / ".pgwarden" / "test")
    cluster.start(fast_unsafe=True)
    return cluster.url("postgres")


def fresh_database(url: str) -> str:
    with psycopg.connect(url_for_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(f"drop database if exists {DB_NAME} with (force)")
        conn.execute(f"create database {DB_NAME}")
    bench_url = url_for_database(url, DB_NAME)
    deploy_all(bench_url)
    with psycopg.connect(bench_url, autocommit=True) as conn:
        conn.execute(SETUP_DDL)
        for kind, ddl in TABLE_DDL.items():
            for variant in ("plain", "audited"):
                conn.execute(ddl.format(name=f"{kind}_{variant}"))
            conn.execute(f"select audit.enable('bench.{kind}_audited')")
    return bench_url


def python_batches(conn: psycopg.Connection, kind: str, name: str, rows: int) -> float:
    statement = ROWS_SQL[kind].format(name=name, source=BATCH_SOURCE)
    started = time.perf_counter()
    for start in range(1, rows + 1, BATCH):
        with conn.transaction():
            conn.execute(statement, [list(range(start, min(start + BATCH, rows + 1)))])
    return time.perf_counter() - started


def server_side(conn: psycopg.Connection, kind: str, name: str, rows: int) -> float:
    started = time.perf_counter()
    with conn.transaction():
        conn.execute(ROWS_SQL[kind].format(name=name, source=SERVER_SOURCE), [rows])
    return time.perf_counter() - started


UPDATE_SQL = {
    "accounts": "update bench.{name} set balance = balance + 1, status = 'active'",
    "orders": "update bench.{name} set amount = amount + 1, status = 'paid'",
}


def server_update(conn: psycopg.Connection, kind: str, name: str, rows: int) -> float:
    """One UPDATE of every row (the rows are inserted first, untimed)."""
    with conn.transaction():
        conn.execute(ROWS_SQL[kind].format(name=name, source=SERVER_SOURCE), [rows])
    conn.execute(f"vacuum analyze bench.{name}")
    started = time.perf_counter()
    with conn.transaction():
        conn.execute(UPDATE_SQL[kind].format(name=name))
    return time.perf_counter() - started


def reset(conn: psycopg.Connection, kind: str) -> None:
    plain, audited = f"bench.{kind}_plain", f"bench.{kind}_audited"
    conn.execute(f"select audit.disable('{audited}')")
    conn.execute(f"truncate {plain}, {audited}")
    conn.execute(f"select audit.enable('{audited}')")
    conn.execute(f"vacuum analyze {plain}, {audited}")
    conn.execute("checkpoint")


Runner = Callable[[psycopg.Connection, str, str, int], float]


def compare(
    conn: psycopg.Connection, kind: str, runner: Runner, rows: int, repeat: int
) -> dict[str, float]:
    times: dict[str, list[float]] = {"plain": [], "audited": []}
    for _ in range(repeat):
        for variant in ("plain", "audited"):
            reset(conn, kind)
            times[variant].append(runner(conn, kind, f"{kind}_{variant}", rows))
    return {name: statistics.median(values) for name, values in times.items()}


def chain_timings(conn: psycopg.Connection, events: int) -> dict[str, float]:
    conn.execute("select audit.disable('bench.accounts_audited')")
    conn.execute("select audit.enable('bench.accounts_audited', '{}')")
    started = time.perf_counter()
    server_side(conn, "accounts", "accounts_audited", events)
    written = time.perf_counter() - started
    conn.execute("vacuum analyze audit.events")
    started = time.perf_counter()
    sealed = conn.execute("select audit.seal(%s)", [events * 2]).fetchone()
    seal_time = time.perf_counter() - started
    started = time.perf_counter()
    result = conn.execute("select ok, checked from audit.verify()").fetchone()
    verify_time = time.perf_counter() - started
    assert result is not None and result[0], result
    assert sealed is not None
    return {
        "written": written,
        "sealed": float(sealed[0]),
        "seal": seal_time,
        "verify": verify_time,
        "checked": float(result[1]),
        "events": float(events),
    }


FLOOR_DDL = """
create table bench.event_floor (like audit.events including defaults including identity);
create function bench.floor_capture() returns trigger language plpgsql as $$
begin
  insert into bench.event_floor (event, target_table, target_id, after)
  select 'create', 'bench.accounts_floor', r.image ->> 'id', r.image
    from (select pg_catalog.to_jsonb(n) as image from new_rows n) r;
  return null;
end $$;
create table bench.accounts_floor (like bench.accounts_plain including all);
create trigger floor after insert on bench.accounts_floor referencing new table as new_rows
  for each statement execute function bench.floor_capture();
"""


def floor_timing(conn: psycopg.Connection, rows: int, repeat: int) -> dict[str, float]:
    """The least any per-row jsonb image can cost: one event row with to_jsonb(row), written by a
    statement-level trigger into an unindexed, unconstrained copy of audit.events; alternating
    with plain runs, like every other row of the table."""
    conn.execute(FLOOR_DDL)
    times: dict[str, list[float]] = {"plain": [], "audited": []}
    for _ in range(repeat):
        reset(conn, "accounts")
        times["plain"].append(server_side(conn, "accounts", "accounts_plain", rows))
        conn.execute("truncate bench.accounts_floor, bench.event_floor")
        conn.execute("checkpoint")
        times["audited"].append(server_side(conn, "accounts", "accounts_floor", rows))
    return {name: statistics.median(values) for name, values in times.items()}


SINGLE_SHARE = 50  # single-row requests: rows / 50 of them (2,000 for 100,000)


def single_rows(conn: psycopg.Connection, kind: str, name: str, rows: int) -> float:
    """The app's usual write: one row per request, one transaction each."""
    statement = ROWS_SQL[kind].format(name=name, source=BATCH_SOURCE)
    started = time.perf_counter()
    for row_id in range(1, rows // SINGLE_SHARE + 1):
        with conn.transaction():
            conn.execute(statement, [[row_id]])
    return time.perf_counter() - started


def _row(label: str, rows: int, timing: dict[str, float], goal: bool = True) -> str:
    ratio = timing["audited"] / timing["plain"]
    verdict = ("✓" if ratio <= 1.5 else "✗") if goal else "—"
    return (
        f"| {label} | {rows / timing['plain']:,.0f} | {rows / timing['audited']:,.0f} "
        f"| {ratio:.2f}× | {verdict} |"
    )


def report(
    rows: int,
    repeat: int,
    results: dict[str, dict[str, float]],
    floor: dict[str, float],
    chain: dict[str, float],
    server_version: str,
) -> str:
    lines = [
        "# Audit benchmark",
        "",
        f"Generated by `bench/audit_insert.py` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; "
        f"PostgreSQL {server_version}, {platform.machine()}, {os.cpu_count()} cores shared with "
        "other work (load varies between runs); the throw-away test cluster (fsync off). "
        f"Median of {repeat} runs, plain and audited alternating; {rows:,} rows per run. "
        "`accounts`: primary key only, one secret column (redacted). `orders`: a foreign key, "
        "a unique and two secondary indexes, two CHECKs.",
        "",
        f"| {rows:,} rows | plain rows/s | audited rows/s | audited / plain | goal ≤ 1.5× |",
        "|---|---:|---:|---:|:---:|",
    ]
    for key, label in [
        ("accounts python", f"accounts, Python batches of {BATCH:,} (one INSERT + commit each)"),
        ("accounts server", "accounts, one server-side INSERT … SELECT"),
        ("orders python", f"orders, Python batches of {BATCH:,} (one INSERT + commit each)"),
        ("orders server", "orders, one server-side INSERT … SELECT"),
        ("accounts update", "accounts, one UPDATE of every row"),
        ("orders update", "orders, one UPDATE of every row"),
    ]:
        lines.append(_row(label, rows, results[key], goal="update" not in key))
    for kind in ("accounts", "orders"):
        label = f"{kind}, {rows // SINGLE_SHARE:,} single-row INSERTs, one transaction each"
        lines.append(_row(label, rows // SINGLE_SHARE, results[f"{kind} single"], goal=False))
    floor_label = (
        "floor: accounts, server-side, one to_jsonb event row per row into an unindexed copy "
        "of audit.events"
    )
    lines += [
        _row(floor_label, rows, floor, goal=False),
        "",
        "| hash chain | events | seconds | events/s | goal |",
        "|---|---:|---:|---:|---|",
        f"| write (audited INSERT … SELECT into accounts) | {chain['events']:,.0f} "
        f"| {chain['written']:.1f} | {chain['events'] / chain['written']:,.0f} | |",
        f"| `audit.seal()` | {chain['sealed']:,.0f} | {chain['seal']:.1f} "
        f"| {chain['sealed'] / chain['seal']:,.0f} | |",
        f"| `audit.verify()` | {chain['checked']:,.0f} | {chain['verify']:.1f} "
        f"| {chain['checked'] / chain['verify']:,.0f} | < 60 s for 1,000,000 "
        f"{'✓' if chain['verify'] < 60 else '✗'} |",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--chain", type=int, default=1_000_000)
    parser.add_argument(
        "--output", type=Path, default=ROOT / "bench" / "results" / "audit_insert.md"
    )
    args = parser.parse_args()
    url = fresh_database(server_url(args.database_url))
    results: dict[str, dict[str, float]] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        version = str(conn.execute("show server_version").fetchone()[0])  # type: ignore[index]
        for kind in TABLE_DDL:
            results[f"{kind} python"] = compare(conn, kind, python_batches, args.rows, args.repeat)
            results[f"{kind} server"] = compare(conn, kind, server_side, args.rows, args.repeat)
            results[f"{kind} update"] = compare(conn, kind, server_update, args.rows, args.repeat)
            results[f"{kind} single"] = compare(conn, kind, single_rows, args.rows, args.repeat)
        floor = floor_timing(conn, args.rows, args.repeat)
    url = fresh_database(server_url(args.database_url))  # the chain alone: exactly --chain events
    with psycopg.connect(url, autocommit=True) as conn:
        chain = chain_timings(conn, args.chain)
    text = report(args.rows, args.repeat, results, floor, chain, version)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(text)
    with psycopg.connect(url_for_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(f"drop database if exists {DB_NAME} with (force)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
