"""`pgwarden mail outbox|drain`: the development file outbox, and one pass of the sender.

`outbox` lists the .eml files the file transport wrote (PGWARDEN_MAIL_DIR, else
`.pgwarden/mail`) and prints the newest reset link; `drain` sends the due mails of auth.mail_outbox
once through the configured transport (what every `pgwarden serve` does continuously)."""

from __future__ import annotations

import argparse
import asyncio
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from psycopg import AsyncConnection

from webui.core.pool import Pool
from webui.core.settings import app_url_for
from webui.mail.config import MailConfig
from webui.mail.sender import drain_once
from webui.mail.transports import LINK, make_transport
from webui.ops.database import database_url


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("mail", help="the mail outbox (development files, sending)")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    outbox = actions.add_parser("outbox", help="list the file outbox and show the newest link")
    outbox.add_argument("--dir", type=Path, help="default: PGWARDEN_MAIL_DIR")
    outbox.set_defaults(handler=list_outbox)
    drain = actions.add_parser("drain", help="send the due mails of auth.mail_outbox once")
    drain.set_defaults(handler=drain_outbox)


def _read(path: Path) -> EmailMessage:
    return message_from_bytes(path.read_bytes(), policy=policy.default)  # type: ignore[return-value]


def _body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    return part.get_content() if part is not None else ""


def list_outbox(args: argparse.Namespace) -> int:
    directory = args.dir or MailConfig.from_env().file_dir
    files = sorted(directory.glob("*.eml")) if directory.is_dir() else []
    if not files:
        print(f"no messages in {directory}")
        return 0
    for path in files:
        message = _read(path)
        print(f"{path.name}  {message['Date']}  to {message['To']}  {message['Subject']}")
    link = LINK.search(_body(_read(files[-1])))
    print(f"newest link: {link.group(0)}" if link else "the newest message carries no link")
    return 0


def drain_outbox(args: argparse.Namespace) -> int:
    config = MailConfig.from_env()
    total = asyncio.run(_drain(app_url_for(database_url()), config))
    print(f"{total} mail(s) tried through the {config.transport} transport")
    return 0


async def _autocommit(conn: AsyncConnection) -> None:
    await conn.set_autocommit(True)


async def _drain(conninfo: str, config: MailConfig) -> int:
    pool = Pool(conninfo, min_size=1, max_size=1, configure=_autocommit)
    await pool.open(wait=True)
    try:
        total, transport = 0, make_transport(config)
        while tried := await drain_once(pool, transport, config):
            total += tried
        return total
    finally:
        await pool.close()
