"""`pgwarden init DIR` (docs/operations.md#a-new-project): a fresh folder gets a project whose
policies compile, whose plan deploys after the framework's, and whose generated pgTAP test passes
under `make test`, on a fresh database; a broken row policy makes that test fail. A non-empty
folder is refused without --force; the compose file validates."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from webui.testing import run_cli

FILES = [
    "policies/app.toml",
    "migrations/sqitch.plan",
    "migrations/deploy/policies_app.sql",
    "docker-compose.yml",
    "Dockerfile",
    "README.md",
    "Makefile",
    ".gitignore",
    "tests_sql/test_app.sql",
]
PGWARDEN = str(Path(sys.executable).with_name("pgwarden"))


def _make(project: Path, url: str, target: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    env.pop("PGWARDEN_PROJECT_DIR", None)
    return subprocess.run(
        ["make", "-C", str(project), target, f"PGWARDEN={PGWARDEN}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("make") or not shutil.which("psql"), reason="needs make, psql")
def test_init_then_compile_deploy_and_the_generated_pgtap_test(
    tmp_path: Path, empty_db_url: str
) -> None:
    project = tmp_path / "shop"
    created = run_cli("init", str(project))
    assert created.returncode == 0, created.stderr
    for path in FILES:
        assert (project / path).is_file(), path
    assert "%project=shop" in (project / "migrations/sqitch.plan").read_text()

    compiled = run_cli("policies", "compile", env={"PGWARDEN_PROJECT_DIR": str(project)})
    assert compiled.returncode == 0 and "nothing to write" in compiled.stdout, compiled.stdout

    tested = _make(project, empty_db_url, "test")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "+ policies_app .. ok" in tested.stdout
    assert "ok 9 - anonymous requests read nothing" in tested.stdout
    assert "not ok" not in tested.stdout

    # break the row policy: the generated test must catch it
    policies = project / "policies/app.toml"
    policies.write_text(
        policies.read_text().replace('read = "owner_id = user.id"', "read = \"status = 'open'\"")
    )
    broken = _make(project, empty_db_url, "test")
    assert broken.returncode != 0
    assert "not ok 4 - a user sees only their own tasks" in broken.stdout


def test_init_refuses_a_non_empty_folder_without_force(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    refused = run_cli("init", str(tmp_path), "--name", "demo")
    assert refused.returncode == 1
    assert "is not empty" in refused.stderr and "--force" in refused.stderr
    assert not (tmp_path / "policies").exists()
    forced = run_cli("init", str(tmp_path), "--name", "demo", "--force")
    assert forced.returncode == 0, forced.stderr
    assert (tmp_path / "keep.txt").read_text() == "mine"
    assert (tmp_path / "policies/app.toml").is_file()


def test_init_refuses_a_name_that_is_not_an_identifier(tmp_path: Path) -> None:
    result = run_cli("init", str(tmp_path / "x"), "--name", "Not OK")
    assert result.returncode == 1
    assert "lowercase identifier" in result.stderr


@pytest.mark.skipif(not shutil.which("docker-compose"), reason="docker-compose not installed")
def test_the_generated_compose_file_validates(tmp_path: Path) -> None:
    project = tmp_path / "shop"
    assert run_cli("init", str(project)).returncode == 0
    result = subprocess.run(
        ["docker-compose", "-f", str(project / "docker-compose.yml"), "config", "-q"],
        env={**os.environ, "PGWARDEN_SECRET_KEY": "k" * 40},
        capture_output=True,
        text=True,
        check=False,
        cwd=project,
    )
    assert result.returncode == 0, result.stderr
