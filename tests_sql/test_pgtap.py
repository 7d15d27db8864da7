"""Collect every `tests_sql/test_*.sql` pgTAP file as one pytest item, run in a fresh database
cloned from the migrated template; TAP failures are shown in the assertion message."""

from __future__ import annotations

from pathlib import Path

import pytest

from webui.testing.tap import run_file

SQL_TESTS = sorted(Path(__file__).parent.glob("test_*.sql"))


@pytest.mark.parametrize("path", SQL_TESTS, ids=[p.name for p in SQL_TESTS])
def test_pgtap(path: Path, db_url: str) -> None:
    result = run_file(path, db_url)
    problems = result.problems()
    assert not problems, f"{path.name}:\n" + "\n".join(problems) + "\n\n" + result.output[-4000:]
