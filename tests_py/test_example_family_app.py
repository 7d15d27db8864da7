"""VSR's family_app as an acceptance test (REFERENCE §B6), over the REST dialect with the real
`postgrest` client: the guardian creates a family and its members, the spouse sees the family
through membership (a mutual exists that no longer recurses), sees 0 shopping items until a
caregiver template is granted at family scope, then 1. A hidden row answers like a missing one.
Rules of every resource as every tier: tests_sql/test_policy_exists.sql."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from example_support import add_user, client, count, deploy, serve
from postgrest.exceptions import APIError

from webui.cli import main
from webui.testing import ServerProcess

SCHEMA = "family"


@pytest.fixture
def family_server(db: psycopg.Connection, db_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    deploy(db_url, "family_app")
    with serve(db_url, tmp_path, SCHEMA) as server:
        yield server


def test_scenario(
    family_server: ServerProcess,
    db: psycopg.Connection,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    guardian_id = add_user(db, "guardian@family.example")
    spouse_id = add_user(db, "spouse@family.example")
    outsider_id = add_user(db, "outsider@family.example")
    guardian = client(family_server, SCHEMA, guardian_id)
    spouse = client(family_server, SCHEMA, spouse_id)
    outsider = client(family_server, SCHEMA, outsider_id)

    # The guardian creates a family (owner assigned from the session), members, a household,
    # a shopping item.
    family = guardian.from_("family").insert({"slug": "virtanen", "name": "Virtanen"}).execute()
    (row,) = family.data
    assert row["owner_user_id"] == guardian_id
    fid = row["id"]
    members = [
        {"family_id": fid, "user_id": guardian_id, "display_name": "Guardian"},
        {"family_id": fid, "user_id": spouse_id, "display_name": "Spouse"},
    ]
    assert len(guardian.from_("family_member").insert(members).execute().data) == 2
    house = (
        guardian.from_("household")
        .insert({"family_id": fid, "slug": "home", "label": "Home"})
        .execute()
    )
    hid = house.data[0]["id"]
    item = (
        guardian.from_("shopping_item")
        .insert({"family_id": fid, "household_id": hid, "title": "Milk"})
        .execute()
    )
    item_id = item.data[0]["id"]

    # The spouse sees the family through membership, its household, not the shopping item.
    assert count(spouse, "family") == 1
    assert count(spouse, "household", family_id=fid) == 1
    assert count(spouse, "family_member", family_id=fid) == 2
    assert count(spouse, "shopping_item", family_id=fid) == 0
    assert count(outsider, "family") == 0

    # Only the owner adds members: the spouse's attempt is refused, and changes nothing.
    with pytest.raises(APIError) as refused:
        spouse.from_("family_member").insert(
            {"family_id": fid, "user_id": outsider_id, "display_name": "Intruder"}
        ).execute()
    assert refused.value.code == "42501"
    assert count(guardian, "family_member", family_id=fid) == 2

    # A hidden row answers like a missing one: 200 [] for the update, nothing changed.
    hidden = spouse.from_("shopping_item").update({"title": "Beer"}).eq("id", item_id).execute()
    assert hidden.data == []
    assert guardian.from_("shopping_item").select("title").eq("id", item_id).execute().data == [
        {"title": "Milk"}
    ]

    # A delete of a hidden row: 204 with Prefer return=minimal (as PostgREST), nothing deleted.
    gone = httpx.delete(
        f"{family_server.base_url}/rest/v1/shopping_item?id=eq.{item_id}",
        headers={**outsider.session.headers, "Prefer": "return=minimal"},
    )
    assert gone.status_code == 204, gone.text
    assert count(guardian, "shopping_item") == 1

    # An administrator grants the spouse the caregiver template at family scope.
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert (
        main(
            [
                "authz",
                "grant",
                "--user",
                "spouse@family.example",
                "--template",
                "caregiver",
                "--scope",
                f"family={fid}",
            ]
        )
        == 0
    ), capsys.readouterr()
    assert count(spouse, "shopping_item", family_id=fid) == 1
    done = spouse.from_("shopping_item").update({"completed": True}).eq("id", item_id).execute()
    assert done.data[0]["completed"] is True
    assert count(outsider, "shopping_item") == 0


def test_template_at_the_wrong_scope_is_refused(
    family_server: ServerProcess,
    db: psycopg.Connection,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    add_user(db, "spouse@family.example")
    monkeypatch.setenv("DATABASE_URL", db_url)
    capsys.readouterr()
    code = main(
        [
            "authz",
            "grant",
            "--user",
            "spouse@family.example",
            "--template",
            "caregiver",
            "--scope",
            "household=1",
        ]
    )
    out = capsys.readouterr()
    assert code == 1
    assert "template caregiver is granted at scope family, not household" in out.out + out.err
    assert db.execute("select count(*) from authz.scoped_grants").fetchone() == (0,)


def test_explain_names_the_widening_templates(capsys: pytest.CaptureFixture[str]) -> None:
    folder = str(Path(__file__).resolve().parents[1] / "examples" / "family_app")
    assert main(["authz", "explain", "shopping_item", "--dir", folder]) == 0
    out = capsys.readouterr().out
    read = out.split("\n  read (select)")[1].split("\n  create")[0]
    assert (
        "widened by a runtime grant of family_contribute on family = row.family_id; "
        "templates: guardian (at family), caregiver (at family)"
    ) in read
    assert "child_viewer" not in read


def test_check_validates_the_authorization_block(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = Path(__file__).resolve().parents[1] / "examples" / "family_app" / "family_app.toml"
    broken = (
        source.read_text()
        .replace(
            'permissions = ["family_read", "family_contribute", "child_care_read"]',
            'permissions = ["family_read", "family_contributes", "child_care_read"]',
        )
        .replace('parent = "family"', 'parent = "clan"')
    )
    (tmp_path / "family_app.toml").write_text(broken)
    assert main(["policies", "check", "--dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert (
        "key authorization.templates.caregiver.permissions: unknown permission "
        "'family_contributes' [unknown-permission]"
    ) in out
    assert "authorization.scopes.household.parent: unknown parent scope 'clan'" in out
