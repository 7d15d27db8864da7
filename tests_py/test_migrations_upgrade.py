"""The upgrade test (docs/migrations.md, "Releasing"): a database deployed with the plan as of the
newest release tag, by stock sqitch or by that release's own `pgwarden migrate` (which kept its
records in yoyo's table), takes the current plan on top and ends with the same schema as a fresh
deploy of the current plan, and with one registry that both tools read as up to date."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from test_migrations import project_schemas, run_sqitch, schema_dump
from test_migrations_frozen import _released, _tag_commit
from test_sqitch_registry import extra_database

from webui.ops.migrations import Migrator, load_plan
from webui.testing import run_cli

TOP = Path(__file__).resolve().parents[1]


@pytest.fixture
def fresh_db_url(empty_db_url: str) -> Iterator[str]:
    with extra_database(empty_db_url) as url:
        yield url


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project as of the newest tag (`git archive` of the commit that tagged it)."""
    tag, _names = _released()
    commit = _tag_commit(tag)
    archive = subprocess.run(
        ["git", "archive", commit, "migrations", "sql", "webui"],
        cwd=TOP,
        capture_output=True,
        check=True,
    ).stdout
    root = tmp_path_factory.mktemp("release")
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(root, filter="data")
    return root


def _fresh_dump(url: str) -> tuple[list[str], str]:
    Migrator(url, quiet=True).deploy()
    schemas = project_schemas(url)
    return schemas, schema_dump(url, schemas)


def _assert_upgraded(url: str, fresh_url: str) -> None:
    result = run_cli("migrate", "deploy", database_url=url)
    assert result.returncode == 0, result.stdout + result.stderr
    schemas, fresh = _fresh_dump(fresh_url)
    assert project_schemas(url) == schemas
    assert "CREATE FUNCTION auth.uid()" in fresh
    assert schema_dump(url, schemas) == fresh
    status = run_sqitch(url, "status")
    assert "Nothing to deploy (up-to-date)" in status.stdout, status.stdout + status.stderr
    with psycopg.connect(url) as conn:
        left = conn.execute("select relname from pg_class where relname like '%yoyo%'").fetchall()
    assert left == []


def test_upgrade_from_the_release_deployed_by_stock_sqitch(
    release: Path, empty_db_url: str, fresh_db_url: str
) -> None:
    result = run_sqitch(empty_db_url, "deploy", top=release / "migrations")
    assert result.returncode == 0, result.stdout + result.stderr
    _assert_upgraded(empty_db_url, fresh_db_url)


def test_upgrade_from_the_release_deployed_by_its_own_pgwarden(
    release: Path, empty_db_url: str, fresh_db_url: str
) -> None:
    """That release's CLI ran the plan through yoyo and recorded it in `public._yoyo_migration`;
    the current one moves those records into the sqitch registry, then deploys the rest."""
    env = {**os.environ, "DATABASE_URL": empty_db_url, "PYTHONPATH": str(release),
           "PGWARDEN_PROJECT_DIR": str(release)}  # fmt: skip
    old = subprocess.run(
        [sys.executable, "-m", "webui.cli", "migrate", "deploy"],
        env=env,
        cwd=release,
        capture_output=True,
        text=True,
        check=False,
    )
    assert old.returncode == 0, old.stdout + old.stderr
    with psycopg.connect(empty_db_url) as conn:
        recorded = conn.execute("select count(*) from public._yoyo_migration").fetchone()
    assert recorded == (len(load_plan(release / "migrations").changes),)
    _assert_upgraded(empty_db_url, fresh_db_url)
