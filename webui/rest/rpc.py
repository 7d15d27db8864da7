"""`/rpc/<function>`: GET (read-only transaction) with arguments in the query string, POST with a
JSON object of named arguments, HEAD with a count. Set-returning functions take filters, order,
limit and select like a table."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

import orjson
from aiohttp import web

from webui.rest import statements as st
from webui.rest.build import Frag, build_rows, cat
from webui.rest.errors import ApiError
from webui.rest.handlers import execute_read
from webui.rest.negotiate import profile
from webui.rest.params import read_spec
from webui.rest.parse import Call, check_aggregates, parse_headers, read_json, read_payload
from webui.rest.respond import dialect_response, sql_overrides
from webui.rest.runner import Outcome, run
from webui.rest.schema import Function, Table, quote
from webui.rest.state import REST, RestState
from webui.rest.writes import commits_blindly


async def handle_rpc(request: web.Request) -> web.StreamResponse:
    state = request.app[REST]

    async def answer() -> web.StreamResponse:
        if request.method == "OPTIONS":
            return _allow(request, state)
        try:
            return await _dispatch()
        except ApiError as error:
            if error.code == "25006":  # a write in GET's read-only transaction: POST only
                error.headers.setdefault("Allow", "OPTIONS,POST")
            raise

    async def _dispatch() -> web.StreamResponse:
        if request.method not in ("GET", "HEAD", "POST"):
            raise ApiError(
                405,
                "PGRST101",
                f"Cannot use the {request.method} method on RPC",
                headers={"Allow": "OPTIONS,GET,HEAD,POST"},
            )
        return await _rpc(request, state)

    return await dialect_response(request, state, answer)


def _allow(request: web.Request, state: RestState) -> web.Response:
    """OPTIONS on a function: a volatile one is POST only, as GET runs read-only."""
    schema_name, name = profile(request, state), request.match_info["name"]
    overloads = state.schema_cache().functions.get((schema_name, name), [])
    if not overloads:
        raise no_function(state, schema_name, name, [], overloads)
    volatile = all(f.volatility == "v" for f in overloads)
    return web.Response(
        status=200, headers={"Allow": "OPTIONS,POST" if volatile else "OPTIONS,GET,HEAD,POST"}
    )


async def _rpc(request: web.Request, state: RestState) -> web.StreamResponse:
    schema_name = profile(request, state)
    identity, accept, prefer = parse_headers(request, state)
    name = request.match_info["name"]
    raw = _raw_body_function(state, schema_name, name) if request.method == "POST" else None
    if raw is not None:
        return await _raw_call(request, state, raw, identity, accept, prefer)
    arguments = await _arguments(request)
    function = choose(state, schema_name, name, set(arguments), request.method == "POST")
    if request.method != "POST":  # the query string also holds filters, select, order…
        names = {a.name for a in function.arguments}
        arguments = {k: v for k, v in arguments.items() if k in names}
    table = function.result or Table(schema_name, name, "fn", None, {}, [])
    call = Call(request, state, table, identity, accept, prefer)
    source = call_source(function, arguments)
    if function.return_kind == "rows":
        return await _rows(call, function, source, arguments)
    return await _scalar(call, function, source)


def _raw_body_function(state: RestState, schema_name: str, name: str) -> Function | None:
    overloads = state.schema_cache().functions.get((schema_name, name), [])
    return next((f for f in overloads if f.raw_body), None)


async def _raw_call(
    request: web.Request,
    state: RestState,
    function: Function,
    identity: Any,
    accept: Any,
    prefer: Any,
) -> web.StreamResponse:
    """A function of one unnamed json/jsonb argument gets the whole POST body."""
    payload, raw = await read_payload(request, empty_ok=True)
    table = function.result or Table(function.schema, function.name, "fn", None, {}, [])
    call = Call(request, state, table, identity, accept, prefer)
    argument_type = function.arguments[0].type
    source = Frag(
        f"{function.qualified}(%s::{argument_type})", (raw if raw else orjson.dumps(payload),)
    )
    if function.return_kind == "rows":
        return await _rows(call, function, source, {})
    return await _scalar(call, function, source)


async def _arguments(request: web.Request) -> dict[str, Any]:
    if request.method == "POST":
        payload = await read_json(request, empty_ok=True)
        if payload is None:
            return {}
        if not isinstance(payload, dict):
            raise ApiError(
                400, "PGRST102", "Invalid body: expected a JSON object of named arguments"
            )
        return payload
    return {k: v for k, v in request.query.items()}


def choose(
    state: RestState, schema_name: str, name: str, given: set[str], strict: bool = False
) -> Function:
    """The overload the named arguments fit. A POST body names arguments only (`strict`); a
    query string also holds filters, so there the names a function lacks are set aside."""
    overloads = state.schema_cache().functions.get((schema_name, name), [])
    fitting = [f for f in overloads if _fits(f, given)]
    if not fitting and not strict:
        fitting = [f for f in overloads if _fits(f, given & {a.name for a in f.arguments})]
    if not fitting:
        raise no_function(state, schema_name, name, sorted(given), overloads)
    if len(fitting) > 1:
        raise ApiError(
            300,
            "PGRST203",
            "Could not choose the best candidate function between: "
            + ", ".join(
                f"{f.schema}.{f.name}({', '.join(a.name for a in f.arguments)})" for f in fitting
            ),
        )
    return fitting[0]


def no_function(
    state: RestState, schema_name: str, name: str, given: list[str], overloads: list[Function]
) -> ApiError:
    """404 `PGRST202` in PostgREST's v13 words, with a close name as the hint."""
    qualified = f"{schema_name}.{name}"
    listed = f"({', '.join(given)})" if given else " without parameters"
    searched = (
        f" with parameter{'s' if len(given) > 1 else ''} {', '.join(given)}"
        if given
        else " without parameters"
    )
    return ApiError(
        404,
        "PGRST202",
        f"Could not find the function {qualified}{listed} in the schema cache",
        f"Searched for the function {qualified}{searched} or with a single unnamed json/jsonb "
        "parameter, but no matches were found in the schema cache.",
        _function_hint(state, schema_name, name, given, overloads),
    )


