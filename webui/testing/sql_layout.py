"""What kind of file a `sql/` file is: state (tables, indexes, RLS, grants on tables, data) or code
(functions, procedures, views, triggers; `create or replace`, re-runnable). Read from the text,
outside dollar-quoted bodies, comments and string literals, so that a function's body
(`insert into …` inside `$$ … $$`) does not make its file state. docs/development.md, "SQL and
migrations", states the rule; tests_py/test_sql_layout.py enforces it."""

from __future__ import annotations

import re
from pathlib import Path

_DOLLAR = re.compile(r"(\$[A-Za-z_]*\$).*?\1", re.DOTALL)
_COMMENT = re.compile(r"--[^\n]*")
_STRING = re.compile(r"'(?:[^']|'')*'")
# `alter table … enable always trigger x` belongs with the trigger it arms: not state.
STATE = re.compile(
    r"\b(create\s+(?:unlogged\s+)?table|alter\s+table(?!\s+\S+\s+(?:enable|disable)\s+"
    r"(?:always\s+|replica\s+)?trigger)|create\s+(?:unique\s+)?index|create\s+policy|"
    r"create\s+type|create\s+domain|create\s+sequence|alter\s+sequence|create\s+schema|"
    r"insert\s+into|update\s+[\w.\"]+\s+set|delete\s+from|create\s+extension)\b",
    re.IGNORECASE,
)
CODE = re.compile(
    r"\b(create\s+(?:or\s+replace\s+)?(?:function|procedure|view|trigger|constraint\s+trigger|"
    r"aggregate|event\s+trigger))\b",
    re.IGNORECASE,
)


def statements_text(text: str) -> str:
    """The SQL outside dollar-quoted bodies, comments and string literals."""
    return _STRING.sub("''", _COMMENT.sub(" ", _DOLLAR.sub(" ", text)))


def state_statements(text: str) -> list[str]:
    return [" ".join(m[0].lower().split()) for m in STATE.finditer(statements_text(text))]


def code_statements(text: str) -> list[str]:
    return [" ".join(m[0].lower().split()) for m in CODE.finditer(statements_text(text))]


def kind(path: Path) -> str:
    """`state`, `code` or `mixed`. A file with neither (roles, grants) re-runs, so it is code."""
    text = path.read_text()
    state, code = state_statements(text), code_statements(text)
    if state and code:
        return "mixed"
    return "state" if state else "code"
