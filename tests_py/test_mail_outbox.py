"""The mail outbox, nothing lost (docs/recovery.md, "Mail"), against a real SMTP server
(aiosmtpd) and real `pgwarden serve` processes:
- a failing SMTP server, then a working one: the mail is sent exactly once afterwards;
- the process that committed the mail dies before sending it: the next one sends it, once;
- two processes drain one outbox: no mail is sent twice;
- PGWARDEN_MAIL_REQUIRED=1 without SMTP refuses to start, saying what to set;
- the development file outbox and `pgwarden mail outbox`; `pgwarden doctor email --to`."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

from webui.testing import free_port, run_cli, running_server
from webui.testing.auth import Client, create_user, sql
from webui.testing.smtp import reset_link, smtp_env, smtp_server

PASSWORD = "correct horse battery"
FORGOT = "/auth/password/forgot"


async def _wait_status(db_url: str, status: str, count: int = 1, within: float = 20.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = sql(db_url, "select count(*) from auth.mail_outbox where status = %s", [status])
        if found[0][0] >= count:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"fewer than {count} mail(s) reached {status}")


async def test_smtp_fails_then_recovers_and_the_mail_goes_once(db_url: str, tmp_path: Path) -> None:
    create_user(db_url, "ann@example.com", PASSWORD)
    with smtp_server() as (port, inbox):
        inbox.fail_next = 2  # the server answers 451 twice
        with running_server(db_url, tmp_path, env=smtp_env(port)) as srv:
            await Client(srv.base_url).request("POST", FORGOT, {"email": "ann@example.com"})
            deadline = time.monotonic() + 20
            while sql(db_url, "select attempts from auth.mail_outbox")[0][0] < 2:
                assert time.monotonic() < deadline, "the sender did not retry"
                sql(db_url, "update auth.mail_outbox set next_attempt_at = now()")
                await asyncio.sleep(0.2)
            sql(db_url, "update auth.mail_outbox set next_attempt_at = now()")
            await _wait_status(db_url, "sent")
            await asyncio.sleep(1.5)  # a few more poll rounds: nothing is sent again
        assert len(inbox.messages) == 1
    row = sql(db_url, "select attempts, body, last_error from auth.mail_outbox")
    assert row == [(3, None, None)], "two failures, then sent; the link is scrubbed"
    assert sql(db_url, "select mail_status from auth.password_reset_tokens") == [("sent",)]


async def test_a_crash_after_commit_loses_no_mail(db_url: str, tmp_path: Path) -> None:
    create_user(db_url, "ann@example.com", PASSWORD)
    with smtp_server() as (port, inbox):
        quiet = {**smtp_env(port), "PGWARDEN_MAIL_SENDER": "0"}  # commits, never sends
        with running_server(db_url, tmp_path, env=quiet) as srv:
            await Client(srv.base_url).request("POST", FORGOT, {"email": "ann@example.com"})
            srv.process.send_signal(signal.SIGKILL)  # dies between commit and send
            srv.process.wait(10)
        assert sql(db_url, "select status from auth.mail_outbox") == [("pending",)]
        with running_server(db_url, tmp_path, env=smtp_env(port)):
            await _wait_status(db_url, "sent")
            await asyncio.sleep(1.5)
        assert len(inbox.messages) == 1
        assert reset_link(inbox.messages[0])[1]


async def test_two_processes_never_send_a_mail_twice(db_url: str, tmp_path: Path) -> None:
    for i in range(30):
        create_user(db_url, f"u{i}@example.com", PASSWORD)
    sql(db_url, "update auth.config set forgot_budget = 1000")
    with smtp_server() as (port, inbox):
        inbox.delay = 0.05  # slow deliveries: both senders are busy at the same time
        with (
            running_server(db_url, tmp_path, env=smtp_env(port)) as one,
            running_server(db_url, tmp_path, env=smtp_env(port)) as two,
        ):
            for i in range(30):  # every commit wakes both senders (NOTIFY)
                client = Client((one, two)[i % 2].base_url)
                await client.request("POST", FORGOT, {"email": f"u{i}@example.com"})
            await _wait_status(db_url, "sent", 30)
            await asyncio.sleep(1.5)
        ids = [m["X-Pgwarden-Mail-Id"] for m in inbox.messages]
    assert len(ids) == 30 and len(set(ids)) == 30, "every mail exactly once"


def test_mail_required_without_smtp_refuses_to_start(db_url: str, tmp_path: Path) -> None:
    env = {"PGWARDEN_MAIL_REQUIRED": "1", "SMTP_HOST": ""}
    try:
        with running_server(db_url, tmp_path, env=env, timeout=15):
            raise AssertionError("the server started without a mail transport")
    except RuntimeError as exc:
        assert "exited" in str(exc)
    log = "".join(p.read_text() for p in tmp_path.glob("serve-*.log"))
    assert "PGWARDEN_MAIL_REQUIRED=1 but no mail transport is configured: set SMTP_HOST" in log
    assert "Traceback" not in log


async def test_file_outbox_and_the_cli_show_the_newest_link(db_url: str, tmp_path: Path) -> None:
    create_user(db_url, "ann@example.com", PASSWORD)
    outbox = tmp_path / "mail"
    env = {"PGWARDEN_MAIL_DIR": str(outbox), "SMTP_HOST": "", "PGWARDEN_MAIL_POLL_SECONDS": "0.5"}
    with running_server(db_url, tmp_path, env=env) as srv:
        await Client(srv.base_url).request("POST", FORGOT, {"email": "ann@example.com"})
        await _wait_status(db_url, "sent")
    listing = run_cli("mail", "outbox", env={"PGWARDEN_MAIL_DIR": str(outbox)})
    assert listing.returncode == 0, listing.stderr
    assert "to ann@example.com" in listing.stdout
    assert f"newest link: {srv.base_url}/admin/reset-password/" in listing.stdout


def test_doctor_email_handshake_and_test_mail() -> None:
    with smtp_server() as (port, inbox):
        env = {**smtp_env(port), "SMTP_USER": "", "SMTP_PASSWORD": "hunter22"}
        result = run_cli("doctor", "email", "--to", "ops@example.com", env=env)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "✓ SMTP handshake" in result.stdout and "✓ test mail sent" in result.stdout
        assert "SMTP_PASSWORD: (set, 8 chars)" in result.stdout and "hunter22" not in result.stdout
        assert inbox.wait_for(1)[0]["To"] == "ops@example.com"
    closed = run_cli("doctor", "email", env={**smtp_env(free_port())})
    assert closed.returncode == 1 and "✗ SMTP handshake" in closed.stdout
