"""A real SMTP server for tests (aiosmtpd in a thread) that keeps what it receives, and helpers
to read a reset link out of a message."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from webui.testing import free_port

LINK = re.compile(r"(https?://\S+)/admin/reset-password/([A-Za-z0-9_-]{43})")


@dataclass
class Inbox:
    """Messages received, in order; `fail_next` makes the next N deliveries fail with 451;
    `delay` slows every delivery down (to widen race windows)."""

    messages: list[EmailMessage] = field(default_factory=list)
    fail_next: int = 0
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                return "451 4.3.0 try again later"
            message = message_from_bytes(envelope.content, policy=policy.default)
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 20.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        raise AssertionError(f"expected {count} message(s), got {len(self.messages)}")


def body_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    return part.get_content() if part is not None else ""


def reset_link(message: EmailMessage) -> tuple[str, str]:
    """(base, token) of the reset link in a message."""
    match = LINK.search(body_of(message))
    assert match, "the message carries no reset link"
    return match.group(1), match.group(2)


@contextmanager
def smtp_server(port: int | None = None) -> Iterator[tuple[int, Inbox]]:
    """A real SMTP server on 127.0.0.1 (no TLS, no auth), stopped on exit."""
    inbox = Inbox()
    port = port or free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


def smtp_env(port: int) -> dict[str, str]:
    return {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
        "SMTP_TLS": "off",
        "MAIL_FROM": "pgwarden <noreply@example.com>",
        "PGWARDEN_MAIL_POLL_SECONDS": "0.5",
    }
