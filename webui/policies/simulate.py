"""`pgwarden authz simulate`: run the real statement as a user (the role and the claims a pgwarden
session carries, set by `pgwarden.begin_request()` as for any request) in a transaction that is
always rolled back, and report what the database decided. Identifiers come from the
declarations and are quoted; values are bound."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from webui.core.db import RequestContext
from webui.core.roles import tier_role
from webui.policies import model as m


class SimulationError(ValueError):
    """The request cannot be simulated (unknown user, column, bad --row); nothing ran."""


@dataclass
class Outcome:
    allowed: bool
    rows: list[dict[str, Any]] = field(default_factory=list)
    count: int = 0
    error: str = ""
    sqlstate: str = ""
    statement: str = ""
    claims: dict[str, str] = field(default_factory=dict)


def user_claims(conn: psycopg.Connection, email: str, extra: dict[str, str]) -> dict[str, str]:
    row = conn.execute(
        "select id, role, is_active from auth.users where id = auth.user_id_by_email(%s)", (email,)
    ).fetchone()
    if row is None:
        raise SimulationError(f"no user with email {email!r}")
    if not row[2]:
        raise SimulationError(f"{email} is inactive: every request of theirs is refused")
    return {"sub": str(row[0]), "role": tier_role(row[1]), "tier": row[1], **extra}


def _context(claims: dict[str, str], method: str) -> RequestContext:
    """The simulated request's context, set as every request's is (`pgwarden.begin_request()`),
    with the HTTP method the action would use (write policies depend on it) and a correlation
    id of its own, so that the audit trail can tell a simulation apart."""
    return RequestContext(
        role=claims["role"],
        claims_json=json.dumps(claims),
        method=method,
        correlation_id="simulate-" + secrets.token_hex(8),
    )


def _columns(r: m.Resource, values: dict[str, Any]) -> list[m.Field]:
    found = []
    for name in values:
        f = r.field(name)
        if f is None:
            known = ", ".join(x.name for x in r.fields)
            raise SimulationError(f"{r.name} has no column {name!r} (columns: {known})")
        found.append(f)
    return found


def _value(f: m.Field, value: Any) -> sql.Composable:
    text = json.dumps(value) if f.type == "jsonb" else (None if value is None else str(value))
    return sql.SQL("{}::{}").format(sql.Literal(text), sql.SQL(f.type))


def _where(r: m.Resource, values: dict[str, Any]) -> sql.Composable:
    if not values:
        return sql.SQL("true")
    return sql.SQL(" and ").join(
        sql.SQL("{} = {}").format(sql.Identifier(f.name), _value(f, values[f.name]))
        for f in _columns(r, values)
    )


def statement(r: m.Resource, action: str, row: dict[str, Any]) -> sql.Composable:
    table = sql.Identifier(r.schema, r.table)
    returning = sql.SQL("returning row_to_json({}.*)").format(sql.Identifier(r.table))
    if action == "read":
        order = sql.Identifier(r.key_field.name) if r.key_field else sql.SQL("1")
        return sql.SQL("select row_to_json(t.*) from {} t where {} order by t.{}").format(
            table, _alias_where(r, row), order
        )
    if action == "create":
        fields = _columns(r, row)
        return sql.SQL("insert into {} ({}) values ({}) {}").format(
            table,
            sql.SQL(", ").join(sql.Identifier(f.name) for f in fields),
            sql.SQL(", ").join(_value(f, row[f.name]) for f in fields),
            returning,
        )
    key = r.key_field
    if key is None or key.name not in row:
        name = key.name if key else "id"
        raise SimulationError(f'--row must name the row by its key, e.g. {{"{name}": 1}}')
    target = {key.name: row[key.name]}
    if action == "delete":
        return sql.SQL("delete from {} where {} {}").format(table, _where(r, target), returning)
    changes = {k: v for k, v in row.items() if k != key.name}
    settable = _columns(r, changes) or [next(f for f in r.fields if f.writable)]
    assignments = sql.SQL(", ").join(
        sql.SQL("{} = {}").format(
            sql.Identifier(f.name),
            _value(f, changes[f.name]) if f.name in changes else sql.Identifier(f.name),
        )
        for f in settable
    )
    return sql.SQL("update {} set {} where {} {}").format(
        table, assignments, _where(r, target), returning
    )


def _alias_where(r: m.Resource, row: dict[str, Any]) -> sql.Composable:
    if not row:
        return sql.SQL("true")
    return sql.SQL(" and ").join(
        sql.SQL("t.{} = {}").format(sql.Identifier(f.name), _value(f, row[f.name]))
        for f in _columns(r, row)
    )


METHODS = {"read": "GET", "create": "POST", "update": "PATCH", "delete": "DELETE"}


def simulate(
    url: str,
    email: str,
    r: m.Resource,
    action: str,
    row: dict[str, Any],
    extra_claims: dict[str, str],
    limit: int = 20,
) -> Outcome:
    with psycopg.connect(url) as conn:
        claims = user_claims(conn, email, extra_claims)
        query = statement(r, action, row)
        text = query.as_string(conn)
        outcome = Outcome(allowed=False, statement=text, claims=claims)
        with conn.transaction(force_rollback=True):
            # as the REST dialect would: the method decides read_to_update / read_to_delete
            conn.execute(*_context(claims, METHODS[action]).begin())
            try:
                with conn.transaction():
                    rows = [r[0] for r in conn.execute(query).fetchall()]
            except psycopg.Error as exc:
                outcome.error = exc.diag.message_primary or str(exc)
                outcome.sqlstate = exc.sqlstate or ""
                return outcome
        outcome.allowed = True
        outcome.count = len(rows)
        outcome.rows = rows[:limit]
        return outcome
