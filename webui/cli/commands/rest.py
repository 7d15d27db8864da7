"""`pgwarden rest [CONFIG_FILE] [--port P] [--workers N]`: the PostgREST-dialect endpoint alone,
at `/`, configured with PostgREST's own names (config file, then PGRST_* variables)."""

from __future__ import annotations

import argparse
import functools
import logging

from aiohttp import web

from webui.core import settings
from webui.core.paths import declared_schemas
from webui.ops.database import database_url
from webui.rest import config as rest_config
from webui.rest import create_standalone_app
from webui.web.workers import run_workers, use_fast_event_loop


def _epilog() -> str:
    lines = ["configuration (config file key / environment variable: default — meaning):"]
    for name, (default, meaning) in rest_config.OPTIONS.items():
        env = "PGRST_" + name.upper().replace("-", "_")
        lines.append(f"  {name} / {env}: {default or '(unset)'} — {meaning}")
    return "\n".join(lines)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "rest",
        help="serve the PostgREST-dialect endpoint alone (a PostgREST stand-in)",
        description="Serve the PostgREST-dialect JSON API at / . Reads a PostgREST config file "
        "and PGRST_* environment variables, so an existing set-up moves over unchanged.",
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("config_file", nargs="?", help="a PostgREST configuration file")
    parser.add_argument("--host", help="listen address (server-host)")
    parser.add_argument("--port", help="listen port (server-port)")
    parser.add_argument("--workers", type=int, default=1, help="processes sharing the port")
    parser.set_defaults(handler=serve_rest)


def _load(args: argparse.Namespace) -> tuple[rest_config.RestConfig, str]:
    try:
        config = rest_config.load(
            config_file=args.config_file,
            declared=declared_schemas(),
            **{"server-host": args.host, "server-port": args.port},
        )
    except rest_config.ConfigError as exc:
        raise settings.SettingsError(str(exc)) from None
    conninfo = config.db_uri or settings.app_url_for(database_url())
    return config, conninfo


def _worker(args: argparse.Namespace, reuse_port: bool) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    use_fast_event_loop()
    config, conninfo = _load(args)
    app = create_standalone_app(config, conninfo)
    web.run_app(
        app,
        host=config.server_host,
        port=config.server_port,
        reuse_port=reuse_port,
        print=None,
        access_log=None,
    )


def serve_rest(args: argparse.Namespace) -> int:
    config, _ = _load(args)
    print(
        f"pgwarden rest on http://{config.server_host}:{config.server_port}/ "
        f"(schemas {', '.join(config.db_schemas)}; {args.workers} worker(s))",
        flush=True,
    )
    run_workers(functools.partial(_worker, args), args.workers)
    return 0
