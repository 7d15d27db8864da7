"""Small helpers that write SQL text a DBA can read: identifiers quoted only when they must be,
literals escaped as PostgreSQL's quote_literal does (standard_conforming_strings is on)."""

from __future__ import annotations

import re

_PLAIN = re.compile(r"^[a-z_][a-z0-9_$]*$")
# pg_get_keywords() where catcode in ('R', 'T'): words that must be quoted as identifiers.
RESERVED = frozenset(
    """all analyse analyze and any array as asc asymmetric authorization binary both case cast
    check collate collation column concurrently constraint create cross current_catalog
    current_date current_role current_schema current_time current_timestamp current_user default
    deferrable desc distinct do else end except false fetch for foreign freeze from full grant group
    having ilike in initially inner intersect into is isnull join lateral leading left like limit
    localtime localtimestamp natural not notnull null offset on only or order outer overlaps
    placing primary references returning right select session_user similar some symmetric table
    tablesample then to trailing true union unique user using variadic verbose when where window
    with""".split()  # noqa: SIM905 - the keyword list reads best as pg prints it
)


def ident(name: str) -> str:
    """An identifier, double-quoted only when PostgreSQL requires it."""
    if _PLAIN.match(name) and name not in RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'


def qualified(schema: str, name: str) -> str:
    return f"{ident(schema)}.{ident(name)}"


def text_literal(value: str) -> str:
    if "\\" in value:
        return "E'" + value.replace("\\", "\\\\").replace("'", "''") + "'"
    return "'" + value.replace("'", "''") + "'"


def literal(value: object, sql_type: str) -> str:
    """A TOML scalar as a SQL literal of `sql_type` (validated by the checker beforehand)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and sql_type in ("integer", "bigint", "numeric"):
        return str(value)
    if isinstance(value, float) and sql_type == "numeric":
        return repr(value)
    text = text_literal(str(value))
    return text if sql_type == "text" else f"{text}::{sql_type}"
