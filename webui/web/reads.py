"""Read-your-writes across a hot standby (webui.core.replica; docs/operations.md#read-replicas).

Before the handler: the pool this request's reads use (`request[READ_POOL]`): the standby's,
unless the client's signed WAL position (the `pgw_lsn` cookie or the `Pgwarden-Lsn` header) is
ahead of the standby's replay, or the standby lags or is down. After a successful write (any
method but GET/HEAD/OPTIONS, status below 400): the primary's WAL position, signed, in the cookie
and the response header. Without `PGWARDEN_READ_DATABASE_URL` this does nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from webui.core.replica import LSN_COOKIE, LSN_HEADER, ON_STANDBY, READ_POOL, READS, ReadRouter

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_COOKIE = "pgw_session"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def written_token(request: web.Request) -> str | None:
    """The client's signed WAL position: the header (an API client's opt-in), else the cookie."""
    return request.headers.get(LSN_HEADER) or request.cookies.get(LSN_COOKIE)


def _session_token(request: web.Request) -> str | None:
    auth = request.headers.get("Authorization", "")
    if auth[:7].lower() == "bearer " and "." not in auth:  # a JWT has dots; a session token not
        return auth[7:].strip()
    return request.cookies.get(SESSION_COOKIE)


async def _route(request: web.Request, reads: ReadRouter) -> None:
    written = reads.verified_lsn(written_token(request))
    pool, on_standby = await reads.pool_for_read(written)
    request[READ_POOL] = pool
    request[ON_STANDBY] = on_standby
    if on_standby:
        reads.remember_session(_session_token(request))


def _mark(request: web.Request, response: web.StreamResponse, signed: str, max_age: int) -> None:
    response.headers[LSN_HEADER] = signed
    response.set_cookie(
        LSN_COOKIE,
        signed,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="Lax",
        secure=request.secure,
    )


async def _after_write(
    request: web.Request, reads: ReadRouter, response: web.StreamResponse
) -> None:
    if request.method in READ_METHODS or response.status >= 400 or response.prepared:
        return
    lsn = await reads.primary_lsn()
    if lsn is not None:
        # long enough for any standby within the lag bound to catch up; harmless after that
        _mark(request, response, reads.sign(lsn), max_age=max(60, int(reads.max_lag * 4)))


@web.middleware
async def reads_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    reads = request.app.get(READS)
    if reads is None or reads.standby is None:
        return await handler(request)
    await _route(request, reads)
    try:
        response = await handler(request)
    except web.HTTPException as exc:  # a redirect after a form post is a write's answer too
        await _after_write(request, reads, exc)
        raise
    await _after_write(request, reads, response)
    return response


def setup(app: web.Application) -> None:
    app.middlewares.append(reads_middleware)
