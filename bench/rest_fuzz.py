"""The REST dialect's hostile-input fuzz at full size: about 50,000 generated requests (query
grammar, well-formed queries, write bodies, RPC names and arguments, arbitrary headers with raw
bodies) against a live `pgwarden serve`, asserting no 5xx, no hang and the stable error shape.

    .venv/bin/python bench/rest_fuzz.py [--scale 30] [--max-seconds 1800]

`make test` runs the same tests (tests_py/test_rest_fuzz.py) at scale 1, about 1,800 requests;
this multiplies every budget. Bounded: the `--max-seconds` are shared among the tests by their
planned requests, each stops at its share (the summary says so), and the whole run is killed a
few minutes later if it still has not ended; `--tests` runs some of them. A failing case is
recorded and the run goes on (nothing is shrunk), so that one run finds every class of failure.
It prints progress every 1,000 cases, then a summary, and appends a line to
bench/results/rest_fuzz.md.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Requests per test at scale 1, as tests_py/test_rest_fuzz.py declares them (the RPC test sends
# two per example).
BUDGETS = {
    "test_query_grammar_never_5xx": 800,
    "test_well_formed_queries_never_5xx": 400,
    "test_write_bodies_never_5xx": 200,
    "test_rpc_never_5xx": 200,
    "test_headers_and_raw_bodies_never_5xx": 200,
}
RESULTS = ROOT / "bench" / "results" / "rest_fuzz.md"
HEADER = (
    "# REST dialect fuzz at full size (bench/rest_fuzz.py)\n\n"
    "Each line is one run on the shared 2-core machine; `requests` is the cases sent out of\n"
    "those planned, `failures` a 5xx, a hang (10 s) or an error without the stable shape.\n\n"
    "| run (UTC) | scale | requests sent / planned | failures | time | load before → after "
    "| verdict |\n|---|---:|---:|---:|---:|---|---|\n"
)


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def run_pytest(scale: int, max_seconds: int, report: Path, tests: list[str]) -> int:
    env = {
        **os.environ,
        "PGWARDEN_FUZZ_SCALE": str(scale),
        "PGWARDEN_FUZZ_REPORT": str(report),
        "PGWARDEN_FUZZ_SECONDS": str(max_seconds),
        "PGWARDEN_FUZZ_TESTS": ",".join(tests),
    }
    command = [sys.executable, "-m", "pytest", "tests_py/test_rest_fuzz.py", "-q", "-s"]
    command += ["-k", " or ".join(tests)]
    command += ["-p", "no:randomly", "-p", "no:cacheprovider"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    try:
        return process.wait(timeout=max_seconds + 300)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGTERM)  # only the process group this script started
        process.wait(timeout=30)
        return -1


def summary(tally: dict[str, Any], scale: int) -> list[str]:
    lines = []
    for name, per_scale in BUDGETS.items():
        if name not in tally["cases"] and name not in tally["stopped_by_time_bound"]:
            continue
        sent = tally["cases"].get(name, 0)
        lines.append(f"  {name}: {sent:,} of {per_scale * scale:,}")
    classes = Counter(f["error"][:160] for f in tally["failures"])
    for text, count in classes.most_common():
        example = next(f.get("request") for f in tally["failures"] if f["error"][:160] == text)
        lines.append(f"  FAIL ×{count}: {text}\n      e.g. {example}")
    lines.append(
        f"  server log: {tally['unhandled_errors_logged']} unhandled errors, "
        f"{tally['tracebacks_logged']} tracebacks"
    )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=30)
    parser.add_argument("--max-seconds", type=int, default=1800, help="shared among the tests")
    parser.add_argument("--tests", default=",".join(BUDGETS), help="comma-separated test names")
    args = parser.parse_args()
    tests = [t for t in args.tests.split(",") if t in BUDGETS]
    planned = sum(BUDGETS[t] for t in tests) * args.scale
    load_before, started = load(), time.monotonic()
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "tally.json"
        code = run_pytest(args.scale, args.max_seconds, report, tests)
        tally = json.loads(report.read_text()) if report.exists() else None
    seconds, load_after = time.monotonic() - started, load()
    if tally is None:
        tally = {"cases": {}, "failures": [{"error": "no tally: the run was killed"}]}
        tally |= {"stopped_by_time_bound": [], "unhandled_errors_logged": 0}
        tally["tracebacks_logged"] = 0
    sent = sum(tally["cases"].values())
    failures = len(tally["failures"]) + tally["unhandled_errors_logged"]
    if failures or code != 0:
        verdict = f"FAILED (pytest exit {code})"
    elif tally["stopped_by_time_bound"]:
        verdict = "no failure; stopped by the time bound"
    else:
        verdict = "complete, no failure"
    print(f"\nfuzz summary: {sent:,} of {planned:,} requests in {seconds:.0f} s, {verdict}")
    print("\n".join(summary(tally, args.scale)))
    line = (
        f"| {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} | {args.scale} | {sent:,} / "
        f"{planned:,} | {failures} | {seconds:.0f} s | {load_before} → {load_after} | {verdict} |"
    )
    if not RESULTS.exists():
        RESULTS.write_text(HEADER)
    with RESULTS.open("a") as out:
        out.write(line + "\n")
    return 0 if verdict.startswith(("complete", "no failure")) else 1


if __name__ == "__main__":
    raise SystemExit(main())
