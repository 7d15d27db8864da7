"""Request parts other than the path: query parameters into a ReadSpec, Prefer, Range."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from webui.rest.build import ReadSpec
from webui.rest.errors import ApiError
from webui.rest.grammar import (
    Filter,
    Logic,
    parse_field,
    parse_int,
    parse_logic,
    parse_operation,
    parse_order,
    parse_select,
    split_top,
)

WRITE_PARAMETERS = {"columns", "on_conflict"}
_RANGE = re.compile(r"^\s*(?:items\s*=\s*)?(\d{1,12})-(\d{0,12})\s*$")


def _path_and_name(key: str) -> tuple[tuple[str, ...], str]:
    parts = split_top(key, ".")
    if len(parts) >= 2 and parts[-2] == "not" and parts[-1] in ("or", "and"):
        return tuple(parts[:-2]), "not." + parts[-1]
    return tuple(parts[:-1]), parts[-1]


def read_spec(pairs: Iterable[tuple[str, str]], skip: set[str] | None = None) -> ReadSpec:
    spec = ReadSpec()
    for key, value in pairs:
        if key in WRITE_PARAMETERS or (skip and key in skip):
            continue
        if key == "select":
            spec.items = parse_select(value)
            continue
        path, name = _path_and_name(key)
        _apply(spec, path, name, value)
    return spec


def _apply(spec: ReadSpec, path: tuple[str, ...], name: str, value: str) -> None:
    if name == "order":
        spec.order[path] = parse_order(value)
    elif name == "limit":
        if re.fullmatch(r"\s*-\d{1,12}\s*", value):
            raise ApiError(
                416,
                "PGRST103",
                "Requested range not satisfiable",
                details="Limit should be greater than or equal to zero.",
            )
        spec.limit[path] = parse_int("limit", value)
    elif name == "offset":
        spec.offset[path] = parse_int("offset", value)
    elif name in ("or", "and", "not.or", "not.and"):
        node: Filter | Logic = parse_logic(
            name.removeprefix("not."), value, name.startswith("not.")
        )
        spec.filters.setdefault(path, []).append(node)
    else:
        node = parse_operation(parse_field(name), value)
        spec.filters.setdefault(path, []).append(node)


@dataclass
class Prefer:
    return_: str | None = None
    count: str | None = None
    resolution: str | None = None
    missing: str | None = None
    handling: str = "lenient"
    max_affected: int | None = None
    tx: str | None = None
    timezone: str | None = None
    applied: list[str] = field(default_factory=list)


_PREFER_VALUES = {
    "return": {"minimal", "headers-only", "representation"},
    "count": {"exact", "planned", "estimated"},
    "resolution": {"merge-duplicates", "ignore-duplicates"},
    "missing": {"default", "null"},
    "handling": {"strict", "lenient"},
    "tx": {"commit", "rollback"},
}


def parse_prefer(headers: list[str]) -> Prefer:
    prefer = Prefer()
    invalid: list[str] = []
    for header in headers:
        for token in (t.strip() for t in header.split(",")):
            if token:
                _prefer_token(prefer, token, invalid)
    if invalid and prefer.handling == "strict":
        raise ApiError(
            400,
            "PGRST122",
            "Invalid preferences given with handling=strict",
            details="Invalid preferences: " + ", ".join(invalid),
        )
    return prefer


def _prefer_token(prefer: Prefer, token: str, invalid: list[str]) -> None:
    name, _, value = token.partition("=")
    name, value = name.strip(), value.strip()
    if name == "max-affected" and value.isdigit():
        prefer.max_affected = int(value)
    elif name == "timezone" and value:
        prefer.timezone = value  # PostgreSQL checks it (an unknown zone is 400 22023)
    elif value in _PREFER_VALUES.get(name, ()):
        setattr(prefer, "return_" if name == "return" else name, value)
    else:
        invalid.append(token)


def parse_range(header: str | None) -> tuple[int, int | None] | None:
    """`Range: 0-24` → (offset 0, limit 25); `10-` → (10, None). Invalid → 416."""
    if not header:
        return None
    match = _RANGE.match(header)
    if not match:
        raise ApiError(
            416,
            "PGRST103",
            "Requested range not satisfiable",
            details=f"Could not parse the Range header: {header}",
        )
    start = int(match.group(1))
    if not match.group(2):
        return start, None
    end = int(match.group(2))
    if end < start:
        raise ApiError(
            416,
            "PGRST103",
            "Requested range not satisfiable",
            details="The lower boundary must be lower than or equal to the upper boundary in "
            "the Range header.",
        )
    return start, end - start + 1
