"""VSR's fine_grained_policies as an acceptance test (REFERENCE §B6), over the REST dialect with
the real `postgrest` client: tenant-readable data by the `tenant_id` claim, owner-scoped changes,
tenant and owner assigned on create (an administrator may supply the tenant), a require reading
another resource, and a self-scoped resource without admin bypass. Each rule as every tier in
SQL: tests_sql/test_policy_tenant.sql."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import psycopg
import pytest
from example_support import SECRET, add_user, claims, deploy, serve
from postgrest import SyncPostgrestClient
from postgrest.exceptions import APIError

from webui.testing import ServerProcess

SCHEMA = "ops"


@pytest.fixture
def ops(db: psycopg.Connection, db_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    deploy(db_url, "fine_grained_policies")
    with serve(db_url, tmp_path, SCHEMA) as server:
        yield server


def tenant_client(
    server: ServerProcess, user_id: int, tenant: int, tier: str = "user"
) -> SyncPostgrestClient:
    payload = {**claims(user_id, tier), "tenant_id": str(tenant), "exp": int(time.time()) + 600}
    headers = {"Authorization": f"Bearer {jwt.encode(payload, SECRET, algorithm='HS256')}"}
    return SyncPostgrestClient(f"{server.base_url}/rest/v1", schema=SCHEMA, headers=headers)


def test_scenario(ops: ServerProcess, db: psycopg.Connection) -> None:
    owner_id, colleague_id, other_id, admin_id = (
        add_user(db, f"{n}@ops.example", t)
        for n, t in (
            ("owner", "user"),
            ("colleague", "user"),
            ("other", "user"),
            ("admin", "administrator"),
        )
    )
    owner = tenant_client(ops, owner_id, 1)
    colleague = tenant_client(ops, colleague_id, 1)
    other = tenant_client(ops, other_id, 2)
    admin = tenant_client(ops, admin_id, 1, "administrator")

    # create assigns tenant (claim) and owner (session), whatever the payload says
    made = (
        owner.from_("workspaces")
        .insert({"slug": "alpha", "name": "Alpha", "tenant_id": 2, "owner_user_id": other_id})
        .execute()
    )
    ws = made.data[0]
    assert (ws["tenant_id"], ws["owner_user_id"]) == (1, owner_id)
    # an administrator may supply the tenant explicitly
    theirs = admin.from_("workspaces").insert({"slug": "beta", "name": "Beta", "tenant_id": 2})
    assert theirs.execute().data[0]["tenant_id"] == 2

    # tenant-readable: the colleague sees tenant 1's workspace, the other tenant does not
    assert [w["slug"] for w in colleague.from_("workspaces").select("slug").execute().data] == [
        "alpha"
    ]
    assert [w["slug"] for w in other.from_("workspaces").select("slug").execute().data] == ["beta"]

    # owner-scoped update: the colleague's update matches nothing, the owner's one row
    assert (
        colleague.from_("workspaces").update({"name": "Hijacked"}).eq("id", ws["id"]).execute().data
        == []
    )
    assert owner.from_("workspaces").update({"name": "Alpha 2"}).eq("id", ws["id"]).execute().data

    # require reads workspaces: only the workspace owner creates projects in it
    project = (
        owner.from_("projects")
        .insert({"workspace_id": ws["id"], "name": "Internal", "lead_user_id": colleague_id})
        .execute()
        .data[0]
    )
    assert project["tenant_id"] == 1
    with pytest.raises(APIError) as refused:
        colleague.from_("projects").insert({"workspace_id": ws["id"], "name": "Mine"}).execute()
    assert refused.value.code == "42501"
    # read: the lead and the workspace owner (exists) see the internal project, the other
    # tenant does not
    assert len(colleague.from_("projects").select("id").execute().data) == 1
    assert len(owner.from_("projects").select("id").execute().data) == 1
    assert other.from_("projects").select("id").execute().data == []

    # time entries: self-scoped, administrators included (no admin bypass)
    owner.from_("time_entries").insert({"minutes": 30, "user_id": colleague_id}).execute()
    assert len(owner.from_("time_entries").select("id").execute().data) == 1
    assert colleague.from_("time_entries").select("id").execute().data == []
    assert admin.from_("time_entries").select("id").execute().data == []


def test_every_rule_of_the_fact_sheet(ops: ServerProcess, db: psycopg.Connection) -> None:
    """§B6 fine_grained_policies: tenant-readable, tenant-and-owner-scoped update and delete,
    tenant and owner assigned on create, admin bypass; self-scoped time entries without it."""
    ids = [add_user(db, f"{n}@ops.example") for n in ("owner", "colleague", "other")]
    admin_id = add_user(db, "admin@ops.example", "administrator")
    owner, colleague = tenant_client(ops, ids[0], 1), tenant_client(ops, ids[1], 1)
    other, admin = tenant_client(ops, ids[2], 2), tenant_client(ops, admin_id, 1, "administrator")
    # the same owner under another tenant's claim is another tenant: sees and changes nothing
    owner_elsewhere = tenant_client(ops, ids[0], 2)

    ws = owner.from_("workspaces").insert({"slug": "alpha", "name": "Alpha"}).execute().data[0]
    gone = owner.from_("workspaces").insert({"slug": "gone", "name": "Gone"}).execute().data[0]
    assert [len(c.from_("workspaces").select("id").execute().data) for c in (
        owner, colleague, other, owner_elsewhere, admin)] == [2, 2, 0, 0, 2]  # fmt: skip
    assert owner_elsewhere.from_("workspaces").update({"name": "Other"}).execute().data == []
    assert colleague.from_("workspaces").delete().eq("id", gone["id"]).execute().data == []
    assert other.from_("workspaces").delete().eq("id", gone["id"]).execute().data == []
    assert len(owner.from_("workspaces").delete().eq("id", gone["id"]).execute().data) == 1
    # the administrator bypasses the owner: updates another's workspace
    assert admin.from_("workspaces").update({"name": "Admin"}).eq("id", ws["id"]).execute().data

    # projects: an internal project is read by its lead and the workspace owner; a public one
    # by the whole tenant; update by the lead; delete needs supervisor and a non-active status
    project = {"workspace_id": ws["id"], "name": "Internal", "lead_user_id": ids[0]}
    internal = owner.from_("projects").insert(project).execute().data[0]
    public = {**project, "name": "Public", "visibility": "public"}
    pub = owner.from_("projects").insert(public).execute().data[0]
    assert [len(c.from_("projects").select("id").execute().data) for c in (
        owner, colleague, other)] == [2, 1, 0]  # fmt: skip
    assert colleague.from_("projects").update({"name": "X"}).execute().data == []
    assert owner.from_("projects").update({"status": "closed"}).eq("id", internal["id"]).execute()
    assert owner.from_("projects").delete().eq("id", internal["id"]).execute().data == []
    supervisor = tenant_client(ops, add_user(db, "sup@ops.example", "supervisor"), 1, "supervisor")
    # the delete policy alone decides (docs/policies.md, doctrine 11): the closed internal
    # project, which the supervisor cannot read, is deleted; the public one is still active
    gone = supervisor.from_("projects").delete().execute().data
    assert [p["id"] for p in gone] == [internal["id"]]
    assert [p["id"] for p in supervisor.from_("projects").select("id").execute().data] == [
        pub["id"]
    ]
    owner.from_("projects").update({"status": "paused"}).eq("id", pub["id"]).execute()
    assert len(supervisor.from_("projects").delete().execute().data) == 1  # the public one
    assert owner.from_("projects").select("id").execute().data == []

    # incidents: tenant-readable; update by the commander or while none is set; delete by the
    # commander once resolved
    inc = colleague.from_("incidents").insert({"title": "Outage", "severity": 2}).execute().data[0]
    assert inc["tenant_id"] == 1
    assert [len(c.from_("incidents").select("id").execute().data) for c in (
        owner, colleague, other)] == [1, 1, 0]  # fmt: skip
    assert owner.from_("incidents").update({"commander_user_id": ids[0]}).execute().data
    assert colleague.from_("incidents").update({"severity": 1}).execute().data == []
    assert owner.from_("incidents").delete().execute().data == []
    assert owner.from_("incidents").update({"resolved_at": "2026-01-01T00:00Z"}).execute().data
    assert colleague.from_("incidents").delete().execute().data == []
    assert len(owner.from_("incidents").delete().execute().data) == 1

    # time entries: self-scoped for every verb, the administrator included (no bypass)
    entry = colleague.from_("time_entries").insert({"minutes": 15, "user_id": ids[0]})
    (mine,) = entry.execute().data
    assert mine["user_id"] == ids[1]
    # without a filter or a returned row, only the update/delete policy stands in the way
    url = f"{ops.base_url}/rest/v1/time_entries"
    for c in (owner, admin):
        headers = {**c.session.headers, "Prefer": "return=minimal"}
        assert httpx.patch(url, json={"minutes": 60}, headers=headers).status_code == 204
        assert httpx.delete(url, headers=headers).status_code == 204
    assert colleague.from_("time_entries").select("minutes").execute().data == [{"minutes": 15}]
    assert colleague.from_("time_entries").update({"minutes": 20}).execute().data
    assert len(colleague.from_("time_entries").delete().execute().data) == 1


OWNED = {
    "runbooks": "owner_user_id",
    "escalation_rules": "owner_user_id",
    "incident_notes": "author_user_id",
    "deployment_windows": "owner_user_id",
}
SELF_SCOPED = ("on_call_subscriptions", "audit_exports")


def test_the_other_resources_of_the_fact_sheet(ops: ServerProcess, db: psycopg.Connection) -> None:
    """§B6's remaining resources: runbooks, escalation rules, incident notes and deployment
    windows are tenant-readable and owner-changeable; on-call subscriptions and audit exports
    are self-scoped without admin bypass."""
    ids = [add_user(db, f"{n}@ops.example") for n in ("owner", "colleague", "other")]
    admin_id = add_user(db, "admin@ops.example", "administrator")
    owner, colleague = tenant_client(ops, ids[0], 1), tenant_client(ops, ids[1], 1)
    other, admin = tenant_client(ops, ids[2], 2), tenant_client(ops, admin_id, 1, "administrator")
    incident = owner.from_("incidents").insert({"title": "Outage", "severity": 3}).execute()
    extra = {"incident_notes": {"incident_id": incident.data[0]["id"]}}

    def minimal(c: SyncPostgrestClient, table: str) -> None:
        """A filterless PATCH and DELETE: only the update/delete policy decides."""
        headers = {**c.session.headers, "Prefer": "return=minimal"}
        url = f"{ops.base_url}/rest/v1/{table}"
        assert httpx.patch(url, json={"title": "Taken"}, headers=headers).status_code == 204
        assert httpx.delete(url, headers=headers).status_code == 204

    for table, owner_field in OWNED.items():
        row = {"title": "First", "tenant_id": 2, owner_field: ids[2], **extra.get(table, {})}
        (made,) = owner.from_(table).insert(row).execute().data
        assert (made["tenant_id"], made[owner_field]) == (1, ids[0]), table
        assert [len(c.from_(table).select("id").execute().data) for c in (
            owner, colleague, other, admin)] == [1, 1, 0, 1], table  # fmt: skip
        for c in (colleague, other):
            minimal(c, table)
        assert owner.from_(table).select("title").execute().data == [{"title": "First"}], table
        assert admin.from_(table).update({"title": "By admin"}).execute().data, table
        assert owner.from_(table).update({"title": "Second"}).execute().data, table
        assert len(owner.from_(table).delete().execute().data) == 1, table

    for table in SELF_SCOPED:
        (made,) = colleague.from_(table).insert({"title": "Mine", "user_id": ids[0]}).execute().data
        assert made["user_id"] == ids[1], table
        assert [len(c.from_(table).select("id").execute().data) for c in (
            colleague, owner, admin)] == [1, 0, 0], table  # fmt: skip
        for c in (owner, admin):
            minimal(c, table)
        assert colleague.from_(table).select("title").execute().data == [{"title": "Mine"}], table
        assert colleague.from_(table).update({"title": "Still mine"}).execute().data, table
        assert len(colleague.from_(table).delete().execute().data) == 1, table
