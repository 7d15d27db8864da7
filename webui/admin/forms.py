"""Form widgets from column metadata, posted values back into typed JSON, and the database's
constraint errors mapped onto the field they belong to (by constraint name)."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from multidict import MultiDictProxy

from webui.admin.client import RestFailure
from webui.admin.registry import AdminResource
from webui.policies import model as m

_CONSTRAINT = re.compile(r'constraint "([a-z0-9_]+)"')
_COLUMN = re.compile(r'column "([a-z0-9_]+)"')


@dataclass
class Widget:
    field: m.Field
    kind: str  # text | number | checkbox | select | datetime | date | fk | textarea | readonly
    attrs: dict[str, Any]
    choices: list[tuple[str, str]]
    value: str
    checked: bool = False
    lookup: str = ""


def row_version(row: dict[str, Any]) -> str:
    """A row's version: SHA-256 of its canonical JSON (the fields the form knows)."""
    text = json.dumps(row, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _shown(f: m.Field, value: Any) -> str:
    if value is None:
        return ""
    if f.type == "timestamptz" and isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")
    if f.type == "jsonb":
        return json.dumps(value)
    return str(value)


def widget(
    r: AdminResource, f: m.Field, value: Any, fk_choices: dict[str, list[tuple[str, str]]]
) -> Widget:
    attrs: dict[str, Any] = {}
    if not f.nullable and f.type != "boolean" and f.default is None:
        attrs["required"] = True
    if f.max_length:
        attrs["maxlength"] = f.max_length
    if f.min_length:
        attrs["minlength"] = f.min_length
    if f.pattern:
        attrs["pattern"] = f.pattern
    if f.minimum is not None:
        attrs["min"] = f.minimum
    if f.maximum is not None:
        attrs["max"] = f.maximum
    shown = _shown(f, value)
    if not r.editable(f):
        return Widget(f, "readonly", {}, [], shown)
    if f.type == "boolean":
        return Widget(f, "checkbox", {}, [], "true", checked=value is True or value == "true")
    if f.choices:
        choices = [("", "—")] if f.nullable else []
        return Widget(
            f, "select", attrs, choices + [(c, c.replace("_", " ")) for c in f.choices], shown
        )
    if f.references:
        choices = fk_choices.get(f.name)
        if choices is not None:
            return Widget(f, "select", attrs, [("", "—"), *choices], shown)
        return Widget(f, "fk", {**attrs, "inputmode": "numeric"}, [], shown, lookup=f.references)
    if f.type in ("integer", "bigint", "numeric"):
        attrs["step"] = "any" if f.type == "numeric" else "1"
        return Widget(f, "number", attrs, [], shown)
    if f.type == "timestamptz":
        return Widget(f, "datetime", attrs, [], shown)
    if f.type == "date":
        return Widget(f, "date", attrs, [], shown)
    if f.type == "jsonb":
        return Widget(f, "textarea", {}, [], shown)
    return Widget(f, "text", attrs, [], shown)


def parse_form(
    r: AdminResource, form: MultiDictProxy[Any]
) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """(values for the REST body, field errors, the raw input to show again)."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    raw: dict[str, str] = {}
    for f in r.form_fields:
        if not r.editable(f):
            continue
        text = str(form.get(f.name, ""))[:100_000]
        raw[f.name] = text
        try:
            values[f.name] = _value(f, text, f.name in form)
        except ValueError as exc:
            errors[f.name] = str(exc)
    return values, errors, raw


def _value(f: m.Field, text: str, present: bool) -> Any:
    if f.type == "boolean":
        return present and text in ("true", "on", "1")
    if text == "":
        if f.nullable:
            return None
        if f.type == "text" and not f.choices:
            return ""
        raise ValueError("This field is required.")
    if f.type in ("integer", "bigint") or f.references:
        if not re.fullmatch(r"-?\d{1,18}", text):
            raise ValueError("Enter a whole number.")
        return int(text)
    if f.type == "numeric":
        try:
            return float(text)
        except ValueError:
            raise ValueError("Enter a number.") from None
    if f.type == "timestamptz":
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError("Enter a date and time (YYYY-MM-DD HH:MM).") from None
        return moment.isoformat() if moment.tzinfo else moment.isoformat() + "+00:00"
    if f.type == "jsonb":
        try:
            return json.loads(text)
        except ValueError:
            raise ValueError("Enter valid JSON.") from None
    if f.choices and text not in f.choices:
        raise ValueError("Select a valid choice.")
    return text


def constraint_error(
    r: AdminResource, exc: RestFailure, registry_label: str = ""
) -> tuple[str | None, str]:
    """(field or None, human message) for a database refusal of a write."""
    text = f"{exc.message} {exc.details or ''}"
    name_match = _CONSTRAINT.search(text)
    constraint = name_match.group(1) if name_match else ""
    field = _field_of(r, constraint) if constraint else None
    if exc.code == "23502":
        column = _COLUMN.search(text)
        return (column.group(1) if column else None), "This field is required."
    if field is None and exc.code in ("23505", "23503"):
        key = re.search(r"Key \(([a-z0-9_]+)", text)
        field = key.group(1) if key and r.field(key.group(1)) else None
    label = (field or "value").replace("_", " ")
    if exc.code == "23505":
        return field, f"Another {r.name.rstrip('s').replace('_', ' ')} already has this {label}."
    if exc.code == "23503":
        f = r.field(field) if field else None
        target = f.references if f and f.references else "row"
        return field, f"Choose an existing {target.rstrip('s').replace('_', ' ')}."
    if exc.code == "23514":
        return field, _check_message(r, field, constraint)
    return None, exc.message


def _field_of(r: AdminResource, constraint: str) -> str | None:
    rest = constraint.removeprefix(f"{r.resource.table}_")
    names = sorted((f.name for f in r.resource.fields), key=len, reverse=True)
    return next((n for n in names if rest == n or rest.startswith(n + "_")), None)


def _check_message(r: AdminResource, field: str | None, constraint: str) -> str:
    f = r.field(field) if field else None
    if f is None:
        return "The database rejected this value."
    if constraint.endswith("_pattern"):
        return "Enter a value in the expected format."
    if constraint.endswith("_length"):
        low, high = f.min_length, f.max_length
        if low and high:
            return f"Enter between {low} and {high} characters."
        return f"Enter at most {high} characters." if high else f"Enter at least {low} characters."
    if constraint.endswith("_choices"):
        return "Select a valid choice."
    return "The database rejected this value."


def changed_fields(
    r: AdminResource, before: dict[str, Any], now: dict[str, Any]
) -> list[tuple[str, Any, Any]]:
    return [
        (f.name, before.get(f.name), now.get(f.name))
        for f in r.form_fields
        if before.get(f.name) != now.get(f.name)
    ]
