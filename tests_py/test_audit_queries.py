"""Every query in docs/audit-queries.md runs, and returns rows, against a fresh database in which
bench/audit_demo.py played its back office: the DBA guide cannot drift from the schema."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest

from bench.audit_demo import QUERIES, play

DOC = Path(__file__).resolve().parent.parent / "docs" / "audit-queries.md"
SQL_BLOCK = re.compile(r"```sql\n(.*?)```", re.DOTALL)


def _statements() -> list[str]:
    found = []
    for block in SQL_BLOCK.findall(DOC.read_text()):
        found.extend(part.strip() for part in block.split(";") if part.strip())
    return found


def test_the_doc_shows_every_query_of_the_demo() -> None:
    blocks = SQL_BLOCK.findall(DOC.read_text())
    assert len(blocks) >= 10
    assert [block.strip() for block in blocks] == [sql.strip() for _, _, sql in QUERIES]


@pytest.mark.slow
def test_every_documented_query_runs_and_returns_rows(db: psycopg.Connection, db_url: str) -> None:
    play(db_url)
    db.autocommit = True
    for statement in _statements():
        rows = db.execute(statement).fetchall()
        assert rows, f"no rows from:\n{statement}"
