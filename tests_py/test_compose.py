"""docker-compose.yml is validated statically (no Docker engine runs here): Debian's
docker-compose parses and interpolates it, and its shape is checked. Then the same commands run
with the same environment, without containers, on the test cluster: migrate (with the one-time
first administrator), serve, and a first sign-in end to end."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import httpx
import psycopg
import pytest
import yaml
from psycopg.conninfo import conninfo_to_dict

from webui.testing import running_server

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"


def compose_config(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("docker-compose")
    assert binary, "docker-compose is missing: `apt-get install docker-compose`"
    return subprocess.run(
        [binary, "-f", str(COMPOSE), "config"],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=False,
        cwd=ROOT,
    )


SECRETS = {
    "PGWARDEN_SECRET_KEY": "k" * 40,
    "POSTGRES_PASSWORD": "owner-" + "p" * 20,
    "AUTHENTICATOR_PASSWORD": "app-" + "a" * 20,
}


def test_compose_file_validates() -> None:
    result = compose_config(SECRETS)
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    assert {"db", "migrate", "web"} <= set(config["services"])


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_compose_has_no_default_passwords_and_names_the_missing_one(missing: str) -> None:
    env = {k: v for k, v in {**os.environ, **SECRETS}.items() if k != missing}
    result = subprocess.run(
        ["docker-compose", "-f", str(COMPOSE), "config", "-q"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode != 0
    assert f"set {missing}" in result.stderr
    assert ":-pgwarden" not in COMPOSE.read_text() and ":-authenticator" not in COMPOSE.read_text()


def test_services_restart_and_images_are_pinned() -> None:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    for name in ("db", "web", "postgrest"):
        assert services[name]["restart"] == "unless-stopped", name
    assert services["migrate"]["restart"] == "no"
    for name, service in services.items():
        tag = service["image"].rsplit(":", 1)[1]
        assert re.fullmatch(r"v?\d+\.\d+(\.\d+)?(-[a-z]+)?", tag), (name, tag)
    base = re.search(r"^FROM (\S+)$", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert base and re.search(r":\d+\.\d+\.\d+-", base[1]), "pin the Python base image"


def test_the_bootstrap_is_documented() -> None:
    line = "docker compose run --rm migrate pgwarden user create --role administrator"
    for text in (COMPOSE.read_text(), (ROOT / "README.md").read_text()):
        assert line in re.sub(r"\\\n#?\s*", "", text)
        assert "PGWARDEN_BOOTSTRAP_ADMIN_EMAIL" in text


def test_services_start_in_order_with_healthchecks() -> None:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    assert services["db"]["build"] == "docker/db"
    assert "healthcheck" in services["db"]
    assert services["migrate"]["command"] == ["pgwarden", "bootstrap"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["web"]["command"][:2] == ["pgwarden", "serve"]
    assert services["web"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])


def test_the_db_image_runs_the_jobs_with_pg_cron() -> None:
    """The db service is the pinned postgres image plus Debian's postgresql-15-cron, loaded
    for the pgwarden database, with the extension created on the first start (before migrate
    schedules the jobs with it)."""
    dockerfile = (ROOT / "docker" / "db" / "Dockerfile").read_text()
    base = re.search(r"^FROM (\S+)$", dockerfile, re.MULTILINE)
    assert base and re.fullmatch(r"postgres:15\.\d+-bookworm", base[1]), "pin the db image"
    assert "postgresql-15-cron" in dockerfile
    copied = re.search(r"^COPY (\S+) /docker-entrypoint-initdb\.d/", dockerfile, re.MULTILINE)
    assert copied, "the image creates the extension on its first start"
    init = (ROOT / "docker" / "db" / copied[1]).read_text()
    assert "create extension if not exists pg_cron" in init
    db = yaml.safe_load(COMPOSE.read_text())["services"]["db"]
    settings = dict(item.split("=", 1) for item in db["command"] if "=" in item)
    assert db["command"][0] == "postgres"
    assert settings["shared_preload_libraries"] == "pg_cron"
    assert settings["cron.database_name"] == db["environment"]["POSTGRES_DB"]
    assert settings["cron.use_background_workers"] == "on"


def test_the_image_and_the_wheel_carry_sql_migrations_policies_and_examples() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    for folder in ["webui", "migrations", "sql", "policies", "examples"]:
        assert f"COPY {folder} {folder}" in dockerfile
    bundled = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]
    included = bundled["targets"]["wheel"]["force-include"]
    assert included["examples"] == "webui/_project/examples"


def _service_env(service: dict[str, object], database: str) -> dict[str, str]:
    """The service's environment, its `db:5432/pgwarden` pointed at this test's database."""
    env = {str(k): str(v) for k, v in dict(service.get("environment") or {}).items()}  # type: ignore[call-overload]
    return {k: v.replace("@db:5432/pgwarden", database) for k, v in env.items()}


def _owner_role(empty_db_url: str) -> str:
    """The compose file's owner (`pgwarden`, a superuser like the postgres image makes it)."""
    params = conninfo_to_dict(empty_db_url)
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_roles where rolname = 'pgwarden'").fetchone()
        verb = "alter" if exists else "create"
        conn.execute(
            f"{verb} role pgwarden login superuser password '{SECRETS['POSTGRES_PASSWORD']}'"
        )
    host = str(params.get("host") or "")
    port = str(params.get("port") or "5432")
    tcp = "127.0.0.1" if host.startswith("/") or not host else host
    return f"@{tcp}:{port}/{params['dbname']}"


