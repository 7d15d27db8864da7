"""Read throughput with one primary versus one primary + one hot standby, in the same run.

    .venv/bin/python bench/replica_bench.py [--duration 10] [--connections 32] [--rounds 3]

The bench cluster of rest_bench.py (`.pgwarden/bench`, bench/rest_schema.sql) and a real
streaming standby of it (`pg_basebackup -R`, webui/testing/standby.py). `pgwarden serve
--workers 2` runs twice: on the primary alone, then with `PGWARDEN_READ_DATABASE_URL` naming the
standby. wrk drives two reads (a row by primary key, a 25-row filtered and ordered list) as a
JWT user. How many transactions each server committed during a run says where the reads went.
Results: bench/results/replica.{json,md}, with the machine's cores and load average.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import rest_bench as rb  # noqa: E402

from webui.testing.standby import running_standby  # noqa: E402

CASES = [case for case in rb.CASES if case.name in ("get_one", "list_25")]
RESULTS = ROOT / "bench" / "results"


def commits(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "select xact_commit from pg_stat_database where datname = current_database()"
        ).fetchone()
    return int(row[0]) if row else 0


def measure(
    base: str, case: rb.Case, target: str, args: argparse.Namespace, urls: dict[str, str]
) -> dict[str, object]:
    before = {name: commits(url) for name, url in urls.items()}
    load = os.getloadavg()[0]
    result = rb.run_wrk(base, case, "pgwarden-2", args)
    after = {name: commits(url) for name, url in urls.items()}
    return {
        "case": case.name,
        "target": target,
        "rps": result.requests_per_second,
        "p50_ms": result.p50_ms,
        "p99_ms": result.p99_ms,
        "errors": result.errors,
        "load_before": round(load, 2),
        "load_after": round(os.getloadavg()[0], 2),
        "commits": {name: after[name] - before[name] for name in urls},
    }


def one_round(
    url: str, standby_url: str, read_url: str, args: argparse.Namespace
) -> list[dict[str, object]]:
    urls = {"primary": url, "standby": standby_url}
    out = []
    with rb.pgwarden(url, 2, args.db_pool) as base:
        out += [measure(base, case, "primary", args, urls) for case in CASES]
    os.environ["PGWARDEN_READ_DATABASE_URL"] = read_url
    try:
        with rb.pgwarden(url, 2, args.db_pool) as base:
            out += [measure(base, case, "primary+standby", args, urls) for case in CASES]
    finally:
        del os.environ["PGWARDEN_READ_DATABASE_URL"]
    return out


def medians(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    keys = sorted({(str(r["case"]), str(r["target"])) for r in rows})
    out = []
    for case, target in keys:
        group = [r for r in rows if r["case"] == case and r["target"] == target]
        med = {
            k: statistics.median(float(r[k]) for r in group)  # type: ignore[arg-type]
            for k in ("rps", "p50_ms", "p99_ms", "load_before", "load_after")
        }
        standby = statistics.median(int(r["commits"]["standby"]) for r in group)  # type: ignore[index]
        primary = statistics.median(int(r["commits"]["primary"]) for r in group)  # type: ignore[index]
        errors = sum(int(r["errors"]) for r in group)  # type: ignore[call-overload]
        out.append({"case": case, "target": target, **med, "errors": errors,
                    "primary_commits": primary, "standby_commits": standby})  # fmt: skip
    return out


def markdown(rows: list[dict[str, object]], meta: dict[str, object]) -> str:
    lines = [
        "# Reads: one primary versus one primary + one hot standby",
        "",
        f"{meta['when']}, {meta['machine']}, {meta['cores']} cores, {meta['rounds']} rounds of "
        f"{meta['duration']} s, wrk {meta['connections']} connections, `pgwarden serve "
        "--workers 2`. Median per case. Primary, standby, both app workers and wrk share the "
        "same cores.",
        "",
        "| case | target | req/s | p50 ms | p99 ms | errors | commits on primary "
        "| commits on standby | load avg before → after |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['case']} | {r['target']} | {r['rps']:.0f} | {r['p50_ms']:.2f} | "
            f"{r['p99_ms']:.2f} | {r['errors']} | {r['primary_commits']:.0f} | "
            f"{r['standby_commits']:.0f} | {r['load_before']:.2f} → {r['load_after']:.2f} |"
        )
    lines += ["", "Ratio (primary+standby / primary alone, req/s):", ""]
    for case in CASES:
        one = next(r for r in rows if r["case"] == case.name and r["target"] == "primary")
        two = next(r for r in rows if r["case"] == case.name and r["target"] == "primary+standby")
        lines.append(f"- {case.name}: {float(two['rps']) / float(one['rps']):.2f}×")  # type: ignore[arg-type]
    lines += [
        "",
        "How to read this: on one machine a standby brings no CPU of its own; it is one more",
        "server process on the same cores as the primary, the app workers and wrk, and it replays",
        "the primary's WAL besides. What the run shows is that the routing works (nearly every",
        "read commits on the standby, the primary keeps only the schema cache and job traffic)",
        "and what it costs here. The gain a standby gives, reads taken off the primary's CPU and",
        "I/O, needs it on its own host; compare the load average column before trusting a ratio.",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db-pool", type=int, default=10)
    args = parser.parse_args()
    cluster, url = rb.prepare_database()
    rows: list[dict[str, object]] = []
    try:
        with running_standby(cluster.url("postgres")) as standby:
            standby.wait_replayed(url)
            standby_url = standby.url(rb.DATABASE)
            read_url = standby.url(rb.DATABASE, user="authenticator")
            for number in range(args.rounds):
                print(f"round {number + 1}/{args.rounds}", flush=True)
                rows += one_round(url, standby_url, read_url, args)
    finally:
        cluster.stop()
    meta = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": platform.platform(),
        "cores": os.cpu_count(),
        "rounds": args.rounds,
        "duration": args.duration,
        "connections": args.connections,
    }
    summary = medians(rows)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "replica.json").write_text(
        json.dumps({"meta": meta, "runs": rows, "medians": summary}, indent=2) + "\n"
    )
    (RESULTS / "replica.md").write_text(markdown(summary, meta))
    print(markdown(summary, meta))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