def _function_hint(
    state: RestState, schema_name: str, name: str, given: list[str], overloads: list[Function]
) -> str | None:
    if overloads:
        shapes = ["(" + ", ".join(sorted(a.name for a in f.arguments)) + ")" for f in overloads]
        close = difflib.get_close_matches("(" + ", ".join(given) + ")", shapes, 1, 0.33)
        return (
            f"Perhaps you meant to call the function {schema_name}.{name}{close[0]}"
            if close
            else None
        )
    names = [n for (s, n) in state.schema_cache().functions if s == schema_name]
    close = difflib.get_close_matches(name, names, 1, 0.75)
    return f"Perhaps you meant to call the function {schema_name}.{close[0]}" if close else None


def _fits(function: Function, given: set[str]) -> bool:
    names = {a.name for a in function.arguments}
    required = {a.name for a in function.arguments if not a.has_default}
    return required <= given <= names


def call_source(function: Function, arguments: dict[str, Any]) -> Frag:
    """`json_to_record($1) as _a(arg type, …)` then the function called with named arguments."""
    used = [a for a in function.arguments if a.name in arguments]
    if not used:
        return Frag(f"{function.qualified}()")
    record = ", ".join(f"{quote(a.name)} {a.type}" for a in used)
    named = ", ".join(f"{quote(a.name)} := _a.{quote(a.name)}" for a in used)
    payload = orjson.dumps({a.name: arguments[a.name] for a in used})
    return Frag(
        f"json_to_record(%s::json) as _a({record}), lateral {function.qualified}({named})",
        (payload,),
    )


async def _rows(call: Call, function: Function, source: Frag, arguments: dict[str, Any]) -> Any:
    call.stable = function.volatility in ("i", "s")
    _check_max_affected(call, function)
    skip = set(arguments) if call.request.method != "POST" else set()
    spec = read_spec(call.request.query.items(), skip=skip)
    check_aggregates(call, spec)
    subquery = cat("(select _f.* from ", _aliased(source), ")")
    built = build_rows(
        call.table,
        spec,
        source=subquery,
        cap=call.state.config.db_max_rows,
        positional=call.accept.kind == "csv",
    )
    if not function.returns_set and call.accept.kind == "json":
        call.single_json = True
    read_only = call.request.method != "POST"
    decide = _decider(call, read_only, lambda o: o.result.page)
    return await execute_read(call, built, spec, read_only=read_only, decide=decide)


def _aliased(source: Frag) -> Frag:
    return cat(source, " _f")


async def _scalar(call: Call, function: Function, source: Frag) -> web.StreamResponse:
    call.stable = function.volatility in ("i", "s")
    _check_max_affected(call, function)
    kind = "void" if function.return_kind == "void" else "set" if function.returns_set else "one"
    statement = st.function_call(source, kind)
    read_only = call.request.method != "POST"
    outcome = await run(
        call.db,
        [statement],
        read_only=read_only,
        decide=_decider(call, read_only, lambda o: o.result.page),
    )
    result = outcome.result
    headers: dict[str, str] = {}
    if function.return_kind == "void":
        return web.Response(status=sql_overrides(result, 204, headers), headers=headers)
    status = sql_overrides(result, 200, headers)
    body = result.body or b"null"
    headers.setdefault("Content-Type", "application/json; charset=utf-8")
    return web.Response(
        status=status, body=None if call.request.method == "HEAD" else body, headers=headers
    )


def _max_affected(call: Call) -> int | None:
    prefer = call.prefer
    return prefer.max_affected if prefer.handling == "strict" else None


def _check_max_affected(call: Call, function: Function) -> None:
    if _max_affected(call) is not None and not function.returns_set:
        raise ApiError(
            400,
            "PGRST128",
            "Function must return SETOF or TABLE when max-affected preference is used with "
            "handling=strict",
        )


def _decider(
    call: Call, read_only: bool, affected: Callable[[Outcome], int]
) -> Callable[[Outcome], bool] | None:
    """Commit or roll back once the result is known: `max-affected` (with handling=strict)
    counts the rows the function returned, as PostgREST does (400 `PGRST124`, rolled back)."""
    limit = _max_affected(call)
    if limit is None and (read_only or commits_blindly(call)):
        return None

    def decide(outcome: Outcome) -> bool:
        if limit is not None and affected(outcome) > limit:
            raise ApiError(
                400,
                "PGRST124",
                "Query result exceeds max-affected preference constraint",
                details=f"The query affects {affected(outcome)} rows",
            )
        return _commit(call, outcome)

    return decide


def _commit(call: Call, outcome: Any) -> bool:
    commit = not call.state.config.tx_rollback_default
    if call.state.config.tx_override and call.prefer.tx:
        commit = call.prefer.tx == "commit"
    return commit
