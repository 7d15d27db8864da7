"""State and code live in separate `sql/` files (docs/development.md, "SQL and migrations").

A state file holds tables, indexes, row-level security, grants on tables and data; it is applied
once, by the change that creates that state. A code file holds functions, procedures, views and
triggers, written `create or replace` / `drop … if exists`, so a later change may apply it again
(tests_py/test_migrations.py::test_code_files_can_be_applied_twice). These tests fail when a file
mixes the two, or when a change applies a file a previous change applied and that file is state."""

from __future__ import annotations

import posixpath
import re

from webui.core.paths import migrations_dir, sql_dir
from webui.ops.migrations import BUNDLE_BEGIN, read_plan
from webui.testing.sql_layout import code_statements, kind, state_statements

INCLUDE = re.compile(r"^\\ir\s+(\S+)\s*$", re.MULTILINE)
BUNDLED = re.compile("^" + re.escape(BUNDLE_BEGIN) + r"(\S+)$", re.MULTILINE)
SQL_FILES = sorted(sql_dir().rglob("*.sql"))


def test_no_sql_file_mixes_state_and_code() -> None:
    mixed = {
        str(path.relative_to(sql_dir())): (state_statements(text), code_statements(text))
        for path in SQL_FILES
        if kind(path) == "mixed"
        for text in [path.read_text()]
    }
    assert not mixed, f"split state (tables, RLS, table grants) from code (functions): {mixed}"


def test_code_files_create_no_table_and_state_files_no_function() -> None:
    for path in SQL_FILES:
        text = path.read_text()
        if kind(path) == "code":
            assert not state_statements(text), f"{path}: a code file holds no table DDL or data"
        else:
            assert not code_statements(text), f"{path}: a state file holds no function or view"


def test_the_classifier_reads_statements_not_bodies() -> None:
    body = "create function f() returns void language sql as $$ insert into t values (1) $$;"
    assert state_statements(body) == [] and code_statements(body) == ["create function"]
    armed = "alter table auth.sessions enable always trigger sessions_guard;"
    assert state_statements(armed) == []
    assert state_statements("alter table auth.sessions force row level security;") == [
        "alter table"
    ]


def applied_files(script: str) -> list[str]:
    """The `sql/` files a deploy script applies: its includes, or (bundled) its marked parts."""
    found = INCLUDE.findall(script) + BUNDLED.findall(script)
    return [posixpath.normpath(posixpath.join("migrations/deploy", f)) for f in found]


def test_a_file_applied_again_by_a_later_change_is_code() -> None:
    top = migrations_dir().parent
    seen: dict[str, str] = {}
    for change in read_plan():
        for source in applied_files(change.script("deploy").read_text()):
            if source in seen and (top / source).exists():
                assert kind(top / source) == "code", (
                    f"{change.name} applies {source} again ({seen[source]} applied it): "
                    "only code files may be re-applied; state changes once, in its own change"
                )
            seen.setdefault(source, change.name)
