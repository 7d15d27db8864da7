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
from postgrest import SyncPostgrestClient
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


def _grant(db_url: str, monkeypatch: pytest.MonkeyPatch, email: str, template: str, scope: str):
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert main(["authz", "grant", "--user", email, "--template", template, "--scope", scope]) == 0


def _patch(server: ServerProcess, who: SyncPostgrestClient, table: str, body: dict) -> int:
    """A PATCH without a filter (return=minimal): needs only the update policy, not read."""
    headers = {**who.session.headers, "Prefer": "return=minimal"}
    return httpx.patch(f"{server.base_url}/rest/v1/{table}", json=body, headers=headers).status_code


def _refused(query: object) -> None:
    with pytest.raises(APIError) as refused:
        query.execute()  # type: ignore[attr-defined]
    assert refused.value.code == "42501", refused.value


def test_every_rule_of_the_fact_sheet(
    family_server: ServerProcess,
    db: psycopg.Connection,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """REFERENCE §B6's family_app table, row by row: who reads, creates, updates, deletes."""
    ids = {n: add_user(db, f"{n}@family.example") for n in ("guardian", "spouse", "helper", "out")}
    c = {n: client(family_server, SCHEMA, i) for n, i in ids.items()}
    g, s, h, o = c["guardian"], c["spouse"], c["helper"], c["out"]

    fid = g.from_("family").insert({"slug": "koski", "name": "Koski"}).execute().data[0]["id"]
    other = g.from_("family").insert({"slug": "second", "name": "Second"}).execute().data[0]["id"]
    g.from_("family_member").insert(
        {"family_id": fid, "user_id": ids["spouse"], "display_name": "Spouse"}
    ).execute()
    # family_delegate: create assigns primary = me (a forged one is replaced), requires owner
    made = g.from_("family_delegate").insert(
        {"family_id": fid, "primary_user_id": ids["spouse"], "delegate_user_id": ids["helper"]}
    )
    assert made.execute().data[0]["primary_user_id"] == ids["guardian"]
    _refused(s.from_("family_delegate").insert({"family_id": fid, "delegate_user_id": ids["out"]}))

    # family.read: owner or member; the delegate alone and an outsider see nothing
    assert [count(x, "family") for x in (g, s, h, o)] == [2, 1, 0, 0]
    # family.update: owner or delegate of the owner; family.delete: owner only
    assert s.from_("family").update({"name": "Spouse's"}).eq("id", fid).execute().data == []
    assert g.from_("family").update({"name": "Koski 2"}).eq("id", fid).execute().data
    assert s.from_("family").delete().eq("id", fid).execute().data == []
    # the delegate updates the family it cannot read: only without a filter (PostgreSQL applies
    # the read policy to an UPDATE whose WHERE reads the row; test_delegate_updates_by_id)
    assert _patch(family_server, h, "family", {"name": "By delegate"}) == 204
    assert g.from_("family").select("name").eq("id", fid).execute().data == [
        {"name": "By delegate"}
    ]
    assert count(g, "family") == 2

    # family_delegate: read primary or delegate; update and delete primary only
    assert [count(x, "family_delegate") for x in (g, s, h, o)] == [1, 0, 1, 0]
    assert h.from_("family_delegate").update({"label": "boss"}).execute().data == []
    assert h.from_("family_delegate").delete().execute().data == []
    assert g.from_("family_delegate").update({"label": "sitter"}).execute().data

    # household: create by owner or member (creator assigned), read by owner or member
    hid = g.from_("household").insert({"family_id": fid, "slug": "home", "label": "Home"})
    hid = hid.execute().data[0]["id"]
    hid2 = g.from_("household").insert({"family_id": other, "slug": "cabin", "label": "Cabin"})
    hid2 = hid2.execute().data[0]["id"]
    own = s.from_("household").insert({"family_id": fid, "slug": "flat", "label": "Flat"})
    (flat,) = own.execute().data
    assert flat["created_by_user_id"] == ids["spouse"]
    _refused(o.from_("household").insert({"family_id": fid, "slug": "mine", "label": "Mine"}))
    assert [count(x, "household", family_id=fid) for x in (g, s, h, o)] == [2, 2, 0, 0]
    # household update/delete: creator only, not even the family owner
    assert g.from_("household").update({"label": "X"}).eq("id", flat["id"]).execute().data == []
    assert s.from_("household").update({"label": "Flat 2"}).eq("id", flat["id"]).execute().data
    assert g.from_("household").delete().eq("id", flat["id"]).execute().data == []

    # family_member: read self, creator, owner or co-member; update/delete creator or owner
    assert [count(x, "family_member", family_id=fid) for x in (g, s, h, o)] == [1, 1, 0, 0]
    g.from_("family_member").insert(
        {"family_id": fid, "user_id": ids["guardian"], "display_name": "Guardian"}
    ).execute()
    assert count(s, "family_member", family_id=fid) == 2
    assert s.from_("family_member").update({"role_label": "boss"}).execute().data == []
    assert len(g.from_("family_member").update({"role_label": "parent"}).execute().data) == 2

    # child_profile: require membership and a household of the same family; read owner/member
    child = {"family_id": fid, "primary_guardian_user_id": ids["guardian"], "display_name": "Ella"}
    _refused(g.from_("child_profile").insert({**child, "household_id": hid2}))
    _refused(o.from_("child_profile").insert({**child, "household_id": hid}))
    (kid,) = s.from_("child_profile").insert({**child, "household_id": hid}).execute().data
    assert kid["created_by_user_id"] == ids["spouse"]
    assert [count(x, "child_profile") for x in (g, s, h, o)] == [1, 1, 0, 0]
    # update: creator (or a delegate of the primary guardian); delete: creator only
    assert g.from_("child_profile").update({"school": "A"}).eq("id", kid["id"]).execute().data == []
    assert s.from_("child_profile").update({"school": "B"}).eq("id", kid["id"]).execute().data
    assert g.from_("child_profile").delete().eq("id", kid["id"]).execute().data == []
    assert _patch(family_server, o, "child_profile", {"school": "Outsider"}) == 204
    assert s.from_("child_profile").select("school").execute().data == [{"school": "B"}]

    # care_plan and guardian_note: require membership and the child in the same family; read,
    # update, delete by the author, widened by child_care_read / child_care_manage grants
    plan = {"family_id": fid, "child_profile_id": kid["id"], "title": "Naps"}
    note = {"family_id": fid, "child_profile_id": kid["id"], "category": "health", "body": "Ok"}
    _refused(o.from_("care_plan").insert(plan))
    _refused(g.from_("care_plan").insert({**plan, "family_id": other}))
    _refused(o.from_("guardian_note").insert(note))
    (p,) = s.from_("care_plan").insert(plan).execute().data
    (n,) = s.from_("guardian_note").insert(note).execute().data
    assert (p["author_user_id"], n["author_user_id"]) == (ids["spouse"], ids["spouse"])
    for table in ("care_plan", "guardian_note"):
        assert [count(x, table) for x in (g, s, h, o)] == [0, 1, 0, 0]
    assert g.from_("care_plan").update({"title": "Mine"}).eq("id", p["id"]).execute().data == []

    # household_announcement: read needs membership AND a household of that slug
    ann = {"family_id": fid, "household_slug": "home", "title": "Dinner at six"}
    _refused(s.from_("household_announcement").insert({**ann, "household_slug": "nowhere"}))
    _refused(o.from_("household_announcement").insert(ann))
    (a,) = s.from_("household_announcement").insert(ann).execute().data
    assert a["author_user_id"] == ids["spouse"]
    assert [count(x, "household_announcement") for x in (g, s, h, o)] == [1, 1, 0, 0]
    g.from_("household").update({"slug": "house"}).eq("id", hid).execute()
    assert [count(x, "household_announcement") for x in (g, s)] == [0, 0]
    g.from_("household").update({"slug": "home"}).eq("id", hid).execute()
    title = {"title": "Changed"}
    assert g.from_("household_announcement").update(title).eq("id", a["id"]).execute().data == []
    assert s.from_("household_announcement").update(title).eq("id", a["id"]).execute().data

    # shopping_item and calendar_event: require membership and the household in that family;
    # read, update, delete by the creator (+ family / household grants)
    item = {"family_id": fid, "household_id": hid, "title": "Bread"}
    event = {**item, "starts_at": "2026-01-01T10:00Z", "ends_at": "2026-01-01T11:00Z"}
    for table, row in (("shopping_item", item), ("calendar_event", event)):
        _refused(o.from_(table).insert(row))
        _refused(g.from_(table).insert({**row, "household_id": hid2}))
        assert s.from_(table).insert(row).execute().data[0]["created_by_user_id"] == ids["spouse"]
        assert [count(x, table) for x in (g, s, h, o)] == [0, 1, 0, 0]
        assert g.from_(table).update({"title": "G"}).execute().data == []
        assert g.from_(table).delete().execute().data == []

    # Runtime grants: caregiver (family) reads care plans and notes but cannot manage them;
    # guardian (family) manages them; household_moderator (household) widens calendar events.
    _grant(db_url, monkeypatch, "helper@family.example", "caregiver", f"family={fid}")
    assert [count(h, t) for t in ("care_plan", "guardian_note", "shopping_item")] == [1, 1, 1]
    assert h.from_("care_plan").update({"title": "H"}).eq("id", p["id"]).execute().data == []
    assert count(h, "calendar_event") == 0
    _grant(db_url, monkeypatch, "guardian@family.example", "guardian", f"family={fid}")
    assert g.from_("care_plan").update({"title": "G"}).eq("id", p["id"]).execute().data
    assert len(g.from_("guardian_note").delete().eq("id", n["id"]).execute().data) == 1
    assert count(g, "calendar_event") == 0
    _grant(
        db_url, monkeypatch, "guardian@family.example", "household_moderator", f"household={hid}"
    )
    assert count(g, "calendar_event") == 1
    assert g.from_("calendar_event").update({"title": "Moved"}).execute().data
    assert count(o, "calendar_event") == 0

    # The totals each user sees at the end.
    tables = ("family", "household", "family_member", "family_delegate", "child_profile",
              "care_plan", "guardian_note", "household_announcement", "shopping_item",
              "calendar_event")  # fmt: skip
    assert [count(s, t) for t in tables] == [1, 2, 2, 0, 1, 1, 0, 1, 1, 1]
    assert [count(o, t) for t in tables] == [0] * 10


def test_delegate_updates_by_id(family_server: ServerProcess, db: psycopg.Connection) -> None:
    gid, did = add_user(db, "g@family.example"), add_user(db, "d@family.example")
    g, d = client(family_server, SCHEMA, gid), client(family_server, SCHEMA, did)
    fid = g.from_("family").insert({"slug": "kk", "name": "K"}).execute().data[0]["id"]
    g.from_("family_delegate").insert({"family_id": fid, "delegate_user_id": did}).execute()
    headers = {**d.session.headers, "Prefer": "return=minimal"}
    url = f"{family_server.base_url}/rest/v1/family?id=eq.{fid}"
    assert httpx.patch(url, json={"name": "By id"}, headers=headers).status_code == 204
    assert g.from_("family").select("name").execute().data == [{"name": "By id"}]
    # the write reaches the row; a read still does not
    assert count(d, "family") == 0
    assert httpx.get(url, headers=headers).json() == []
    # an outsider's PATCH by id matches nothing (a hidden row answers like a missing one)
    o = client(family_server, SCHEMA, add_user(db, "o@family.example"))
    outsider = {**o.session.headers, "Prefer": "return=minimal"}
    assert httpx.patch(url, json={"name": "Outsider"}, headers=outsider).status_code == 204
    assert g.from_("family").select("name").execute().data == [{"name": "By id"}]


def test_delegate_updates_child_profile(
    family_server: ServerProcess, db: psycopg.Connection
) -> None:
    gid, did = add_user(db, "g@family.example"), add_user(db, "d@family.example")
    g, d = client(family_server, SCHEMA, gid), client(family_server, SCHEMA, did)
    fid = g.from_("family").insert({"slug": "kk", "name": "K"}).execute().data[0]["id"]
    hid = g.from_("household").insert({"family_id": fid, "slug": "hh", "label": "H"})
    hid = hid.execute().data[0]["id"]
    g.from_("family_delegate").insert({"family_id": fid, "delegate_user_id": did}).execute()
    child = {"family_id": fid, "household_id": hid, "display_name": "E"}
    g.from_("child_profile").insert({**child, "primary_guardian_user_id": gid}).execute()
    assert _patch(family_server, d, "child_profile", {"school": "By delegate"}) == 204
    assert g.from_("child_profile").select("school").execute().data == [{"school": "By delegate"}]
    # by id too; and a reference it changes must still be readable (doctrine 5)
    cid = g.from_("child_profile").select("id").execute().data[0]["id"]
    headers = {**d.session.headers, "Prefer": "return=minimal"}
    url = f"{family_server.base_url}/rest/v1/child_profile?id=eq.{cid}"
    assert httpx.patch(url, json={"school": "By id"}, headers=headers).status_code == 204
    other = g.from_("family").insert({"slug": "other", "name": "O"}).execute().data[0]["id"]
    moved = httpx.patch(url, json={"family_id": other}, headers=headers)
    assert moved.status_code == 403 and moved.json()["code"] == "42501"
    rows = g.from_("child_profile").select("school,family_id").execute().data
    assert rows == [{"school": "By id", "family_id": fid}]
