"""Mail: the transactional outbox's sender and its transports (SMTP, development file outbox).
Mail is queued in SQL (auth.mail_outbox) by the transaction that needs it; `setup(app)` runs the
sender in the app. Doctrine: docs/recovery.md ("Mail")."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from webui.core.db import POOL
from webui.mail.config import MailConfig
from webui.mail.sender import run
from webui.mail.transports import make_transport

__all__ = ["MAIL_CONFIG", "MailConfig", "setup"]

MAIL_CONFIG = web.AppKey("mail_config", MailConfig)


async def _sender_context(app: web.Application) -> AsyncIterator[None]:
    config = app[MAIL_CONFIG]
    task = None
    if config.sender_enabled:
        task = asyncio.create_task(run(app[POOL], make_transport(config), config))
    yield
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def setup(app: web.Application) -> None:
    app[MAIL_CONFIG] = MailConfig.from_env()
    app.cleanup_ctx.append(_sender_context)
