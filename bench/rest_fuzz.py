"""The REST dialect's hostile-input fuzz at full size: about 50,000 generated requests (query
grammar, well-formed queries, write bodies, RPC names and arguments, arbitrary headers with raw
bodies) against a live `pgwarden serve`, asserting no 5xx and the stable error shape.

    .venv/bin/python bench/rest_fuzz.py [--scale 30]

`make test` runs the same tests (tests_py/test_rest_fuzz.py) at scale 1, about 1,900 requests;
this multiplies every budget. It prints the cases run, the time taken and the verdict, and
appends them to bench/results/rest_fuzz.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Examples per test at scale 1, as tests_py/test_rest_fuzz.py declares them (requests per
# example: the RPC test sends two).
BUDGETS = {"grammar": 800, "well_formed": 400, "writes": 200, "rpc": 200, "headers": 200}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=30)
    args = parser.parse_args()
    cases = sum(BUDGETS.values()) * args.scale
    env = {**os.environ, "PGWARDEN_FUZZ_SCALE": str(args.scale)}
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "tests_py/test_rest_fuzz.py", "-q", "-p", "no:randomly"],
        cwd=ROOT,
        env=env,
        check=False,
    )
    seconds = time.monotonic() - started
    load_after = Path("/proc/loadavg").read_text().split()[:3]
    verdict = "no 5xx" if result.returncode == 0 else "FAILED (see the output above)"
    line = (
        f"| {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC | {args.scale} | ~{cases:,} | "
        f"{seconds:.0f} s | {' '.join(load_before)} → {' '.join(load_after)} | {verdict} |"
    )
    print(line)
    results = ROOT / "bench" / "results" / "rest_fuzz.md"
    if not results.exists():
        results.write_text(
            "# REST dialect fuzz at full size (bench/rest_fuzz.py)\n\n"
            "| run | scale | requests | time | load average before → after | verdict |\n"
            "|---|---:|---:|---:|---|---|\n"
        )
    with results.open("a") as out:
        out.write(line + "\n")
    return result.returncode


if __name__ == "__main__":
    raise SystemExit(main())
