"""The admin's only path to row data: the REST dialect over HTTP, through the `postgrest` client,
as the signed-in user (bearer = the user's session token), so RLS, grants and audit decide.

One pooled keep-alive `httpx.AsyncClient` per process; a light `AsyncPostgrestClient` per request
shares it. The endpoint is `PGWARDEN_ADMIN_REST_URL`, else this process's own `/rest/v1`.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
from aiohttp import web
from postgrest import APIError, AsyncPostgrestClient

from webui.core.replica import LSN_HEADER
from webui.web.correlation import correlation_id
from webui.web.reads import written_token

REST_URL_ENV = "PGWARDEN_ADMIN_REST_URL"
# PostgREST error codes (and SQLSTATEs) → the status the admin answers with.
_STATUS = {
    "42501": 403,
    "PGRST301": 401,
    "PGRST302": 401,
    "PGRST303": 401,
    "PGRST116": 404,
    "PGRST205": 404,
    "PGRST204": 400,
    "PGRST202": 404,
    "PGRST100": 400,
    "PGRST103": 416,
    "PGRST106": 404,
    "22P02": 400,
    "22023": 400,
    "22007": 400,
    "22008": 400,
    "P0001": 400,
    "57014": 504,
}


class RestFailure(Exception):
    """The REST dialect refused: its error shape plus the status the admin should answer."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details

    @classmethod
    def from_api(cls, exc: APIError) -> RestFailure:
        code = str(exc.code or "")
        status = 409 if code.startswith("23") else _STATUS.get(code, 502)
        return cls(status, code, str(exc.message or "request refused"), exc.details)


@dataclass
class RestEndpoint:
    """The process's HTTP client and the base URL of the REST dialect."""

    http: httpx.AsyncClient
    base_url: str | None  # None: this process's own /rest/v1, found from the first request

    def url_for(self, request: web.Request) -> str:
        if self.base_url:
            return self.base_url
        sockname = request.transport.get_extra_info("sockname") if request.transport else None
        host, port = (sockname[0], sockname[1]) if sockname else ("127.0.0.1", 8000)
        if host in ("0.0.0.0", "::"):  # noqa: S104 - a listening address, not a bind
            host = "127.0.0.1"
        shown = f"[{host}]" if ":" in host else host
        self.base_url = f"http://{shown}:{port}/rest/v1"
        return self.base_url

    def client(self, request: web.Request, token: str, schema: str) -> AsyncPostgrestClient:
        headers = {
            "Authorization": f"Bearer {token}",
            "X-Correlation-Id": correlation_id(request),
            "Accept": "application/json",
        }
        written = written_token(request)
        if written:  # read-your-writes: the user's own writes decide where their reads go
            headers[LSN_HEADER] = written
        return AsyncPostgrestClient(
            self.url_for(request),
            schema=schema,
            headers=headers,
            http_client=self.http,
            retry_enabled=False,
        )


REST_ENDPOINT = web.AppKey("admin_rest", RestEndpoint)


async def rest_context(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: one keep-alive client for the whole process."""
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=32)
    http = httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(30.0), follow_redirects=False)
    base = os.environ.get(REST_URL_ENV, "").rstrip("/") or None
    app[REST_ENDPOINT] = RestEndpoint(http, base)
    yield
    await http.aclose()


async def execute(builder: Any) -> Any:
    """Run a postgrest request builder; a refusal becomes RestFailure."""
    try:
        return await builder.execute()
    except APIError as exc:
        raise RestFailure.from_api(exc) from None
    except httpx.HTTPError as exc:
        raise RestFailure(
            502, "PGW502", f"the REST endpoint did not answer: {type(exc).__name__}"
        ) from None


async def stream(builder: Any, accept: str = "text/csv") -> AsyncIterator[bytes]:
    """Send a built request and yield the body in chunks (never the whole body in memory)."""
    req = builder.request
    headers = httpx.Headers(req.headers)
    headers["Accept"] = accept
    async with req.session.stream(
        req.http_method, str(req.path), params=req.params, headers=headers
    ) as response:
        if response.status_code >= 400:
            body = await response.aread()
            try:
                error = httpx.Response(response.status_code, content=body).json()
            except ValueError:
                error = {"message": body.decode(errors="replace")[:200]}
            raise RestFailure.from_api(APIError(error if isinstance(error, dict) else {}))
        async for chunk in response.aiter_bytes():
            yield chunk
