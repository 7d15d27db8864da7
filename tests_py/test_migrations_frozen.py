"""Released migrations never change (docs/migrations.md, "Releasing").

Every change up to the newest `@tag` in `migrations/sqitch.plan` is released. Its deploy script is
self-contained: each `sql/` file it once included stands between two `pgwarden bundle` markers. This
test fails when such a script no longer matches what the tag's own `sql/` files bundle to, or
when a released script still includes an editable file."""

from __future__ import annotations

import posixpath
import re
import subprocess
from pathlib import Path

import pytest

from webui.ops.migrations import BUNDLE_BEGIN, BUNDLE_END

TOP = Path(__file__).resolve().parents[1]
MIGRATIONS = TOP / "migrations"


def _released() -> tuple[str, list[str]]:
    lines = (MIGRATIONS / "sqitch.plan").read_text().splitlines()
    tags = [i for i, ln in enumerate(lines) if ln.startswith("@")]
    assert tags, "sqitch.plan has no release tag"
    last = tags[-1]
    names = [ln.split()[0] for ln in lines[:last] if ln and ln[0] not in "%#@"]
    return lines[last].split()[0], names


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=TOP, capture_output=True, text=True, check=True
    ).stdout


def _tag_commit(tag: str) -> str:
    commits = _git("log", "--format=%H", f"-S{tag} ", "--", "migrations/sqitch.plan").split()
    if not commits:
        pytest.skip("no git history here (an sdist or a shallow copy): nothing to compare with")
    return commits[-1]


def _bundled_parts(script: str) -> list[tuple[str, str]]:
    pattern = re.compile(
        "^" + re.escape(BUNDLE_BEGIN) + r"(\S+)\n(.*?)\n" + re.escape(BUNDLE_END) + r"\1$",
        re.MULTILINE | re.DOTALL,
    )
    return [(m[1], m[2]) for m in pattern.finditer(script)]


def test_released_scripts_include_no_editable_file() -> None:
    _tag, names = _released()
    for name in names:
        for kind in ("deploy", "revert", "verify"):
            text = (MIGRATIONS / kind / f"{name}.sql").read_text()
            assert "\\ir" not in text, f"released {kind}/{name}.sql still includes a file"


def test_released_scripts_equal_their_tags_bundle() -> None:
    tag, names = _released()
    commit = _tag_commit(tag)
    for name in names:
        script = (MIGRATIONS / "deploy" / f"{name}.sql").read_text()
        parts = _bundled_parts(script)
        for include, text in parts:
            source = posixpath.normpath(posixpath.join("migrations/deploy", include))
            at_tag = _git("show", f"{commit}:{source}")
            assert text == at_tag.rstrip("\n"), (
                f"{name}: the part bundled from {source} differs from {source} at {tag}"
            )


def test_released_scripts_are_unchanged_since_their_tag() -> None:
    tag, names = _released()
    commit = _tag_commit(tag)
    for name in names:
        for kind in ("deploy", "revert", "verify"):
            path = f"migrations/{kind}/{name}.sql"
            if (MIGRATIONS / kind / f"{name}@{tag}.sql").exists():
                continue  # reworked the sqitch way: the released script lives on as name@tag
            assert _git("show", f"{commit}:{path}") == (TOP / path).read_text(), (
                f"released {path} changed since {tag}: ship a new change (or a rework) instead"
            )
