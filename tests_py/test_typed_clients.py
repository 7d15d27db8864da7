"""Typed clients for the PostgREST ecosystem (docs/operations.md#typed-clients): the types that
`pgwarden gen types typescript` generates type-check a real `@supabase/postgrest-js` program with
`tsc --noEmit` (and a wrong column name fails the check), and the program then runs with node
against a real `pgwarden rest`: insert, update, select with an embed, RPC. `pgwarden openapi
--role TIER` exports the document that tier gets from `GET /`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from webui.testing import free_port, run_cli


@pytest.fixture(autouse=True)
def _api_is_the_exposed_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    """These fixtures live in `api`; by default the servers would expose the schemas that
    policies/*.toml declare (the library example's) first."""
    monkeypatch.setenv("PGRST_DB_SCHEMAS", "api")


HERE = Path(__file__).with_name("typed_client")
PACKAGES = ["@supabase/postgrest-js@2", "typescript@5"]


def _run(args: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with postgrest-js and typescript installed from npm."""
    if not shutil.which("node") or not shutil.which("npm"):
        pytest.skip("node and npm are not installed (apt-get install nodejs npm)")
    folder = tmp_path_factory.mktemp("typed_client")
    _run(["npm", "init", "-y"], folder)
    installed = _run(["npm", "install", "--no-audit", "--no-fund", *PACKAGES], folder)
    if installed.returncode != 0:
        pytest.skip(f"npm install {' '.join(PACKAGES)} failed: {installed.stderr.strip()[-300:]}")
    for name in ("client.ts", "tsconfig.json"):
        shutil.copy(HERE / name, folder / name)
    return folder


@pytest.fixture
def shop(db: psycopg.Connection, db_url: str) -> str:
    db.autocommit = True
    db.execute((HERE / "fixture.sql").read_text())
    db.execute("create table api.tc_staff_notes (id integer primary key, body text not null)")
    db.execute("grant select on api.tc_staff_notes to pgw_staff")
    return db_url


@contextmanager
def pgwarden_rest(database_url: str, log: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "PGRST_DB_CHANNEL_ENABLED": "false"}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "webui.cli", "rest", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/", timeout=2).close()
                break
            except OSError:
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "pgwarden rest did not answer"
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_generated_types_check_and_run_a_postgrest_js_client(
    scratch: Path, shop: str, db: psycopg.Connection, tmp_path: Path
) -> None:
    generated = run_cli("gen", "types", "typescript", "--schema", "api", database_url=shop)
    assert generated.returncode == 0, generated.stderr
    types = generated.stdout
    assert 'tc_books_status: "draft" | "published"' in types  # enum from choices
    assert 'referencedRelation: "tc_authors"' in types
    (scratch / "database.types.ts").write_text(types)

    checked = _run(["npx", "tsc", "-p", "tsconfig.json"], scratch)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    wrong = (scratch / "client.ts").read_text().replace('title: "A Wizard', 'titel: "A Wizard')
    (scratch / "wrong.ts").write_text(wrong)
    config = json.loads((scratch / "tsconfig.json").read_text())
    (scratch / "tsconfig.wrong.json").write_text(json.dumps({**config, "files": ["wrong.ts"]}))
    refused = _run(["npx", "tsc", "-p", "tsconfig.wrong.json"], scratch)
    assert refused.returncode != 0
    assert "'titel' does not exist" in refused.stdout

    built = _run(
        ["npx", "tsc", "-p", "tsconfig.json", "--noEmit", "false", "--outDir", "out"], scratch
    )
    assert built.returncode == 0, built.stdout
    with pgwarden_rest(shop, tmp_path / "rest.log") as base:
        ran = _run(["node", "out/client.js", base], scratch, timeout=60)
    assert ran.returncode == 0, ran.stdout + ran.stderr + (tmp_path / "rest.log").read_text()
    assert json.loads(ran.stdout) == {
        "status": "published",
        "pages": 183,
        "writer": "Ursula",
        "answer": 42,
        "titles": ["A Wizard of Earthsea"],
    }
    row = db.execute("select status, pages, tags from api.tc_books").fetchone()
    assert row == ("published", 183, ["fantasy"])


def test_gen_types_refuses_a_missing_schema(db_url: str) -> None:
    result = run_cli("gen", "types", "typescript", "--schema", "nope", database_url=db_url)
    assert result.returncode == 1
    assert "no schema nope in this database" in result.stderr


def test_openapi_export_is_what_the_tier_gets_from_the_server(shop: str, tmp_path: Path) -> None:
    with pgwarden_rest(shop, tmp_path / "rest.log") as base:
        with urllib.request.urlopen(base + "/", timeout=10) as reply:
            served = json.loads(reply.read())
        out = tmp_path / "anon.json"
        exported = run_cli("openapi", "--server", base, "--out", str(out), database_url=shop)
        assert exported.returncode == 0, exported.stderr
    assert json.loads(out.read_text()) == served
    assert "/tc_books" in served["paths"] and "/tc_staff_notes" not in served["paths"]
    staff = run_cli("openapi", "--role", "staff", database_url=shop)
    assert staff.returncode == 0, staff.stderr
    assert "/tc_staff_notes" in json.loads(staff.stdout)["paths"]
    bad = run_cli("openapi", "--role", "root", database_url=shop)
    assert bad.returncode == 1 and "unknown role 'root'" in bad.stderr
