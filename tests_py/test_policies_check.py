"""`pgwarden policies check`: every finding names the file, the resource and the key; errors
fail the command, warnings only under --strict; --live finds what only the database shows."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from webui.cli import main
from webui.ops.migrations import Migrator

BASE = """
[settings]
schema = "shop"

[resources.customers]
roles = { read = "user", create = "staff", update = "staff", delete = "administrator" }
[resources.customers.fields]
id = { type = "bigint", primary_key = true, generated = "identity" }
owner_id = { type = "bigint" }
name = { type = "text" }

[resources.orders]
roles = { read = "user", create = "user", update = "user", delete = "user" }
[resources.orders.fields]
id = { type = "bigint", primary_key = true, generated = "identity" }
customer_id = { type = "bigint", references = "customers", on_delete = "cascade" }
owner_id = { type = "bigint" }
total = { type = "numeric", minimum = 0 }
[resources.orders.policies]
read = "owner_id = user.id"
"""


def run_check(
    tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, str]:
    folder = tmp_path / "policies"
    folder.mkdir(exist_ok=True)
    (folder / "shop.toml").write_text(text)
    code = main(["policies", "check", "--dir", str(folder), *extra])
    return code, capsys.readouterr().out


def test_valid_declarations_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_check(tmp_path, BASE, capsys)
    assert code == 0, out
    assert "1 file(s), 2 resource(s): 0 error(s), 0 warning(s)" in out


@pytest.mark.parametrize(
    ("old", "new", "resource", "key", "code"),
    [
        (
            'read = "owner_id = user.id"',
            'read = "owner = user.id"',
            "orders",
            "resources.orders.policies.read",
            "unknown-column",
        ),
        (
            'read = "owner_id = user.id"',
            'read = "name = user.id"',
            "orders",
            "resources.orders.policies.read",
            "unknown-column",
        ),
        (
            'read = "owner_id = user.id"',
            'read = { field = "total", equals = "lots" }',
            "orders",
            "resources.orders.policies.read",
            "type-mismatch",
        ),
        (
            'owner_id = { type = "bigint" }\ntotal',
            'owner_id = { type = "text" }\ntotal',
            "orders",
            "resources.orders.policies.read",
            "type-mismatch",
        ),
        (
            'references = "customers"',
            'references = "clients"',
            "orders",
            "resources.orders.fields.customer_id.references",
            "unknown-resource",
        ),
        (
            'on_delete = "cascade"',
            'on_delete = "set_null"',
            "orders",
            "resources.orders.fields.customer_id.on_delete",
            "set-null-not-null",
        ),
        (
            'read = "owner_id = user.id"',
            'read = { exists = { resource = "invoices", where = ["id = row.customer_id"] } }',
            "orders",
            "resources.orders.policies.read.exists.resource",
            "unknown-resource",
        ),
        (
            'read = "owner_id = user.id"',
            'read = "owner_id = claim.tenant"\n[settings2]',
            "",
            "settings2",
            "unknown-key",
        ),
        (
            'total = { type = "numeric", minimum = 0 }',
            'total = { type = "money" }',
            "orders",
            "resources.orders.fields.total.type",
            "unknown-type",
        ),
        (
            'delete = "administrator"',
            'delete = "admin"',
            "customers",
            "resources.customers.roles.delete",
            "unknown-tier",
        ),
        (
            'read = "owner_id = user.id"',
            'read = { exists = { resource = "customers", where = ["id = row.customer_id"] } }\n'
            '[resources.customers.policies]\nread = "owner_id = user.id"',
            "orders",
            "resources.orders.policies.read",
            "ok-placeholder",
        ),
    ],
)
def test_errors_name_file_resource_key(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    old: str,
    new: str,
    resource: str,
    key: str,
    code: str,
) -> None:
    assert old in BASE
    status, out = run_check(tmp_path, BASE.replace(old, new, 1), capsys)
    if code == "ok-placeholder":  # exists into a readable resource is fine
        assert status == 0, out
        return
    assert status == 1, out
    line = next((x for x in out.splitlines() if f"[{code}]" in x), None)
    assert line, out
    assert line.startswith("error: ") and "shop.toml" in line
    assert f"key {key}" in line
    if resource:
        assert f"resource {resource!r}" in line


def test_exists_into_unreadable_resource(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = BASE.replace('read = "user", create = "staff"', 'read = "staff", create = "staff"')
    text = text.replace(
        'read = "owner_id = user.id"',
        'read = { exists = { resource = "customers", '
        'where = ["id = row.customer_id", "owner_id = user.id"] } }',
    )
    status, out = run_check(tmp_path, text, capsys)
    assert status == 1 and "[exists-not-readable]" in out


def test_definer_view_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = BASE + (
        '\n[views.big_orders]\nover = ["orders"]\nsecurity_invoker = false\n'
        'query = "select id from shop.orders where total > 100"\n'
    )
    status, out = run_check(tmp_path, text, capsys)
    assert status == 1
    assert "key views.big_orders.security_invoker" in out
    assert "[view-without-security-invoker]" in out


def test_warnings_fail_only_under_strict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = BASE.replace('name = { type = "text" }\n', 'name = { type = "text" }\n', 1)
    text = text.replace(
        'total = { type = "numeric", minimum = 0 }',
        'total = { type = "numeric", minimum = 0 }\ncode = { type = "text", unique = true }',
    )
    status, out = run_check(tmp_path, text, capsys)
    assert status == 0 and "[unique-reveals-hidden-rows]" in out and out.count("warning:") == 1
    status, out = run_check(tmp_path, text, capsys, "--strict")
    assert status == 1


def test_syntax_error_is_reported_not_raised(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = run_check(tmp_path, BASE + "\n[broken\n", capsys)
    assert status == 1 and "shop.toml" in out and "[syntax]" in out
    assert "Traceback" not in out


def test_live_finds_tables_without_rls_and_definer_views(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    db: psycopg.Connection,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    root = Path(__file__).parents[1]
    Migrator(db_url, top=root / "examples" / "library" / "migrations", quiet=True).deploy()
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "library.toml").write_text(
        (Path(__file__).parents[1] / "policies" / "library.toml").read_text()
    )
    assert main(["policies", "check", "--live", "--dir", str(folder)]) == 0
    capsys.readouterr()
    db.execute("create table library.notes (id int primary key, body text)")
    db.execute("grant select on library.notes to pgw_user")
    db.execute("create view library.loan_list as select id, status from library.loans")
    db.commit()
    assert main(["policies", "check", "--live", "--dir", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "library.notes is granted to a tier but has no row-level security" in out
    assert "[table-without-rls]" in out
    assert "view library.loan_list reads library.loans" in out
    assert "[view-without-security-invoker]" in out


def test_the_documented_example_is_valid(tmp_path: Path) -> None:
    """docs/policies.md's full example parses; it only refers to resources it does not show."""
    from webui.policies import checker, parser

    doc = (Path(__file__).parents[1] / "docs" / "policies.md").read_text()
    example = doc.split("```toml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "doc.toml"
    path.write_text(example)
    decl = parser.load_file(path)
    assert decl.issues == []
    codes = {i.code for i in checker.check([decl]) if i.level == "error"}
    assert codes == {"unknown-resource"}
