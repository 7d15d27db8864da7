"""`pgwarden doctor email [--to ADDR]`: the mail transport's settings (a password only as
"(set, N chars)"), the SMTP handshake (connect, STARTTLS or TLS, login), and a test mail."""

from __future__ import annotations

import asyncio

from webui.cli.console import check
from webui.core.settings import SettingsError
from webui.mail.config import MailConfig
from webui.mail.transports import SmtpTransport, build_message, make_transport


def doctor_email(to: str | None) -> int:
    try:
        config = MailConfig.from_env()
    except SettingsError as exc:
        check(False, "mail settings", str(exc))
        return 1
    for name, value in config.describe():
        print(f"  {name}: {value}")
    ok = True
    if config.transport == "smtp":
        try:
            greeting = asyncio.run(SmtpTransport(config).handshake())
            check(True, "SMTP handshake", greeting)
        except Exception as exc:  # every failure is reported, none is raised
            ok = check(False, "SMTP handshake", f"{type(exc).__name__}: {exc}")
    else:
        check(True, "file outbox", f"{config.file_dir} (development; set SMTP_HOST for real mail)")
    if to and ok:
        message = build_message(
            config, 0, to, "pgwarden — test mail", "This is a test mail from pgwarden doctor."
        )
        try:
            asyncio.run(make_transport(config).send(message))
            check(True, "test mail sent", to)
        except Exception as exc:  # reported, not raised
            ok = check(False, "test mail sent", f"{type(exc).__name__}: {exc}")
    return 0 if ok else 1
