"""The PostgREST-dialect endpoint. `setup(app)` mounts it in `pgwarden serve` under
`server-prefix` (default `/rest/v1`) on the app's pool; `create_standalone_app(config)` serves it
at `/` with its own pool (`pgwarden rest`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web
from psycopg import AsyncConnection

from webui.core.db import POOL, SETTINGS
from webui.core.paths import declared_schemas
from webui.core.pool import Pool, describe_failure
from webui.core.settings import SettingsError, connection_kwargs, direct_or
from webui.rest import config as rest_config
from webui.rest.auth import JwtVerifier
from webui.rest.docs import handle_asset, handle_docs
from webui.rest.endpoint import handle_nested_path, handle_relation, handle_root_options
from webui.rest.openapi import handle_root
from webui.rest.rpc import handle_rpc
from webui.rest.state import REST, RestState, listen
from webui.web.correlation import correlation_middleware
from webui.web.errors import add_security_headers, error_middleware

log = logging.getLogger("pgwarden.rest")
MAX_BODY_BYTES = 1024 * 1024


def add_routes(app: web.Application, state: RestState) -> None:
    prefix = state.prefix
    app[REST] = state
    app.router.add_get(prefix + "/", handle_root)
    app.router.add_route("OPTIONS", prefix + "/", handle_root_options)
    if prefix:
        app.router.add_get(prefix, handle_root)
    app.router.add_get(prefix + "/docs", handle_docs)
    app.router.add_get(prefix + "/docs/assets/{file}", handle_asset)
    app.router.add_route("*", prefix + "/rpc/{name}", handle_rpc)
    app.router.add_route("*", prefix + "/{name}", handle_relation)
    app.router.add_route("*", prefix + "/{name}/{tail:.*}", handle_nested_path)
    app.cleanup_ctx.append(_lifecycle)


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    """After the pool opens: load the schema cache, then LISTEN for reloads until shutdown."""
    state = app[REST]
    state.pool = app[POOL]
    try:
        await state.reload()
    except Exception as exc:
        log.warning("schema cache not loaded at start: %s", describe_failure(exc))
    if state.config.db_channel_enabled:
        # LISTEN holds session state: a direct connection, never the (maybe pooled) app URL
        direct = app[SETTINGS].direct_database_url if SETTINGS in app else ""
        state.listener = asyncio.create_task(
            listen(state, direct or direct_or(state.pool.conninfo))
        )
    yield
    if state.listener is not None:
        state.listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await state.listener


def setup(app: web.Application) -> None:
    """Mount in `pgwarden serve`: PGRST_* configuration, the app's pool, `server-prefix`."""
    try:
        config = rest_config.load(declared=declared_schemas())
    except rest_config.ConfigError as exc:
        raise SettingsError(f"REST dialect: {exc}") from None
    prefix = "/" + config.server_prefix.strip("/") if config.server_prefix.strip("/") else ""
    add_routes(app, RestState(config, JwtVerifier(config), prefix))
    if prefix:  # the README's "Swagger UI at /docs"
        app.router.add_get("/docs", _docs_redirect(prefix + "/docs"))


def _docs_redirect(target: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound(target)

    return redirect


async def _configure(conn: AsyncConnection) -> None:
    await conn.set_autocommit(True)


def make_pool(conninfo: str, config: rest_config.RestConfig) -> Pool:
    return Pool(
        conninfo,
        min_size=min(2, config.db_pool),
        max_size=config.db_pool,
        configure=_configure,
        kwargs=connection_kwargs(config.db_statement_timeout),
        timeout=config.db_pool_acquisition_timeout,
    )


def create_standalone_app(config: rest_config.RestConfig, conninfo: str) -> web.Application:
    """`pgwarden rest`: the dialect alone, at `/`, as a stand-in for a PostgREST server."""
    app = web.Application(
        middlewares=[correlation_middleware, error_middleware], client_max_size=MAX_BODY_BYTES
    )

    async def pool_context(app: web.Application) -> AsyncIterator[None]:
        pool = make_pool(conninfo, config)
        await pool.open(wait=False)
        app[POOL] = pool
        yield
        await pool.close()

    app.cleanup_ctx.append(pool_context)
    app.on_response_prepare.append(add_security_headers)
    add_routes(app, RestState(config, JwtVerifier(config), ""))
    return app
