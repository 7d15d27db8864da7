"""Run a pgTAP file with psql and read its TAP output, as pg_prove does."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict

_PLAN = re.compile(r"^1\.\.(\d+)$")
_RESULT = re.compile(r"^(not )?ok (\d+)(.*)$")


@dataclass
class TapResult:
    planned: int | None = None
    passed: int = 0
    failures: list[str] = field(default_factory=list)
    output: str = ""
    exit_code: int = 0

    @property
    def ran(self) -> int:
        return self.passed + len(self.failures)

    def problems(self) -> list[str]:
        found = list(self.failures)
        if self.exit_code != 0:
            found.append(f"psql exited with {self.exit_code}")
        if self.planned is None:
            found.append("no plan (1..N) was printed")
        elif self.planned != self.ran:
            found.append(f"planned {self.planned} tests but ran {self.ran}")
        return found


def parse(output: str) -> TapResult:
    result = TapResult(output=output)
    lines = output.splitlines()
    for index, line in enumerate(lines):
        text = line.strip()
        if plan := _PLAN.match(text):
            result.planned = int(plan[1])
        elif outcome := _RESULT.match(text):
            if outcome[1] and "# TODO" not in outcome[3]:
                diagnostics = _diagnostics(lines, index + 1)
                result.failures.append(f"not ok {outcome[2]}{outcome[3]}{diagnostics}")
            else:
                result.passed += 1
    return result


def _diagnostics(lines: list[str], start: int) -> str:
    notes = []
    for line in lines[start:]:
        if not line.lstrip().startswith("#"):
            break
        notes.append(line.strip())
    return ("\n    " + "\n    ".join(notes)) if notes else ""


def run_file(path: Path, database_url: str) -> TapResult:
    params = conninfo_to_dict(database_url)
    env_map = {
        "host": "PGHOST",
        "port": "PGPORT",
        "user": "PGUSER",
        "password": "PGPASSWORD",
        "dbname": "PGDATABASE",
    }
    env = {env_map[key]: str(value) for key, value in params.items() if key in env_map}
    process = subprocess.run(
        ["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-f", str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=300,
        check=False,
    )
    result = parse(process.stdout)
    result.exit_code = process.returncode
    if process.stderr.strip():
        result.output += "\n--- stderr ---\n" + process.stderr
    return result
