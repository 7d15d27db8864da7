"""The `pgwarden` CLI: doctor's ✓/✗ lines and exit codes, migrate status, db url, help."""

from __future__ import annotations

from webui.ops.migrations import read_plan
from webui.testing import run_cli

SECRET = {"PGWARDEN_SECRET_KEY": "s" * 40}


def test_doctor_is_green_on_a_migrated_database(db_url: str) -> None:
    # the scheduled jobs have run (no runner since the template was migrated would be a ✗)
    assert run_cli("jobs", "run", database_url=db_url).returncode == 0
    result = run_cli("doctor", database_url=db_url, env=SECRET)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    for label in [
        "secret key set",
        "database reachable",
        "roles present",
        "migrations deployed",
        "migrations verified",
    ]:
        assert any(line.startswith(f"✓ {label}") for line in lines), (label, lines)


def test_doctor_fails_on_pending_migrations_and_says_what_to_do(empty_db_url: str) -> None:
    result = run_cli("doctor", database_url=empty_db_url, env=SECRET)
    assert result.returncode == 1
    assert "✗ migrations deployed (pgwarden): pending:" in result.stdout
    assert "pgwarden migrate deploy" in result.stdout


def test_doctor_fails_without_a_secret(db_url: str, tmp_path: object) -> None:
    env = {"PGWARDEN_SECRET_KEY": "", "PGWARDEN_HOME": str(tmp_path)}
    result = run_cli("doctor", database_url=db_url, env=env)
    assert result.returncode == 1
    assert "✗ secret key set" in result.stdout


def test_doctor_fails_when_the_database_is_unreachable() -> None:
    url = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"
    result = run_cli("doctor", database_url=url, env=SECRET)
    assert result.returncode == 1
    assert "✗ database reachable" in result.stdout


def test_migrate_status_lists_every_change(db_url: str) -> None:
    result = run_cli("migrate", "status", database_url=db_url)
    assert result.returncode == 0
    for change in read_plan():
        assert f"deployed  {change.name}" in result.stdout
    assert result.stdout.strip().endswith(f"{len(read_plan())} deployed, 0 pending")


def test_migrate_verify_passes(db_url: str) -> None:
    result = run_cli("migrate", "verify", database_url=db_url)
    assert result.returncode == 0
    assert "Verify successful." in result.stdout


def test_db_url_honours_database_url() -> None:
    result = run_cli("db", "url", database_url="postgresql://example/db")
    assert result.stdout.strip() == "postgresql://example/db"


def test_unknown_change_is_a_clear_error(db_url: str) -> None:
    result = run_cli("migrate", "revert", "--to", "nope", database_url=db_url)
    assert result.returncode == 1
    assert "unknown change 'nope'" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_lists_the_command_groups() -> None:
    result = run_cli("--help")
    for group in ["db", "migrate", "serve", "doctor"]:
        assert group in result.stdout
