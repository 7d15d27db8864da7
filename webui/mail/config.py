"""Mail settings from the environment. A real transport is SMTP (`SMTP_HOST` set); without it
mail goes to the development file outbox (`.eml` files under the state directory), unless
`PGWARDEN_MAIL_REQUIRED=1`, which refuses to start instead."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from webui.core.paths import state_dir
from webui.core.settings import SettingsError

TLS_MODES = ("starttls", "tls", "off")
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "off": 25}


@dataclass(frozen=True)
class MailConfig:
    transport: str  # smtp | file
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_tls: str = "starttls"
    mail_from: str = "pgwarden <pgwarden@localhost>"
    file_dir: Path = Path(".pgwarden/mail")
    sender_enabled: bool = True
    poll_seconds: float = 5.0
    timeout_seconds: float = 20.0

    @classmethod
    def from_env(cls) -> MailConfig:
        host = os.environ.get("SMTP_HOST", "").strip()
        tls = os.environ.get("SMTP_TLS", "starttls").strip().lower() or "starttls"
        if tls not in TLS_MODES:
            raise SettingsError(f"SMTP_TLS must be one of {', '.join(TLS_MODES)}, not {tls!r}")
        if os.environ.get("PGWARDEN_MAIL_REQUIRED") == "1" and not host:
            raise SettingsError(
                "PGWARDEN_MAIL_REQUIRED=1 but no mail transport is configured: set SMTP_HOST"
                " (and SMTP_PORT, SMTP_TLS, SMTP_USER, SMTP_PASSWORD, MAIL_FROM), or unset"
                " PGWARDEN_MAIL_REQUIRED to use the development file outbox"
            )
        port = os.environ.get("SMTP_PORT", "").strip()
        if port and not port.isdigit():
            raise SettingsError(f"SMTP_PORT must be a number, not {port!r}")
        return cls(
            transport="smtp" if host else "file",
            smtp_host=host,
            smtp_port=int(port) if port else DEFAULT_PORTS[tls],
            smtp_user=os.environ.get("SMTP_USER", ""),
            smtp_password=os.environ.get("SMTP_PASSWORD", ""),
            smtp_tls=tls,
            mail_from=os.environ.get("MAIL_FROM", "") or cls.mail_from,
            file_dir=Path(os.environ.get("PGWARDEN_MAIL_DIR", "") or state_dir() / "mail"),
            sender_enabled=os.environ.get("PGWARDEN_MAIL_SENDER", "1") != "0",
            poll_seconds=float(os.environ.get("PGWARDEN_MAIL_POLL_SECONDS", "5")),
        )

    def describe(self) -> list[tuple[str, str]]:
        """The settings as a person should see them (a password only by its length)."""
        if self.transport == "file":
            return [("transport", f"file outbox in {self.file_dir} (development only)")]
        password = f"(set, {len(self.smtp_password)} chars)" if self.smtp_password else "(not set)"
        return [
            ("transport", "smtp"),
            ("SMTP_HOST", f"{self.smtp_host}:{self.smtp_port}"),
            ("SMTP_TLS", self.smtp_tls),
            ("SMTP_USER", self.smtp_user or "(not set)"),
            ("SMTP_PASSWORD", password),
            ("MAIL_FROM", self.mail_from),
        ]
