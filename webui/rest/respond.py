"""Stage 4 of a request (parse → build → run → **respond**): a named `Result` → the HTTP response.

Status, `Content-Range`, `Preference-Applied`, what SQL set (`response.headers`,
`response.status`), `Location`, the body PostgreSQL built (never decoded), and on every
dialect response the error mapping (`ApiError` → its typed body), CORS and `Content-Profile`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import quote as url_quote

import orjson
from aiohttp import web

from webui.rest.build import ReadSpec
from webui.rest.errors import ApiError, proxy_status
from webui.rest.negotiate import PROFILE_KEY
from webui.rest.parse import Call
from webui.rest.state import RestState
from webui.rest.statements import Result

CORS_METHODS = "GET, POST, PATCH, PUT, DELETE, OPTIONS, HEAD"
CORS_EXPOSED = (
    "Content-Encoding, Content-Location, Content-Range, Content-Type, Date, Location, Server, "
    "Transfer-Encoding, Range-Unit"
)


async def dialect_response(
    request: web.Request, state: RestState, answer: Callable[[], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Run a handler: a CORS preflight is answered before it, an ApiError becomes its typed
    response, and CORS and Content-Profile headers go on whatever leaves."""
    if _preflight(request):
        return _cors_preflight(request)
    try:
        response = await answer()
    except ApiError as error:
        response = error_response(error)
    schema = request.get(PROFILE_KEY)
    if schema and len(state.config.db_schemas) > 1:
        response.headers["Content-Profile"] = schema
    if request.headers.get("Origin"):
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = CORS_EXPOSED
    return response


def error_response(error: ApiError) -> web.Response:
    """An error as the dialect answers it: the stable shape, and PostgREST's `Proxy-Status`."""
    response = error.response()
    for key, value in proxy_status(error.code).items():
        response.headers.setdefault(key, value)
    return response


def _preflight(request: web.Request) -> bool:
    return (
        request.method == "OPTIONS"
        and bool(request.headers.get("Origin"))
        and bool(request.headers.get("Access-Control-Request-Method"))
    )


def _cors_preflight(request: web.Request) -> web.Response:
    """As PostgREST answers a preflight: any origin, the dialect's methods, the asked headers.
    No `Access-Control-Allow-Credentials`: a browser never sends cookies cross-origin here."""
    asked = request.headers.get("Access-Control-Request-Headers", "")
    headers = ["Authorization", *[h.strip() for h in asked.split(",") if h.strip()]]
    headers += ["Accept", "Accept-Language", "Content-Language"]
    return web.Response(
        status=200,
        headers={
            "Access-Control-Allow-Origin": "*",
            "Access-Control-Allow-Methods": CORS_METHODS,
            "Access-Control-Allow-Headers": ", ".join(headers),
            "Access-Control-Max-Age": "86400",
        },
    )


def read_response(
    call: Call, spec: ReadSpec, total: int | None, result: Result
) -> web.StreamResponse:
    page = result.page
    offset = spec.offset.get((), 0)
    status = 200
    if total is not None and offset > total:
        raise ApiError(
            416,
            "PGRST103",
            "Requested range not satisfiable",
            details=f"An offset of {offset} was requested, but there are only {total} rows.",
            headers={"Content-Range": f"*/{total}"},
        )
    if total is not None and page < total:
        status = 206
    if not call.single_json:
        singular_check(call, page)
    headers = {"Content-Range": _content_range(offset, page, total)}
    applied_preferences(call, headers)
    status = sql_overrides(result, status, headers)
    return respond(call, status, result.body or b"", headers)


def sql_overrides(result: Result, status: int, headers: dict[str, str]) -> int:
    """Apply `response.headers` (a JSON array of one-key objects) and `response.status` as set
    by SQL during the request; malformed values are PGRST111/PGRST112 (500), as in PostgREST."""
    raw_headers, raw_status = result.headers, result.status
    if raw_headers:
        headers.update(_guc_headers(raw_headers))
    if raw_status:
        if not raw_status.isdigit() or not 100 <= int(raw_status) <= 599:
            raise ApiError(500, "PGRST112", "response.status guc must be a valid status code")
        return int(raw_status)
    return status


