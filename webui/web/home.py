"""`GET /`: the landing page, linking to what this instance serves."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from webui import __version__

LINKS: list[tuple[str, str, str]] = [
    ("Admin", "/admin", "The admin pages: sign in with an account; the database decides."),
    (
        "REST API",
        "/rest/v1/",
        "The PostgREST dialect: the OpenAPI 3.1 document of what you may do.",
    ),
    ("API docs", "/rest/v1/docs", "Swagger UI over that document, served from this package."),
    ("Who am I", "/auth/me", "Your session, after POST /auth/login."),
    ("Health", "/healthz", "Database reachability and the deployed migration."),
]


@aiohttp_jinja2.template("home.html")
async def home(request: web.Request) -> dict[str, object]:
    return {"version": __version__, "links": LINKS}


def setup(app: web.Application) -> None:
    app.router.add_get("/", home, name="home")