def test_compose_commands_come_up_usable_without_containers(
    empty_db_url: str, tmp_path: Path
) -> None:
    env = {**SECRETS, "PGWARDEN_BOOTSTRAP_ADMIN_EMAIL": "ops@example.com"}
    config = yaml.safe_load(compose_config(env).stdout)["services"]
    database = _owner_role(empty_db_url)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PGWARDEN_", "PGRST_"))}
    base.pop("DATABASE_URL", None)
    migrate = config["migrate"]
    run = [sys.executable, "-m", "webui.cli", *migrate["command"][1:]]
    menv = {**base, **_service_env(migrate, database), "PGWARDEN_HOME": str(tmp_path / "state")}
    first = subprocess.run(run, env=menv, capture_output=True, text=True, check=False)
    assert first.returncode == 0, first.stdout + first.stderr
    found = re.search(
        r"one-time password \(shown once, must be changed at sign-in\): (\S+)", first.stdout
    )
    assert found, first.stdout
    again = subprocess.run(run, env=menv, capture_output=True, text=True, check=False)
    assert again.returncode == 0 and "exists already; nothing changed" in again.stdout
    assert "one-time password" not in again.stdout
    web = config["web"]
    assert web["command"][:2] == ["pgwarden", "serve"]
    wenv = {**base, **_service_env(web, database), "PGWARDEN_HOME": str(tmp_path / "state")}
    with running_server(wenv["DATABASE_URL"], tmp_path, env=wenv) as server:
        _first_sign_in(server.base_url, found[1])
        root = httpx.get(f"{server.base_url}/rest/v1/")
        assert root.status_code == 200
    assert "schemas library, api" in server.log()


def _first_sign_in(base: str, one_time: str) -> None:
    with httpx.Client(base_url=base, timeout=30) as http:
        login = http.post("/auth/login", json={"email": "ops@example.com", "password": one_time})
        assert login.status_code == 200, login.text
        assert login.json()["user"]["must_change_password"] is True
        new = "a fresh password for ops 7"
        changed = http.post(
            "/auth/password", json={"current_password": one_time, "new_password": new}
        )
        assert changed.status_code == 200, changed.text
    with httpx.Client(base_url=base, timeout=30) as http:
        again = http.post("/auth/login", json={"email": "ops@example.com", "password": new})
        assert again.status_code == 200, again.text
        me = again.json()["user"]
        assert me["must_change_password"] is False and me["role"] == "administrator"
