"""Errors of the REST dialect: PostgREST's `PGRST…` codes and its SQLSTATE → HTTP mapping.

Every error leaves as `{code, message, details, hint}`; nothing else (no trace, no SQL)."""

from __future__ import annotations

from typing import Protocol

import orjson

from webui.web.errors import HttpError

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


# The dialect's errors are the one HTTP error type of the app, under the name the dialect uses;
# `respond.error_response` adds PostgREST's `Proxy-Status` when one leaves.
ApiError = HttpError


def proxy_status(code: str) -> dict[str, str]:
    if code.isascii() and code.isprintable():
        return {"Proxy-Status": f"PostgREST; error={code}"}
    return {}


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
    "21000": 500,
    "23503": 409,
    "23505": 409,
    "25006": 405,
    "53400": 500,
    "57P01": 503,
    "P0001": 400,
    "42883": 404,
    "42P01": 404,
    "42P17": 500,
    "57014": 504,
}
# 42P17 "infinite recursion detected in policy": row policies that read each other under RLS.
RECURSION_HINT = (
    "the row policies of these tables (pg_policies) read each other under row-level security; "
    "`pgwarden policies check` prints the cycle, and an exists without visible = true "
    "compiles to a helper that does not recurse (docs/policies.md)"
)
# Server-side errors whose message is safe and useful to pass on, with a hint of where to look:
# a row-level security policy that cannot be evaluated names the relation, never a row.
_POLICY_HINTS = {
    "42P17": "A row-level security policy of this relation refers back to it; "
    "check its policies (pg_policies) for a query of the same table.",
    "54001": "A row-level security policy or a function it calls recurses too deeply; "
    "check the policies (pg_policies) of the tables involved.",
}
_PASS_MESSAGE_CLASSES = ("57", "53", "P0")


def _custom_status(sqlstate: str) -> int | None:
    """`RAISE … USING ERRCODE = 'PT402'`: the status is the three digits, as in PostgREST."""
    if not sqlstate.startswith("PT"):
        return None
    digits = sqlstate[2:]
    if digits.isdigit() and 100 <= int(digits) <= 599:
        return int(digits)
    return 500


def status_for(sqlstate: str, authenticated: bool, message: str = "") -> int:
    if sqlstate == "42501":
        return 403 if authenticated else 401
    custom = _custom_status(sqlstate)
    if custom is not None:
        return custom
    if sqlstate == "21000" and message.endswith("requires a WHERE clause"):
        return 400  # pg-safeupdate: a client error
    if sqlstate == "22023" and message.startswith("role") and message.endswith("does not exist"):
        return 401  # the JWT names a role the database lacks
    if sqlstate == "22023" and message.startswith('invalid value for parameter "role"'):
        return 401
    if sqlstate in _EXACT_STATUS:
        return _EXACT_STATUS[sqlstate]
    return _PREFIX_STATUS.get(sqlstate[:2], 400)


def from_database(exc: DatabaseError, authenticated: bool) -> ApiError:
    """PostgreSQL's error as the dialect's: its SQLSTATE, message, detail and hint."""
    if exc.sqlstate == "PGRST":
        return _raised_pgrst(exc)
    status = status_for(exc.sqlstate, authenticated, exc.message)
    # DETAIL passes as sent: PostgreSQL itself leaves a failing row out of it unless the caller
    # may read every column of it and the table has no row-level security.
    details = exc.detail
    hint = exc.hint or _POLICY_HINTS.get(exc.sqlstate)
    if exc.sqlstate == "42P17":
        hint = RECURSION_HINT
    custom = _custom_status(exc.sqlstate) is not None
    passes = custom or exc.sqlstate in _POLICY_HINTS
    passes = passes or exc.sqlstate.startswith(_PASS_MESSAGE_CLASSES)
    if status >= 500 and not passes:
        return ApiError(status, exc.sqlstate, "internal error", None, None)
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    known = KNOWN_CONSTRAINTS.get(getattr(exc, "constraint", None) or ("", "", ""))
    if known is not None:  # the human words; PostgreSQL's own message moves to details
        return ApiError(status, exc.sqlstate, known[0], exc.message, known[1], headers)
    error = ApiError(status, exc.sqlstate, exc.message, details, hint, headers)
    if custom and exc.message.isascii() and exc.message.isprintable():
        error.reason = exc.message  # PostgREST's status line carries the message
    return error


def _raised_pgrst(exc: DatabaseError) -> ApiError:
    """`RAISE SQLSTATE 'PGRST' USING MESSAGE = '{"code",…}', DETAIL = '{"status",…}'`: the
    function decides the whole error response, as in PostgREST."""
    try:
        body = orjson.loads(exc.message)
        if not isinstance(body, dict) or not {"code", "message"} <= set(body):
            raise ValueError
    except ValueError:
        return ApiError(
            500,
            "PGRST121",
            "Could not parse JSON in the \"RAISE SQLSTATE 'PGRST'\" error",
            f"Invalid JSON value for MESSAGE: '{exc.message}'",
            "MESSAGE must be a JSON object with obligatory keys: 'code', 'message' and "
            "optional keys: 'details', 'hint'.",
        )
    try:
        if exc.detail is None:
            raise KeyError
        spec = orjson.loads(exc.detail)
        status = int(spec["status"])
        headers = {str(k): str(v) for k, v in dict(spec["headers"]).items()}
        if not 100 <= status <= 599:
            raise ValueError
    except (ValueError, KeyError, TypeError):
        details = (
            "DETAIL is missing in the RAISE statement"
            if exc.detail is None
            else f"Invalid JSON value for DETAIL: '{exc.detail}'"
        )
        return ApiError(
            500,
            "PGRST121",
            "Could not parse JSON in the \"RAISE SQLSTATE 'PGRST'\" error",
            details,
            "DETAIL must be a JSON object with obligatory keys: 'status', 'headers' and "
            "optional key: 'status_text'.",
        )
    safe = {k: v for k, v in headers.items() if "\n" not in k + v and "\r" not in k + v}
    error = ApiError(
        status,
        str(body["code"]),
        str(body["message"]),
        _text_or_none(body.get("details")),
        _text_or_none(body.get("hint")),
        safe,
    )
    if isinstance(spec.get("status_text"), str):
        error.reason = spec["status_text"]
    return error


def _text_or_none(value: object) -> str | None:
    return None if value is None else str(value)
