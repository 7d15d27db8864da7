"""Transports: real SMTP through aiosmtplib, and the development file outbox."""

from __future__ import annotations

import os
import re
import time
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Protocol

import aiosmtplib

from webui.mail.config import MailConfig

LINK = re.compile(r"https?://\S+/admin/reset-password/[A-Za-z0-9_-]+")


class Transport(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


def build_message(
    config: MailConfig, mail_id: int, recipient: str, subject: str, body: str
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = config.mail_from
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(f"pgwarden-mail-{mail_id}")
    message["X-Pgwarden-Mail-Id"] = str(mail_id)
    message.set_content(body)
    return message


class SmtpTransport:
    def __init__(self, config: MailConfig) -> None:
        self.config = config

    def _options(self) -> dict[str, object]:
        c = self.config
        return {
            "hostname": c.smtp_host,
            "port": c.smtp_port,
            "username": c.smtp_user or None,
            "password": c.smtp_password or None,
            "use_tls": c.smtp_tls == "tls",
            "start_tls": c.smtp_tls == "starttls",
            "timeout": c.timeout_seconds,
        }

    async def send(self, message: EmailMessage) -> None:
        await aiosmtplib.send(message, **self._options())  # type: ignore[arg-type]

    async def handshake(self) -> str:
        """Connect, (STARTTLS,) authenticate and quit; returns the server's greeting line."""
        options = self._options()
        client = aiosmtplib.SMTP(
            hostname=self.config.smtp_host,
            port=self.config.smtp_port,
            use_tls=bool(options["use_tls"]),
            start_tls=bool(options["start_tls"]),
            timeout=self.config.timeout_seconds,
        )
        response = await client.connect()
        try:
            if self.config.smtp_user:
                await client.login(self.config.smtp_user, self.config.smtp_password)
        finally:
            await client.quit()
        return f"{response.code} {response.message}".strip()


class FileTransport:
    """Writes each message as an .eml file (atomically) into the outbox directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def send(self, message: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        name = f"{time.time_ns()}-{message['X-Pgwarden-Mail-Id'] or 0}.eml"
        temporary = self.directory / f".{name}.tmp"
        temporary.write_bytes(bytes(message))
        os.chmod(temporary, 0o600)
        temporary.replace(self.directory / name)


def make_transport(config: MailConfig) -> Transport:
    return SmtpTransport(config) if config.transport == "smtp" else FileTransport(config.file_dir)