def _guc_headers(raw: bytes) -> dict[str, str]:
    try:
        entries = orjson.loads(raw)
        pairs = [next(iter(e.items())) for e in entries if isinstance(e, dict) and len(e) == 1]
        if len(pairs) != len(entries) or not all(isinstance(v, str) for _, v in pairs):
            raise ValueError
    except (ValueError, TypeError):
        raise ApiError(
            500,
            "PGRST111",
            "response.headers guc must be a JSON array composed of objects with a single key "
            "and a string value",
        ) from None
    return {str(k): v for k, v in pairs if "\n" not in k + v and "\r" not in k + v}


def _content_range(offset: int, page: int, total: int | None) -> str:
    total_text = "*" if total is None else str(total)
    if page == 0:
        return f"*/{total_text}"
    return f"{offset}-{offset + page - 1}/{total_text}"


def singular_check(call: Call, page: int) -> None:
    if call.accept.kind == "object" and page != 1:
        raise ApiError(
            406,
            "PGRST116",
            "Cannot coerce the result to a single JSON object",
            details=f"The result contains {page} rows",
        )


def respond(call: Call, status: int, body: bytes | None, headers: dict[str, str]) -> web.Response:
    if body is None or status == 204:
        return web.Response(status=status, headers=headers)
    headers["Content-Type"] = call.content_type
    if call.request.method == "HEAD":
        return web.Response(status=status, headers=headers)
    return web.Response(status=status, body=body, headers=headers)


def applied_preferences(call: Call, headers: dict[str, str]) -> None:
    prefer, applied = call.prefer, []
    for name, value in (
        ("return", prefer.return_),
        ("count", prefer.count),
        ("resolution", prefer.resolution),
        ("missing", prefer.missing),
        ("handling", prefer.handling if prefer.handling == "strict" else None),
        ("timezone", prefer.timezone),
        ("tx", prefer.tx if call.state.config.tx_override else None),
    ):
        if value:
            applied.append(f"{name}={value}")
    if prefer.max_affected is not None and prefer.handling == "strict":
        applied.append(f"max-affected={prefer.max_affected}")
    if applied:
        headers["Preference-Applied"] = ", ".join(applied)


def write_response(
    call: Call, mode: str, kind: str, wrapped: bool, result: Result, location_keys: list[str]
) -> web.StreamResponse:
    """`kind` and `mode` as `writes.finish_write` chose them; `wrapped`: the statement built a
    representation (`WRITE` columns), else it was a bare command (its row count only)."""
    headers: dict[str, str] = {}
    applied_preferences(call, headers)
    affected = write_count(wrapped, result)
    content_range = _write_range(kind, affected, call.prefer.count == "exact")
    if content_range:
        headers["Content-Range"] = content_range
    location = result.location if location_keys else None
    if location:
        keys = orjson.loads(location)
        query = "&".join(f"{url_quote(k)}=eq.{url_quote(str(v))}" for k, v in keys.items())
        headers["Location"] = f"/{call.table.name}?{query}"
    status = _write_status(call, mode, kind, result.inserted if wrapped else None)
    if not wrapped:
        return respond(call, status, None, headers)
    status = sql_overrides(result, status, headers)
    body = result.body if mode == "representation" else None
    return respond(call, status, body, headers)


def write_count(wrapped: bool, result: Result) -> int:
    """The rows written: the command's count, or the wrapped statement's `page`."""
    return result.page if wrapped else max(result.affected, 0)


def _write_range(kind: str, affected: int, exact: bool) -> str | None:
    """`Content-Range` as PostgREST sends it: `*/*` on POST and DELETE (`*/N` with
    count=exact), `0-(N-1)/*` on PATCH (`*/*` when nothing matched), none on PUT."""
    total = str(affected) if exact else "*"
    if kind == "put":
        return None
    if kind == "update" and affected > 0:
        return f"0-{affected - 1}/{total}"
    return f"*/{total}"


def _write_status(call: Call, mode: str, kind: str, inserted: int | None) -> int:
    """201 for an insert; an upsert that merged and inserted nothing is 200; PUT is 201 when it
    inserted (200 when it replaced) with a representation, else 204; PATCH and DELETE are 200
    with a representation, else 204."""
    if kind == "insert" or (kind == "upsert" and call.prefer.resolution != "merge-duplicates"):
        return 201
    if kind == "upsert":
        return 201 if (inserted or 0) > 0 else 200
    if mode != "representation":
        return 204
    if kind == "put":
        return 201 if (inserted or 0) > 0 else 200
    return 200
