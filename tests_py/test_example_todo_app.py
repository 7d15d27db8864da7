"""VSR's todo_app as an acceptance test (REFERENCE §B6), over the REST dialect with the real
`postgrest` client: each user creates and lists only their own todos, cannot see or change
another's (a hidden row answers like a missing one: 200 [] / 204), the owner comes from the
session whatever the payload says, and an administrator sees and changes every todo."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from example_support import add_user, client, count, deploy, serve
from postgrest.exceptions import APIError

from webui.testing import ServerProcess

SCHEMA = "todo"


@pytest.fixture
def todo_server(db: psycopg.Connection, db_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    deploy(db_url, "todo_app")
    with serve(db_url, tmp_path, SCHEMA) as server:
        yield server


def test_scenario(todo_server: ServerProcess, db: psycopg.Connection) -> None:
    admin_id = add_user(db, "admin@todo.example", "administrator")
    alice_id, bob_id = add_user(db, "alice@todo.example"), add_user(db, "bob@todo.example")
    admin = client(todo_server, SCHEMA, admin_id, "administrator")
    alice, bob = client(todo_server, SCHEMA, alice_id), client(todo_server, SCHEMA, bob_id)

    admin.from_("todos").insert({"title": "Admin chores"}).execute()
    # the owner comes from the session: a forged user_id is replaced
    created = alice.from_("todos").insert({"title": "Verify todo example", "user_id": bob_id})
    (todo,) = created.execute().data
    assert todo["user_id"] == alice_id and todo["completed"] is False
    listed = alice.from_("todos").select("*", count="exact").execute()
    assert listed.count == 1 and listed.data[0]["title"] == "Verify todo example"
    bob.from_("todos").insert([{"title": "Bob one"}, {"title": "Bob two"}]).execute()
    assert count(bob, "todos") == 2

    # Bob cannot see, change or delete Alice's todo: no match, nothing changed.
    assert bob.from_("todos").select("id").eq("id", todo["id"]).execute().data == []
    assert bob.from_("todos").update({"completed": True}).eq("id", todo["id"]).execute().data == []
    gone = httpx.delete(
        f"{todo_server.base_url}/rest/v1/todos?id=eq.{todo['id']}",
        headers={**bob.session.headers, "Prefer": "return=minimal"},
    )
    assert gone.status_code == 204
    # without a filter or a returned row only the update/delete policy decides: still nothing
    minimal = {**bob.session.headers, "Prefer": "return=minimal"}
    url = f"{todo_server.base_url}/rest/v1/todos"
    assert httpx.patch(url, json={"title": "Bob's now"}, headers=minimal).status_code == 204
    assert httpx.delete(url, headers=minimal).status_code == 204
    assert count(bob, "todos") == 0 and count(admin, "todos") == 2
    assert alice.from_("todos").select("title").execute().data == [{"title": "Verify todo example"}]
    bob.from_("todos").insert([{"title": "Bob one"}, {"title": "Bob two"}]).execute()
    mine = alice.from_("todos").select("completed").eq("id", todo["id"]).execute().data
    assert mine == [{"completed": False}]

    # Validation: a title of 121 characters is refused with the constraint's code.
    with pytest.raises(APIError) as refused:
        alice.from_("todos").insert({"title": "x" * 121}).execute()
    assert refused.value.code == "23514"

    # The owner changes and deletes their own; the administrator sees and changes all.
    assert alice.from_("todos").update({"completed": True}).eq("id", todo["id"]).execute().data
    assert count(admin, "todos") == 4
    assert admin.from_("todos").update({"title": "Checked"}).eq("user_id", bob_id).execute().data
    assert count(alice, "todos") == 1
    assert len(alice.from_("todos").delete().eq("id", todo["id"]).execute().data) == 1
    assert count(admin, "todos") == 3
    assert len(admin.from_("todos").delete().eq("user_id", bob_id).execute().data) == 2
    assert count(bob, "todos") == 0 and count(admin, "todos") == 1

    # Anonymous requests are refused (no grant to pgw_anon).
    with pytest.raises(APIError) as anonymous:
        client(todo_server, SCHEMA, None).from_("todos").select("id").execute()
    assert anonymous.value.code == "42501"
