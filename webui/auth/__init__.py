"""Identity and sessions: `identify(request)` for the admin and REST layers, and the JSON auth
endpoints. Doctrine: docs/sessions.md and docs/identity.md."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from webui.auth.admin_actions import ADMIN_ROUTES
from webui.auth.config import AUTH_CONFIG, COOKIE_NAME, AuthConfig
from webui.auth.identity import Identity, identify, session_token
from webui.auth.mfa_routes import ROUTES as MFA_ROUTES
from webui.auth.passwords import Hasher
from webui.auth.recovery import RECOVERY_ROUTES
from webui.auth.routes import HASHER, ROUTES, auth_errors

__all__ = ["COOKIE_NAME", "Identity", "identify", "session_token", "setup"]


async def _hasher_context(app: web.Application) -> AsyncIterator[None]:
    hasher = Hasher(app[AUTH_CONFIG])
    app[HASHER] = hasher
    yield
    hasher.close()


def setup(app: web.Application) -> None:
    app[AUTH_CONFIG] = AuthConfig.from_env()
    app.cleanup_ctx.append(_hasher_context)
    app.middlewares.append(auth_errors)
    for method, path, handler in [*ROUTES, *RECOVERY_ROUTES, *ADMIN_ROUTES, *MFA_ROUTES]:
        app.router.add_route(method, path, handler)
