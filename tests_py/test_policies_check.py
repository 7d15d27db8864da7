"""`pgwarden policies check`: every finding names the file, the resource and the key; errors
fail the command, warnings only under --strict; --live finds what only the database shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from webui.cli import main

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
    """A visible exists reads under the caller's own grants and RLS; a plain one through its
    helper (pgw_policy_reader), so the caller's tier needs no grant on the looked-into table."""
    text = BASE.replace('read = "user", create = "staff"', 'read = "staff", create = "staff"')
    plain = text.replace(
        'read = "owner_id = user.id"',
        'read = { exists = { resource = "customers", '
        'where = ["id = row.customer_id", "owner_id = user.id"] } }',
    )
    status, out = run_check(tmp_path, plain.replace("} }", ", visible = true } }"), capsys)
    assert status == 1 and "[exists-not-readable]" in out
    status, out = run_check(tmp_path, plain, capsys)
    assert status == 0, out


FAMILY = """
[settings]
schema = "fam"

[resources.families]
roles = { read = "user", create = "user", update = "user", delete = "user" }
[resources.families.fields]
id = { type = "bigint", primary_key = true, generated = "identity" }
owner_id = { type = "bigint" }
[resources.families.policies]
read = { any_of = [
  "owner_id = user.id",
  { exists = { resource = "members", where = ["family_id = row.id", "user_id = user.id"]MARK } },
] }

[resources.members]
roles = { read = "user", create = "user", update = "user", delete = "user" }
[resources.members.fields]
id = { type = "bigint", primary_key = true, generated = "identity" }
family_id = { type = "bigint", references = "families", on_delete = "cascade" }
user_id = { type = "bigint" }
[resources.members.policies]
read = { any_of = [
  "user_id = user.id",
  { exists = { resource = "families", where = ["id = row.family_id", "owner_id = user.id"]MARK } },
  { exists = { resource = "members", where = ["family_id = row.family_id", "user_id = user.id"] } },
] }
"""


def test_mutual_and_self_exists_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Families read through members, members through families and through co-members (a
    self-reference): the helpers read without RLS, so there is nothing to recurse."""
    status, out = run_check(tmp_path, FAMILY.replace("MARK", ""), capsys)
    assert status == 0, out
    assert "invalid-source" not in out


def test_cycle_under_rls_is_printed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The same pair with visible = true reads each other under RLS: 42P17 at run time, so
    check refuses it and prints the cycle."""
    status, out = run_check(tmp_path, FAMILY.replace("MARK", ", visible = true"), capsys)
    assert status == 1, out
    line = next(x for x in out.splitlines() if "[policy-cycle]" in x)
    assert "families.read → members.read → families.read" in line, line
    assert "resource 'families', key resources.families.policies.read" in line


def test_caller_test_inside_exists(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    co_member = '"family_id = row.family_id", "user_id = user.id"'
    text = FAMILY.replace("MARK", "").replace(
        co_member, co_member + ', { tier_at_least = "staff" }'
    )
    status, out = run_check(tmp_path, text, capsys)
    assert status == 1 and "[caller-test-in-exists]" in out, out
