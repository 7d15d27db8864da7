"""`pgwarden serve [--host H] [--port P] [--workers N]`: the web app."""

from __future__ import annotations

import argparse
import functools
import logging
import os

import psycopg
from aiohttp import web

from webui.core import settings
from webui.core.paths import declared_schemas
from webui.ops.database import database_url
from webui.rest import config as rest_config
from webui.web.app import create_app
from webui.web.workers import run_workers, use_fast_event_loop


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("serve", help="serve the admin, auth and REST endpoints")
    parser.add_argument("--host", default=os.environ.get("PGWARDEN_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PGWARDEN_PORT", "8000")))
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("PGWARDEN_WORKERS", "1")),
        help="worker processes sharing the port (SO_REUSEPORT); state stays in PostgreSQL",
    )
    parser.set_defaults(handler=serve)


def _run_worker(host: str, port: int, reuse_port: bool) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    use_fast_event_loop()
    app = create_app(settings.load(database_url(), create_secret=True))
    web.run_app(app, host=host, port=port, reuse_port=reuse_port, print=None, access_log=None)


def serve(args: argparse.Namespace) -> int:
    owner = database_url()
    settings.load(owner, create_secret=True)  # fail early, before forking, on a missing database
    psycopg.connect(owner, connect_timeout=5).close()  # a dead server: one line, exit 1
    base = f"http://{args.host}:{args.port}"
    print(f"pgwarden serving on {base}/ with {args.workers} worker(s)")
    rest = _rest_config()
    prefix = "/" + rest.server_prefix.strip("/")
    print(f"REST API: {base}{prefix}/ (schemas {', '.join(rest.db_schemas)})", flush=True)
    run_workers(functools.partial(_run_worker, args.host, args.port), args.workers)
    return 0


def _rest_config() -> rest_config.RestConfig:
    try:
        return rest_config.load(declared=declared_schemas())
    except rest_config.ConfigError as exc:
        raise settings.SettingsError(f"REST dialect: {exc}") from None
