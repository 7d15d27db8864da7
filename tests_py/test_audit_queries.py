"""Every query in docs/audit-queries.md answers on events made through the shipped paths
(bench/audit_demo.py play(): the example loaded by the CLI, logins over HTTP, REST writes, CLI
administration, psql), and the doc's sample output is this test's output: the same columns and
the same number of rows (`PGWARDEN_WRITE_AUDIT_DOC=1` rewrites the doc from it)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from bench.audit_demo import QUERIES, play, psql, render

DOC = Path(__file__).resolve().parent.parent / "docs" / "audit-queries.md"
SQL_BLOCK = re.compile(r"```sql\n(.*?)```", re.DOTALL)
TEXT_BLOCK = re.compile(r"```text\n(.*?)```", re.DOTALL)


def test_the_doc_shows_every_query_of_the_demo() -> None:
    blocks = SQL_BLOCK.findall(DOC.read_text())
    assert len(blocks) >= 10
    assert [block.strip() for block in blocks] == [sql.strip() for _, _, sql in QUERIES]


def _shape(output: str) -> list[tuple[str, str]]:
    """(column header, row count) of each result in psql's output."""
    lines = output.strip().splitlines()
    heads = [lines[i - 1].split() for i, line in enumerate(lines) if line.startswith("---")]
    counts = [line for line in lines if re.fullmatch(r"\(\d+ rows?\)", line)]
    return list(zip([" ".join(h) for h in heads], counts, strict=True))


@pytest.fixture
def played(db_url: str) -> dict[str, str]:
    """Each documented query's psql output, after the back office was played."""
    play(db_url)
    if os.environ.get("PGWARDEN_WRITE_AUDIT_DOC"):
        DOC.write_text(render(db_url))
    return {title: psql(db_url, sql) for title, _, sql in QUERIES}


@pytest.mark.slow
def test_every_documented_query_answers_and_shows_its_real_output(played: dict[str, str]) -> None:
    documented = TEXT_BLOCK.findall(DOC.read_text())
    assert len(documented) == len(QUERIES)
    for (title, _, _), shown in zip(QUERIES, documented, strict=True):
        real = played[title]
        assert "(0 rows)" not in real, f"no rows from {title!r}:\n{real}"
        assert _shape(real) == _shape(shown), f"{title!r}: the doc shows\n{shown}\nbut got\n{real}"
    _the_fixed_queries_find_what_the_real_paths_wrote(played)


def _the_fixed_queries_find_what_the_real_paths_wrote(played: dict[str, str]) -> None:
    failures = played["Failed logins per IP in the last hour"]
    # 6 wrong or locked attempts on user@, and two unknown emails, all from the test client
    assert re.search(r"127\.0\.0\.1\s+\|\s+8 \|\s+2 \|\s+3 \|", failures), failures
    revoked = played["All sessions revoked for a user, and why"]
    assert "sessions_revoked_by_other" in revoked and "administrative_revoke" in revoked, revoked
    assert "cli " in revoked, revoked
    authority = played["Authority changes last week, and who made them"]
    for event, command in [
        ("role_changed", "user set-role"),
        ("permission_granted", "perm grant"),
        ("group_membership_changed", "group add-user"),
    ]:
        assert re.search(rf"{event} .*cli .*{command}", authority), authority
    outside = played["Edits made outside the app"]
    assert "postgres" in outside and "(2 rows)" in outside, outside  # the two psql edits
