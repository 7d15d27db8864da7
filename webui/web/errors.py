"""The one HTTP error type (`HttpError`, the stable shape `{code, message, details, hint}`), and the
outer safety net: an HTTP error raised without a JSON body becomes that shape, any other
exception a bare 500 (logged, never shown); security headers go on every response."""

from __future__ import annotations

import logging

import orjson
from aiohttp import web
from aiohttp.typedefs import Handler

log = logging.getLogger("pgwarden")

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "geolocation=(), microphone=(), camera=()",
}
_KEPT_HEADERS = {"www-authenticate", "retry-after", "allow", "location", "x-correlation-id"}


class HttpError(Exception):
    """A typed 4xx/5xx answer, raised by auth, rest and admin alike (`webui.auth.http.AuthError`
    and `webui.rest.errors.ApiError` are this class under the names their rooms use). Its JSON
    form is `response()`; the admin renders the same error as a page (`reason` is then the
    page's short title)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: str | None = None,
        hint: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details, self.hint = details, hint
        self.headers = headers or {}
        self.reason: str | None = None  # the status line's text (a `PTxyz` raised with one)

    def response(self) -> web.Response:
        """The stable shape (PostgREST's): code, message, details, hint."""
        body = {
            "code": self.code,
            "details": self.details,
            "hint": self.hint,
            "message": self.message,
        }
        return web.Response(
            status=self.status,
            reason=self.reason,
            body=orjson.dumps(body),
            content_type="application/json",
            charset="utf-8",
            headers=self.headers,
        )


def error_response(status: int, code: str, message: str, hint: str | None = None) -> web.Response:
    """The stable error shape (PostgREST's): code, message, details, hint."""
    return HttpError(status, code, message, hint=hint).response()


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/json":
            raise
        response = error_response(exc.status, f"PGW{exc.status}", exc.reason)
        for key, value in exc.headers.items():
            if key.lower() in _KEPT_HEADERS:
                response.headers[key] = value
        return response
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "PGW500", "Internal Server Error")


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: the fixed security headers, unless a handler set its own, and a
    `Server` header that names no versions."""
    for key, value in SECURITY_HEADERS.items():
        response.headers.setdefault(key, value)
    response.headers["Server"] = "pgwarden"
