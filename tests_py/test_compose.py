"""docker-compose.yml is validated statically (no Docker engine runs here): Debian's
docker-compose parses and interpolates it, and its shape is checked."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import yaml

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


def test_compose_file_validates() -> None:
    result = compose_config({"PGWARDEN_SECRET_KEY": "k" * 40})
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    assert {"db", "migrate", "web"} <= set(config["services"])


def test_compose_requires_a_secret_and_says_so() -> None:
    env = {key: value for key, value in os.environ.items() if key != "PGWARDEN_SECRET_KEY"}
    result = subprocess.run(
        ["docker-compose", "-f", str(COMPOSE), "config", "-q"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode != 0
    assert "PGWARDEN_SECRET_KEY" in result.stderr


def test_services_start_in_order_with_healthchecks() -> None:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    assert services["db"]["image"].startswith("postgres:")
    assert "healthcheck" in services["db"]
    assert services["migrate"]["command"] == ["pgwarden", "migrate", "deploy"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["web"]["command"][:2] == ["pgwarden", "serve"]
    assert services["web"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])


def test_the_image_carries_sql_migrations_and_policies() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    for folder in ["webui", "migrations", "sql", "policies"]:
        assert f"COPY {folder} {folder}" in dockerfile
