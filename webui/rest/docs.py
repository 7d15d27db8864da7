"""`/docs`: Swagger UI over the dialect's OpenAPI document, from assets shipped in the package."""

from __future__ import annotations

import html

from aiohttp import web

from webui.core.paths import PACKAGE_DIR
from webui.rest.state import REST

SWAGGER_VERSION = "5.17.14"
ASSETS = {
    "swagger-ui.css": (f"swagger-ui-{SWAGGER_VERSION}.css", "text/css"),
    "swagger-ui-bundle.js": (f"swagger-ui-bundle-{SWAGGER_VERSION}.js", "text/javascript"),
    "swagger-ui-init.js": ("swagger-ui-init.js", "text/javascript"),
}
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>pgwarden REST API</title>
<link rel="stylesheet" href="{base}/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui" data-spec="{spec}"></div>
<script src="{base}/docs/assets/swagger-ui-bundle.js"></script>
<script src="{base}/docs/assets/swagger-ui-init.js"></script></body></html>
"""


async def handle_docs(request: web.Request) -> web.Response:
    base = html.escape(request.app[REST].prefix)
    return web.Response(text=PAGE.format(base=base, spec=f"{base}/"), content_type="text/html")


async def handle_asset(request: web.Request) -> web.StreamResponse:
    entry = ASSETS.get(request.match_info["file"])
    if entry is None:
        raise web.HTTPNotFound()
    path = PACKAGE_DIR / "static" / entry[0]
    response = web.FileResponse(
        path, headers={"Content-Type": entry[1], "Cache-Control": "public, max-age=86400"}
    )
    return response
