"""Correlation ids: an inbound `X-Correlation-Id` is honoured when it is 16-64 characters of
`[A-Za-z0-9_-]` (after trimming); otherwise a fresh UUIDv7 is minted. Echoed on every response."""

from __future__ import annotations

import os
import re
import time

from aiohttp import web
from aiohttp.typedefs import Handler

HEADER = "X-Correlation-Id"
_VALID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def uuid7() -> str:
    """A UUIDv7 (RFC 9562): 48-bit Unix milliseconds, version 7, variant 10, random bits."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= (rand >> 68) << 64 & (0xFFF << 64)
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def accept(inbound: str | None) -> str:
    candidate = (inbound or "").strip()
    return candidate if _VALID.match(candidate) else uuid7()


def correlation_id(request: web.Request) -> str:
    return str(request.get("correlation_id") or "")


@web.middleware
async def correlation_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    request["correlation_id"] = accept(request.headers.get(HEADER))
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        exc.headers[HEADER] = request["correlation_id"]
        raise
    response.headers[HEADER] = request["correlation_id"]
    return response
