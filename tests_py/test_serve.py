"""`pgwarden serve`: a real server process answers /healthz with the deployed change, echoes
correlation ids, sets security headers, and answers bad requests with the typed error shape."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from webui.ops.cluster import Cluster
from webui.ops.migrations import read_plan
from webui.testing import ServerProcess, run_cli, running_server

UUID7 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_healthz_reports_the_last_deployed_change(server: ServerProcess) -> None:
    status, headers, body = get(f"{server.base_url}/healthz")
    assert status == 200
    payload = json.loads(body)
    assert payload["status"] == "ok"
    assert payload["database"] == "ok"
    assert payload["migration"]["last"] == read_plan()[-1].name
    assert payload["migration"]["pending"] == []
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Server"] == "pgwarden"  # no framework or Python version disclosed


def test_correlation_ids_are_honoured_or_minted(server: ServerProcess) -> None:
    good = "req_0123456789abcdef-XYZ"
    _, headers, _ = get(f"{server.base_url}/healthz", {"X-Correlation-Id": f"  {good}  "})
    assert headers["X-Correlation-Id"] == good
    for bad in ["short", "x" * 65, "has spaces in it!!", "semi;colon-0123456789"]:
        _, headers, _ = get(f"{server.base_url}/healthz", {"X-Correlation-Id": bad})
        assert UUID7.match(headers["X-Correlation-Id"]), bad


def test_unknown_paths_get_the_typed_error_shape(server: ServerProcess) -> None:
    status, headers, body = get(f"{server.base_url}/no/such/page")
    assert status == 404
    assert headers["Content-Type"].startswith("application/json")
    assert json.loads(body) == {
        "code": "PGW404",
        "message": "Not Found",
        "details": None,
        "hint": None,
    }
    assert UUID7.match(headers["X-Correlation-Id"])


def test_an_oversized_body_is_refused_with_413(server: ServerProcess) -> None:
    request = urllib.request.Request(
        f"{server.base_url}/healthz", data=b"x" * (2 * 1024 * 1024), method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=10)
    assert error.value.code in (405, 413)


def test_healthz_says_503_while_migrations_are_pending(empty_db_url: str, tmp_path: Path) -> None:
    with running_server(empty_db_url, tmp_path, require_healthy=False) as server:
        status, _, body = get(f"{server.base_url}/healthz")
    assert status == 503
    assert json.loads(body)["migration"]["pending"] == [c.name for c in read_plan()]


def test_make_run_in_ci_form(tmp_path: Path) -> None:
    """What `make run` does, on a new embedded cluster: start it, deploy, load the example, serve;
    /healthz is 200, the printed curl line answers the staff account's loans from /rest/v1/loans
    (the policy files' schemas are exposed by default), and /docs leads to Swagger UI."""
    env = {"PGWARDEN_HOME": str(tmp_path / "state"), "DATABASE_URL": ""}
    started = run_cli("db", "start", env=env)
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        deployed = run_cli("migrate", "deploy", env=env)
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        loaded = run_cli("example", "load", "library", "--base-url", "http://BASE", env=env)
        assert loaded.returncode == 0, loaded.stdout + loaded.stderr
        assert "REST API: http://BASE/rest/v1/" in loaded.stdout
        curl = next(line.strip() for line in loaded.stdout.splitlines() if "curl " in line)
        url = Cluster(tmp_path / "state").url()
        with running_server(url, tmp_path, env=env) as server:
            status, _, body = get(f"{server.base_url}/healthz")
            answer = subprocess.run(
                ["bash", "-c", curl.replace("http://BASE", server.base_url)],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
            docs = get(f"{server.base_url}/docs")
            counts = {
                tier: _total(_as(curl, server.base_url, loaded.stdout, tier))
                for tier in ("user", "supervisor", "administrator", "developer")
            }
        assert status == 200
        assert json.loads(body)["migration"]["last"] == read_plan()[-1].name
        loans = json.loads(answer.stdout.partition("\n\n")[2])
        assert _total(answer.stdout) == 60, answer.stdout[:300]  # the staff account's branches
        assert len(loans) == 25  # a page of the resource's default_limit
        assert len({loan["branch_id"] for loan in loans}) <= 2  # its two branches only
        assert docs[0] == 200 and b"swagger-ui" in docs[2]
        # the README: 3 loans for a patron (their own), all 150 for supervisors and above
        assert counts == {"user": 3, "supervisor": 150, "administrator": 150, "developer": 150}
        assert "REST API: " in server.log() and "library, api" in server.log()
        again = run_cli("db", "start", env=env)  # re-running reuses the data
        assert "initialising" not in again.stdout
    finally:
        run_cli("db", "stop", env=env)


def _total(response: str) -> int:
    """The total of the Content-Range header in a `curl -D -` answer (`0-24/60` → 60)."""
    found = re.search(r"^content-range: [^/]+/(\d+)", response, re.IGNORECASE | re.MULTILINE)
    assert found, response[:300]
    return int(found[1])


def _as(curl: str, base: str, printed: str, tier: str) -> str:
    """The printed curl line, with another demo account's email and password."""
    found = re.search(rf"^\s+{tier}\s+({tier}@library\.example)\s+(\S+)$", printed, re.MULTILINE)
    assert found, printed
    staff = re.search(r'"email": "(staff@[^"]+)", "password": "([^"]+)"', curl)
    assert staff
    line = curl.replace(staff[1], found[1]).replace(staff[2], found[2])
    done = subprocess.run(
        ["bash", "-c", line.replace("http://BASE", base)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return done.stdout


def _children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False)
    return [int(line) for line in found.stdout.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


def test_workers_share_the_port_and_stop_with_the_parent(db_url: str, tmp_path: Path) -> None:
    with running_server(db_url, tmp_path, args=("--workers", "2")) as server:
        workers = _children(server.process.pid)
        assert len(workers) == 2
        for _ in range(6):  # both processes answer on the one port
            assert get(f"{server.base_url}/healthz")[0] == 200
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(timeout=15)
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers), "a worker outlived its parent"
