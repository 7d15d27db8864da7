"""Errors of the REST dialect: PostgREST's `PGRST…` codes and its SQLSTATE → HTTP mapping.

Every error leaves as `{code, message, details, hint}`; nothing else (no trace, no SQL)."""

from __future__ import annotations

import json
from typing import Protocol

from aiohttp import web

JSON_TYPE = "application/json; charset=utf-8"


class DatabaseError(Protocol):
    sqlstate: str
    message: str
    detail: str | None
    hint: str | None


# (schema, table, constraint) -> (message, hint): pgwarden.constraint_messages, loaded with the
# schema cache (webui/rest/state.py). The same words the CLI prints for the same constraint.
KNOWN_CONSTRAINTS: dict[tuple[str, str, str], tuple[str, str | None]] = {}


def set_known_constraints(rows: list[tuple[str, str, str, str, str | None]]) -> None:
    KNOWN_CONSTRAINTS.clear()
    KNOWN_CONSTRAINTS.update({(s, t, c): (m, h) for s, t, c, m, h in rows})


class ApiError(Exception):
    """An error the dialect answers with a typed 4xx/5xx body."""

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

    def response(self) -> web.Response:
        body = {
            "code": self.code,
            "details": self.details,
            "hint": self.hint,
            "message": self.message,
        }
        return web.Response(
            status=self.status,
            body=json.dumps(body).encode(),
            content_type="application/json",
            charset="utf-8",
            headers=self.headers,
        )


def parse_error(message: str, details: str | None = None) -> ApiError:
    return ApiError(400, "PGRST100", message, details)


def column_not_found(column: str, table: str) -> ApiError:
    return ApiError(
        400, "PGRST204", f"Could not find the '{column}' column of '{table}' in the schema cache"
    )


def column_not_found_read(column: str, table: str) -> ApiError:
    return ApiError(400, "42703", f"column {table}.{column} does not exist")


def table_not_found(schema: str, name: str) -> ApiError:
    return ApiError(
        404,
        "PGRST205",
        f"Could not find the table '{schema}.{name}' in the schema cache",
        hint="If a new table was created, reload the schema cache: NOTIFY pgrst, 'reload schema'",
    )


_PREFIX_STATUS = {
    "08": 503,
    "09": 500,
    "0L": 403,
    "0P": 403,
    "25": 500,
    "28": 403,
    "2D": 500,
    "38": 500,
    "39": 500,
    "3B": 500,
    "40": 500,
    "53": 503,
    "54": 500,
    "55": 500,
    "57": 500,
    "58": 500,
    "F0": 500,
    "HV": 500,
    "P0": 500,
    "XX": 500,
}
_EXACT_STATUS = {
    "23503": 409,
    "23505": 409,
    "25006": 405,
    "53400": 500,
    "P0001": 400,
    "42883": 404,
    "42P01": 404,
    "42P17": 500,
    "57014": 504,
}
# 42P17 "infinite recursion detected in policy": row policies that read each other under RLS.
RECURSION_HINT = (
    "the row policies of these tables read each other under row-level security; "
    "`pgwarden policies check` prints the cycle, and an exists without visible = true "
    "compiles to a helper that does not recurse (docs/policies.md)"
)
# Details that echo a whole row may show columns the caller never sent and cannot read.
_REDACTED_DETAIL_PREFIXES = ("Failing row contains",)


def status_for(sqlstate: str, authenticated: bool) -> int:
    if sqlstate == "42501":
        return 403 if authenticated else 401
    if sqlstate in _EXACT_STATUS:
        return _EXACT_STATUS[sqlstate]
    return _PREFIX_STATUS.get(sqlstate[:2], 400)


def from_database(exc: DatabaseError, authenticated: bool) -> ApiError:
    """PostgreSQL's error as the dialect's: its SQLSTATE, message, detail and hint."""
    status = status_for(exc.sqlstate, authenticated)
    details = exc.detail
    if details and details.startswith(_REDACTED_DETAIL_PREFIXES):
        details = None
    if exc.sqlstate == "42P17":
        return ApiError(status, exc.sqlstate, exc.message, None, RECURSION_HINT)
    if status >= 500 and not exc.sqlstate.startswith(("57", "53", "P0")):
        return ApiError(status, exc.sqlstate, "internal error", None, None)
    headers = {}
    if exc.sqlstate == "42501" and not authenticated:
        headers["WWW-Authenticate"] = "Bearer"
    known = KNOWN_CONSTRAINTS.get(getattr(exc, "constraint", None) or ("", "", ""))
    if known is not None:  # the human words; PostgreSQL's own message moves to details
        return ApiError(status, exc.sqlstate, known[0], exc.message, known[1], headers)
    return ApiError(status, exc.sqlstate, exc.message, details, exc.hint, headers)
