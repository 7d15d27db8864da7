"""VSR's bridgeboard as an acceptance test (REFERENCE §B6), over the REST dialect with the real
`postgrest` client: anonymous public reads of the catalogue, nested reads through relations
(an organisation's interests, embedded or filtered), administrators alone write it, and
collaboration requests scoped to their requester (administrators see all)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from example_support import add_user, client, count, deploy, serve
from postgrest.exceptions import APIError

from webui.testing import ServerProcess

SCHEMA = "bridgeboard"
SUMMARY = "A summary that is long enough for the catalogue."
MESSAGE = "We would like to work together on applied research next spring."


@pytest.fixture
def board(db: psycopg.Connection, db_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    deploy(db_url, "bridgeboard")
    with serve(db_url, tmp_path, SCHEMA) as server:
        yield server


def _organization(slug: str, name: str) -> dict[str, str]:
    return {
        "slug": slug,
        "name": name,
        "country": "Finland",
        "city": "Oulu",
        "website_url": f"https://{slug}.example",
        "contact_email": f"hello@{slug}.example",
        "collaboration_stage": "open",
        "summary": SUMMARY,
    }


def test_scenario(board: ServerProcess, db: psycopg.Connection) -> None:
    admin_id = add_user(db, "admin@bridgeboard.example", "administrator")
    ada_id, ben_id = (
        add_user(db, "ada@bridgeboard.example"),
        add_user(db, "ben@bridgeboard.example"),
    )
    admin = client(board, SCHEMA, admin_id, "administrator")
    anon, ada, ben = (client(board, SCHEMA, i) for i in (None, ada_id, ben_id))

    orgs = (
        admin.from_("organization")
        .insert(
            [_organization("bridge-labs", "Bridge Labs"), _organization("north-co", "North Co")]
        )
        .execute()
    )
    org_id = orgs.data[0]["id"]
    interests = [
        {"organization_id": org_id, "title": t, "work_mode": "hybrid", "summary": SUMMARY}
        for t in ("Applied AI", "Robotics", "AI safety")
    ]
    admin.from_("interest").insert(interests).execute()
    admin.from_("thesis_topic").insert(
        {
            "organization_id": org_id,
            "title": "Edge inference",
            "discipline": "Computing",
            "location": "Oulu",
            "contact_email": "t@bridge-labs.example",
            "summary": SUMMARY,
        }
    ).execute()

    # Anonymous public reads, filtered as VSR's filter_name_contains=bridge.
    found = anon.from_("organization").select("slug").ilike("name", "%bridge%").execute()
    assert found.data == [{"slug": "bridge-labs"}]
    # Nested reads: an organisation's interests whose title contains AI, filtered and embedded.
    nested = (
        anon.from_("interest")
        .select("title")
        .eq("organization_id", org_id)
        .ilike("title", "%AI%")
        .order("title")
        .execute()
    )
    assert [r["title"] for r in nested.data] == ["AI safety", "Applied AI"]
    embedded = (
        anon.from_("organization")
        .select("slug, interest(title), thesis_topic(title)")
        .eq("id", org_id)
        .execute()
    )
    assert len(embedded.data[0]["interest"]) == 3
    assert embedded.data[0]["thesis_topic"] == [{"title": "Edge inference"}]

    # Only administrators write the catalogue.
    with pytest.raises(APIError) as refused:
        ada.from_("organization").insert(_organization("mine", "Mine Inc")).execute()
    assert refused.value.code == "42501"
    with pytest.raises(APIError) as anonymous:
        anon.from_("collaboration_request").insert(
            {"organization_id": org_id, "title": "Hello", "message": MESSAGE}
        ).execute()
    assert anonymous.value.code == "42501"

    # Collaboration requests: the requester's own, newest first; others see none of them.
    for title in ("First request", "Second request"):
        made = (
            ada.from_("collaboration_request")
            .insert(
                {
                    "organization_id": org_id,
                    "title": title,
                    "message": MESSAGE,
                    "requester_user_id": ben_id,
                }
            )
            .execute()
        )
        assert made.data[0]["requester_user_id"] == ada_id
    own = ada.from_("collaboration_request").select("title").order("created_at", desc=True)
    assert [r["title"] for r in own.execute().data] == ["Second request", "First request"]
    assert count(ben, "collaboration_request") == 0
    assert count(admin, "collaboration_request") == 2
    assert (
        ben.from_("collaboration_request").delete().eq("requester_user_id", ada_id).execute().data
        == []
    )
    assert count(admin, "collaboration_request") == 2


def test_every_rule_of_the_fact_sheet(board: ServerProcess, db: psycopg.Connection) -> None:
    """§B6 bridgeboard: the catalogue (organisation, interest, thesis topic) is read by anyone
    and written by administrators only; collaboration requests are the requester's own."""
    admin_id = add_user(db, "admin@bridgeboard.example", "administrator")
    admin = client(board, SCHEMA, admin_id, "administrator")
    ada_id = add_user(db, "ada@bridgeboard.example")
    ben_id = add_user(db, "ben@bridgeboard.example")
    anon, ada, ben = (client(board, SCHEMA, i) for i in (None, ada_id, ben_id))
    org = admin.from_("organization").insert(_organization("bridge-labs", "Bridge Labs"))
    org_id = org.execute().data[0]["id"]
    interest = {"organization_id": org_id, "title": "Applied AI", "work_mode": "hybrid"}
    interest["summary"] = SUMMARY
    topic = {"organization_id": org_id, "title": "Edge inference", "discipline": "Computing"}
    topic |= {"location": "Oulu", "contact_email": "t@bridge-labs.example", "summary": SUMMARY}
    rows = {"organization": _organization("mine", "Mine Inc"), "interest": interest}
    rows["thesis_topic"] = topic
    for table, row in rows.items():
        for who in (anon, ada):  # writes: administrators only
            key, text = ("id", "name") if table == "organization" else ("organization_id", "title")
            for query in (
                who.from_(table).insert(row),
                who.from_(table).update({text: "X"}),
                who.from_(table).delete().eq(key, org_id),
            ):
                with pytest.raises(APIError) as refused:
                    query.execute()
                assert refused.value.code == "42501"
        if table != "organization":
            admin.from_(table).insert(row).execute()
        assert [count(c, table) for c in (anon, ada, admin)] == [1, 1, 1]  # read: anyone
    assert admin.from_("interest").update({"work_mode": "remote"}).execute().data
    assert len(admin.from_("thesis_topic").delete().execute().data) == 1

    # collaboration requests: users only (anonymous refused), own rows for every verb
    with pytest.raises(APIError) as anonymous:
        anon.from_("collaboration_request").select("id").execute()
    assert anonymous.value.code == "42501"
    request = {"organization_id": org_id, "title": "Joint thesis", "message": MESSAGE}
    (made,) = ada.from_("collaboration_request").insert(request).execute().data
    assert made["requester_user_id"] == ada_id and made["status"]
    assert [count(c, "collaboration_request") for c in (ada, ben, admin)] == [1, 0, 1]
    headers = {**ben.session.headers, "Prefer": "return=minimal"}
    url = f"{board.base_url}/rest/v1/collaboration_request"
    assert httpx.patch(url, json={"title": "Ben's now"}, headers=headers).status_code == 204
    assert httpx.delete(url, headers=headers).status_code == 204
    mine = ada.from_("collaboration_request").select("title").execute().data
    assert mine == [{"title": "Joint thesis"}]
    assert ada.from_("collaboration_request").update({"status": "sent"}).execute().data
    assert admin.from_("collaboration_request").update({"status": "seen"}).execute().data
    assert len(ada.from_("collaboration_request").delete().execute().data) == 1
    assert count(admin, "collaboration_request") == 0


def test_list_limits(board: ServerProcess, db: psycopg.Connection) -> None:
    admin_id = add_user(db, "a@bridgeboard.example", "administrator")
    admin = client(board, SCHEMA, admin_id, "administrator")
    orgs = [_organization(f"org-{i:02d}", f"Org {i:02d}") for i in range(101)]
    admin.from_("organization").insert(orgs).execute()
    anon = client(board, SCHEMA, None)
    assert len(anon.from_("organization").select("id").execute().data) == 24
    assert len(anon.from_("organization").select("id").limit(500).execute().data) == 100
    assert len(anon.from_("organization").select("id").limit(5).execute().data) == 5
    # over HTTP: a Range past the maximum is cut too, and the count still tells the total
    url = f"{board.base_url}/rest/v1/organization?select=id"
    headers = {**anon.session.headers, "Range": "0-499", "Prefer": "count=exact"}
    response = httpx.get(url, headers=headers)
    assert response.status_code == 206 and len(response.json()) == 100
    assert response.headers["Content-Range"] == "0-99/101"
    # the limit cuts a page, not the list: an offset reaches the last row
    assert len(admin.from_("organization").select("id").offset(100).limit(50).execute().data) == 1
