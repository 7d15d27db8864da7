"""`pgwarden migrate bundle` (docs/migrations.md, "Releasing"): after `sqitch tag`, each script of a
released change becomes self-contained, in place; scripts bundled at an earlier release are left
byte for byte as released, and a released script that still includes a file next to its markers
is refused."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from webui.core.paths import migrations_dir, sql_dir
from webui.ops.migrations import BUNDLE_BEGIN, bundle, load_plan
from webui.testing import run_cli

ENV = {"SQITCH_FULLNAME": "Test", "SQITCH_EMAIL": "test@example.invalid"}


def _project(tmp_path: Path) -> Path:
    """A copy of the project with one new change that includes a `sql/` file, then tagged."""
    top = tmp_path / "migrations"
    shutil.copytree(migrations_dir(), top)
    shutil.copytree(sql_dir(), tmp_path / "sql")
    (tmp_path / "sql" / "probe").mkdir()
    (tmp_path / "sql" / "probe" / "10_probe.sql").write_text(
        "create or replace function public.probe() returns int language sql as 'select 1';\n"
    )
    env = {**os.environ, **ENV}
    run = {"cwd": top, "env": env, "check": True, "capture_output": True}
    subprocess.run(["sqitch", "add", "probe", "-n", "a probe", "--requires", "roles"], **run)  # type: ignore[call-overload]
    (top / "deploy" / "probe.sql").write_text(
        "BEGIN;\n\\ir ../../sql/probe/10_probe.sql\nCOMMIT;\n"
    )
    subprocess.run(["sqitch", "tag", "v9.9.9", "-n", "a release"], **run)  # type: ignore[call-overload]
    return top


def _released_scripts(top: Path) -> dict[Path, bytes]:
    return {
        p: p.read_bytes()
        for kind in ("deploy", "revert", "verify")
        for p in (top / kind).glob("*.sql")
    }


def test_bundle_makes_the_new_release_self_contained_and_keeps_the_old(tmp_path: Path) -> None:
    top = _project(tmp_path)
    expected = bundle(top / "deploy" / "probe.sql")
    before = _released_scripts(top)
    including = sorted(p.name for p, text in before.items() if b"\\ir " in text)
    assert "probe.sql" in including  # and any change planned after the last release
    result = run_cli("migrate", "bundle", "--dir", str(top))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(including)} script(s) bundled" in result.stdout
    text = (top / "deploy" / "probe.sql").read_text()
    assert text == expected
    assert "\\ir" not in text and f"{BUNDLE_BEGIN}../../sql/probe/10_probe.sql" in text
    after = _released_scripts(top)
    changed = sorted(p.name for p in before if before[p] != after[p])
    assert changed == including  # every script bundled at the earlier release is untouched
    assert not any(b"\\ir " in text for text in after.values())

    again = run_cli("migrate", "bundle", "--dir", str(top))
    assert "Nothing to bundle" in again.stdout
    assert _released_scripts(top) == after


def test_bundle_refuses_a_bundled_script_that_includes_a_file(tmp_path: Path) -> None:
    top = _project(tmp_path)
    first = load_plan(top).changes[1]
    script = first.script("deploy")
    script.write_text(
        script.read_text().replace("COMMIT;", "\\ir ../../sql/probe/10_probe.sql\nCOMMIT;")
    )
    before = script.read_text()
    result = run_cli("migrate", "bundle", "--dir", str(top))
    assert result.returncode == 1
    assert "released and bundled, yet it includes a file" in result.stderr
    assert result.stderr.count("\n") == 1
    assert script.read_text() == before


def test_bundle_needs_a_tag(tmp_path: Path) -> None:
    top = tmp_path / "p"
    top.mkdir()
    (top / "sqitch.plan").write_text("%syntax-version=1.0.0\n%project=p\n\n")
    result = run_cli("migrate", "bundle", "--dir", str(top))
    assert result.returncode == 1
    assert "has no tag" in result.stderr


def test_the_bundled_release_still_deploys(tmp_path: Path, empty_db_url: str) -> None:
    top = _project(tmp_path)
    assert run_cli("migrate", "bundle", "--dir", str(top)).returncode == 0
    shutil.rmtree(tmp_path / "sql" / "probe")  # self-contained: the included file is not needed
    result = run_cli("migrate", "deploy", "--dir", str(top), database_url=empty_db_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "+ probe @v9.9.9 .. ok" in result.stdout
