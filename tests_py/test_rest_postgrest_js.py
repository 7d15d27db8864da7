"""The second client: `@supabase/postgrest-js` (installed with the machine's npm into a scratch
folder) against a live `pgwarden rest`: select with filters, embed and order, insert, upsert,
update, delete, RPC, count exact, single/maybeSingle and CSV. Skipped, with the reason, where
node or npm is absent."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import rest_support

from webui.testing import running_rest

SCRIPT = Path(__file__).with_name("js") / "postgrest_js_check.cjs"
# 1.x: the 2.x line requires node 22; Debian 12's node is 18–20.
PACKAGE = "@supabase/postgrest-js@1"
CHECKS = {
    "select with filters, embed and order",
    "insert",
    "upsert (merge, an update)",
    "upsert (an insert)",
    "update",
    "delete",
    "rpc (POST)",
    "rpc (GET, set-returning, filtered)",
    "count exact",
    "count exact, head",
    "single",
    "single, no row",
    "maybeSingle, no row",
    "maybeSingle, one row",
    "csv",
    "refused write is a typed error",
}

pytestmark = pytest.mark.skipif(
    not (shutil.which("node") and shutil.which("npm")),
    reason="node and npm are needed to run @supabase/postgrest-js",
)
rest_db = rest_support.rest_db


@pytest.fixture(scope="module")
def client_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("postgrest-js")
    result = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", PACKAGE],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"npm install {PACKAGE} failed: {result.stderr[-2000:]}"
    shutil.copy(SCRIPT, folder / SCRIPT.name)
    return folder


@pytest.fixture(scope="module")
def standalone(rest_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {"PGRST_DB_SCHEMAS": "test_api", "PGRST_JWT_SECRET": rest_support.SECRET}
    log_dir = tmp_path_factory.mktemp("rest-js")
    with running_rest(rest_db, log_dir, "/authors?limit=1", env=env) as url:
        yield url


def test_postgrest_js_works_against_pgwarden_rest(client_folder: Path, standalone: str) -> None:
    result = subprocess.run(
        ["node", SCRIPT.name, standalone, rest_support.token()],
        cwd=client_folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines: list[dict[str, Any]] = [
        json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")
    ]
    failed = [line for line in lines if not line["ok"]]
    assert not failed, json.dumps(failed, indent=1)[:4000]
    assert {line["name"] for line in lines} == CHECKS, result.stderr[-2000:]
