"""The aiohttp application factory. Each feature module exposes `setup(app)`; adding a feature
is one line in FEATURES."""

from __future__ import annotations

import importlib

import aiohttp_jinja2
import jinja2
from aiohttp import web

from webui.core.db import SETTINGS, pool_context
from webui.core.paths import PACKAGE_DIR
from webui.core.settings import Settings
from webui.web.correlation import correlation_middleware
from webui.web.errors import add_security_headers, error_middleware

FEATURES = [
    "webui.web.reads",
    "webui.web.health",
    "webui.web.home",
    "webui.ops.jobs",
    "webui.auth",
    "webui.mail",
    "webui.rest",
    "webui.admin",
]
MAX_BODY_BYTES = 1024 * 1024


def create_app(settings: Settings) -> web.Application:
    app = web.Application(
        middlewares=[correlation_middleware, error_middleware],
        client_max_size=MAX_BODY_BYTES,
    )
    app[SETTINGS] = settings
    app.cleanup_ctx.append(pool_context)
    app.on_response_prepare.append(add_security_headers)
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(str(PACKAGE_DIR / "templates")),
        autoescape=jinja2.select_autoescape(default=True),
    )
    app.router.add_static("/static/", PACKAGE_DIR / "static", name="static")
    for feature in FEATURES:
        importlib.import_module(feature).setup(app)
    return app
