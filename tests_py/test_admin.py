"""The admin over real HTTP against a real `pgwarden serve` on the library example: every tier
sees what RLS allows, CSRF and forged posts are refused with nothing written, bad input is a
4xx, stale edits are refused, bulk actions report skipped rows, history restores a version,
and the security headers hold. Browser tests: test_browser_admin.py; docs: docs/admin.md."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from admin_support import (
    Browserless,
    admin_server,
    csrf,
    hidden,
    load_library,
    signed_in,
    texts,
)

import webui
from webui.testing import ServerProcess
from webui.testing.auth import sql

ADMIN_DIR = Path(webui.__file__).parent / "admin"


@pytest.fixture
def library(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> str:
    load_library(db_url, monkeypatch)
    capsys.readouterr()
    return db_url


@pytest.fixture
def admin(library: str, tmp_path: Path) -> Iterator[ServerProcess]:
    with admin_server(library, tmp_path) as server:
        yield server


def _caption(page: str) -> str:
    return texts(page, r"<caption>([^<]+)")[0]


def test_sign_in_failures_are_uniform_and_throttled(admin: ServerProcess, library: str) -> None:
    client = Browserless(admin.base_url)
    wrong = client.login("staff@library.example", "not the password")
    unknown = client.login("nobody@library.example", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert texts(wrong.text, r'id="login-error">([^<]+)') == texts(
        unknown.text, r'id="login-error">([^<]+)'
    )
    assert "pgw_session" not in wrong.headers.get("set-cookie", "")
    sql(library, "update auth.config set ip_budget = 3")
    statuses = [client.login("nobody@library.example", "x y z w").status_code for _ in range(3)]
    assert statuses[-1] == 429 and "Too many attempts" in client.last


def test_each_tier_sees_what_rls_allows(admin: ServerProcess, library: str) -> None:
    staff = signed_in(admin.base_url, "staff")
    page = staff.get("/admin/loans").text
    mine = sql(
        library,
        "select count(*) from library.loans l join library.staff_branches s using (branch_id) "
        "join auth.users u on u.id = s.user_id where u.email = 'staff@library.example'",
    )[0][0]
    assert _caption(page).startswith(f"Loans: {mine} row(s)")
    other = sql(
        library,
        "select min(l.id) from library.loans l where l.branch_id not in (select branch_id "
        "from library.staff_branches)",
    )[0][0]
    assert staff.get(f"/admin/loans/{other}/edit").status_code == 404
    assert staff.get(f"/admin/loans/{other}/delete").status_code == 404
    supervisor = signed_in(admin.base_url, "supervisor")
    assert _caption(supervisor.get("/admin/loans").text).startswith("Loans: 150 row(s)")
    patron = signed_in(admin.base_url, "user")
    refused = patron.get("/admin")
    assert refused.status_code == 403 and "No admin access" in refused.text
    assert patron.get("/admin/loans").status_code == 403
    assert patron.get("/admin/account/sessions").status_code == 200
    anonymous = Browserless(admin.base_url).get("/admin/loans")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/admin/login")


def test_csrf_and_cross_site_posts_write_nothing(admin: ServerProcess, library: str) -> None:
    client = signed_in(admin.base_url, "administrator")
    token = csrf(client.get("/admin/loans").text)
    before = sql(library, "select count(*) from library.loans")[0][0]
    body = {"action": "delete", "ids": ["5"], "confirmed": "1"}
    assert client.post("/admin/loans/bulk", body, token="forged").status_code == 403
    assert client.http.post("/admin/loans/bulk", data=body).status_code == 403  # no token at all
    cross = client.post(
        "/admin/loans/bulk", body, token=token, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert cross.status_code == 403 and "Cross-site" in cross.text
    evil = client.post(
        "/admin/loans/bulk", body, token=token, headers={"Origin": "https://evil.example"}
    )
    assert evil.status_code == 403
    other = signed_in(admin.base_url, "supervisor")  # another session's token is no good either
    assert other.post("/admin/loans/bulk", body, token=token).status_code == 403
    assert sql(library, "select count(*) from library.loans")[0][0] == before
    assert client.post("/admin/loans/bulk", body, token=token).status_code == 303
    assert sql(library, "select count(*) from library.loans")[0][0] == before - 1


def test_forged_posts_of_hidden_buttons_get_the_database_refusal(
    admin: ServerProcess, library: str
) -> None:
    staff = signed_in(admin.base_url, "staff")
    page = staff.get("/admin/branches").text
    assert "Add branch" not in page and 'value="delete"' not in page  # no such buttons for staff
    token = csrf(page)
    refused = staff.post("/admin/branches/1/delete", {}, token=token)
    assert refused.status_code == 403 and "permission denied" in refused.text
    assert "correlation id" in refused.text
    bulk = staff.post(
        "/admin/loans/bulk", {"action": "delete", "ids": ["1"], "confirmed": "1"}, token=token
    )
    assert bulk.status_code == 403
    created = staff.post("/admin/branches/new", {"name": "Forged", "is_open": "true"}, token=token)
    assert created.status_code == 403
    assert sql(
        library, "select count(*) from library.branches where id = 1 or name = 'Forged'"
    ) == [(1,)]
    assert sql(library, "select count(*) from library.loans where id = 1") == [(1,)]


def test_buttons_follow_group_permissions(admin: ServerProcess, library: str) -> None:
    """items has group permissions: its delete needs the administrator tier or items.delete. A
    staff member sees the delete buttons only once a group grants items.delete, and the database
    lets that delete through; without the group, the forged delete is refused."""
    item = sql(
        library,
        "select min(id) from library.items where id not in (select item_id from library.loans)",
    )[0][0]
    staff = signed_in(admin.base_url, "staff")
    page = staff.get("/admin/items").text
    assert 'value="delete"' not in page
    assert ">Delete</a>" not in staff.get(f"/admin/items/{item}/edit").text
    token = csrf(page)
    refused = staff.post(f"/admin/items/{item}/delete", {}, token=token)
    assert refused.status_code == 404  # the delete policy hides every row from this staff member
    assert sql(library, "select count(*) from library.items where id = %s", [item]) == [(1,)]
    sql(
        library,
        "insert into auth.groups (name) values ('weeders'); "
        "insert into auth.group_permissions (group_id, codename) "
        "select id, 'items.delete' from auth.groups where name = 'weeders'; "
        "insert into auth.user_groups (user_id, group_id) select u.id, g.id "
        "from auth.users u, auth.groups g "
        "where u.email = 'staff@library.example' and g.name = 'weeders'",
    )
    page = staff.get("/admin/items").text
    assert 'value="delete"' in page
    assert ">Delete</a>" in staff.get(f"/admin/items/{item}/edit").text
    deleted = staff.post(f"/admin/items/{item}/delete", {"confirmed": "1"}, token=csrf(page))
    assert deleted.status_code == 303, deleted.text
    assert sql(library, "select count(*) from library.items where id = %s", [item]) == [(0,)]


def test_bad_input_is_a_4xx_never_a_500(admin: ServerProcess, library: str) -> None:
    client = signed_in(admin.base_url, "administrator")
    cases = {
        "/admin/nosuch": 404,
        "/admin/nosuch/1/edit": 404,
        "/admin/loans/abc/edit": 404,
        "/admin/loans/99999999/edit": 404,
        "/admin/loans?nosuch=1": 400,
        "/admin/loans?status=lost": 400,
        "/admin/loans?branch_id=x": 400,
        "/admin/loans?o=nosuch": 400,
        "/admin/loans?per_page=7": 400,
        "/admin/loans?p=0": 400,
        "/admin/loans?p=999": 404,
        "/admin/loans?q=" + "x" * 5000: 400,
        "/admin/loans?due_at__gte=yesterday": 400,
        "/admin/history?actor=abc": 400,
        "/admin/_lookup/nosuch?q=a": 404,
    }
    for path, status in cases.items():
        response = client.get(path)
        assert response.status_code == status, (path, response.status_code)
        assert "correlation id" in response.text
    token = csrf(client.get("/admin/loans").text)
    many = [str(i) for i in range(1, 10_001)]
    confirm = client.post("/admin/loans/bulk", {"action": "mark_overdue", "ids": many}, token=token)
    assert confirm.status_code == 200 and "10,000" in confirm.text
    too_many = client.post(
        "/admin/loans/bulk", {"action": "mark_overdue", "ids": [*many, "10001"]}, token=token
    )
    assert too_many.status_code == 413
    junk = client.post(
        "/admin/loans/bulk", {"action": "mark_overdue", "ids": ["1; drop"]}, token=token
    )
    assert junk.status_code == 400
    unknown = client.post("/admin/loans/bulk", {"action": "drop_all", "ids": ["1"]}, token=token)
    assert unknown.status_code == 400
    typed = client.post(
        "/admin/loans/1/edit", {"patron_id": "abc", "_version": "", "_original": "{}"}, token=token
    )
    assert typed.status_code == 400 and "Enter a whole number." in typed.text


def test_html_in_data_is_escaped_on_every_page(admin: ServerProcess, library: str) -> None:
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    sql(library, "update library.branches set name = %s, address = %s where id = 1", [evil, evil])
    sql(library, "update library.patrons set full_name = %s where id = 1", [evil])
    client = signed_in(admin.base_url, "administrator")
    for path in (
        "/admin/branches",
        "/admin/branches?q=script",
        "/admin/branches/1/edit",
        "/admin/branches/1/delete",
        "/admin/branches/1/history",
        "/admin/items",
        "/admin/patrons/1/edit",
        "/admin/loans",
        "/admin",
        "/admin/history",
    ):
        page = client.get(path)
        assert page.status_code == 200, path
        assert "<script>alert" not in page.text and "<img src=x" not in page.text, path
    assert "&lt;script&gt;" in client.get("/admin/branches").text


def test_list_search_filter_sort_and_pages(admin: ServerProcess, library: str) -> None:
    sql(
        library,
        "insert into library.items (branch_id, title, kind) "
        "select 1, 'Extra ' || n, 'dvd' from generate_series(1, 300) n",
    )
    client = signed_in(admin.base_url, "administrator")
    page = client.get("/admin/items?q=garden&per_page=25").text
    garden = sql(library, "select count(*) from library.items where title ilike '%%garden%%'")[0][0]
    assert _caption(page).startswith(f"Items: {garden} row(s) matching")
    assert "<mark>Garden</mark>" in page and "Clear all" in page
    filtered = client.get("/admin/loans?status=overdue").text
    overdue = sql(library, "select count(*) from library.loans where status = 'overdue'")[0][0]
    assert _caption(filtered).startswith(f"Loans: {overdue} row(s)")
    assert 'aria-label="Remove filter status"' in filtered
    ordered = client.get("/admin/patrons?o=-full_name").text
    assert 'aria-sort="descending"' in ordered and '<th scope="row">' in ordered
    pages = client.get("/admin/items?per_page=25&p=5").text
    assert 'aria-current="page">5<' in pages and "…" in pages
    masked = client.get("/admin/patrons").text
    assert "@library.example" in masked and "patron1@library.example" not in masked
    empty = client.get("/admin/items?q=zzzzzz").text
    assert "No items match" in empty
    lookup = client.get("/admin/_lookup/patrons?q=ada").json()
    assert lookup["results"] and all("Ada" in r["text"] for r in lookup["results"])


def test_counts_are_planned_beyond_the_threshold(library: str, tmp_path: Path) -> None:
    sql(
        library,
        "insert into library.items (branch_id, title, kind) select 1, 'Bulk ' || n, 'book' "
        "from generate_series(1, 20000) n",
    )
    sql(library, "analyze library.items")
    with admin_server(library, tmp_path) as server:
        client = signed_in(server.base_url, "administrator")
        caption = _caption(client.get("/admin/items").text)
        assert caption.startswith("Items: about "), caption
        exact = _caption(client.get("/admin/items?q=garden").text)
        assert not exact.startswith("Items: about"), exact


def test_add_edit_constraint_errors_and_stale_edits(admin: ServerProcess, library: str) -> None:
    client = signed_in(admin.base_url, "administrator")
    client.get("/admin/patrons/new")
    taken = client.post(
        "/admin/patrons/new",
        {
            "card_number": "C000001",
            "full_name": "Dup Card",
            "email": "dup@x.example",
            "is_active": "true",
        },
    )
    assert taken.status_code == 400
    assert 'id="e-card_number">Another patron already has this card number.' in taken.text
    assert 'value="dup@x.example"' in taken.text  # the input survives
    bad = client.post(
        "/admin/patrons/new",
        {"card_number": "X1", "full_name": "Bad Card", "email": "bad@x.example"},
    )
    assert 'id="e-card_number">Enter a value in the expected format.' in bad.text
    ok = client.post(
        "/admin/patrons/new",
        {
            "card_number": "C999999",
            "full_name": "New Patron",
            "email": "new@x.example",
            "is_active": "true",
        },
    )
    assert ok.status_code == 303
    form = client.get("/admin/loans/3/edit").text
    fields = {
        "_version": hidden(form, "_version"),
        "_original": hidden(form, "_original"),
        "patron_id": "9",
        "item_id": "3",
        "branch_id": hidden(form, "branch_id") if 'name="branch_id" value' in form else "4",
        "status": "active",
        "due_at": "2026-12-24T10:00",
        "returned_at": "",
    }
    sql(library, "update library.loans set status = 'overdue' where id = 3")  # someone else
    stale = client.post("/admin/loans/3/edit", fields)
    assert stale.status_code == 409 and "What changed since you opened the form" in stale.text
    assert re.search(r"<th scope=\"row\">status</th><td>\w+</td><td>overdue</td>", stale.text)
    assert (
        sql(library, "select patron_id, status from library.loans where id = 3")[0][1] == "overdue"
    )
    fields.update(
        _version=hidden(stale.text, "_version"), _original=hidden(stale.text, "_original")
    )
    saved = client.post("/admin/loans/3/edit", fields)
    assert saved.status_code == 303
    assert sql(library, "select patron_id, status from library.loans where id = 3") == [
        (9, "active")
    ]


def test_delete_with_cascade_preview(admin: ServerProcess, library: str) -> None:
    client = signed_in(admin.base_url, "administrator")
    preview = client.get("/admin/branches/1/delete").text
    assert "staff branches will be deleted too" in preview
    assert "the database will refuse the delete" in preview  # items and loans restrict
    sql(library, "delete from library.loans where branch_id = 5")
    sql(library, "delete from library.items where branch_id = 5")
    sql(library, "insert into library.staff_branches (user_id, branch_id) values (1, 5)")
    page = client.get("/admin/branches/5/delete").text
    assert "1 staff branches will be deleted too" in page
    assert client.post("/admin/branches/5/delete", {}).status_code == 303
    assert sql(library, "select count(*) from library.staff_branches where branch_id = 5") == [(0,)]
    blocked = client.post("/admin/branches/1/delete", {}, token=csrf(page))
    assert blocked.status_code == 409


def test_bulk_action_reports_each_skipped_row(admin: ServerProcess, library: str) -> None:
    states = dict(sql(library, "select id, status from library.loans where id in (1, 7, 10)"))
    assert states == {1: "active", 7: "overdue", 10: "returned"}
    client = signed_in(admin.base_url, "supervisor")
    token = csrf(client.get("/admin/loans").text)
    body = {"action": "mark_overdue", "ids": ["1", "2", "7", "10", "99999"]}
    confirm = client.post("/admin/loans/bulk", body, token=token)
    assert confirm.status_code == 200 and "Mark these loans overdue?" in confirm.text
    result = client.post("/admin/loans/bulk", {**body, "confirmed": "1"}, token=token)
    assert texts(result.text, r'id="bulk-message">([^<]+)') == [
        "Marked 2 of 5 loans overdue (3 skipped)."
    ]
    reasons = texts(result.text, r"<td>([^<]+)</td>")
    assert reasons == [
        "already overdue",
        "already returned — cannot be marked overdue",
        "loan no longer exists",
    ]
    across = client.post(
        "/admin/loans/bulk",
        {"action": "mark_returned", "select_across": "1", "_query": "?status=overdue"},
        token=token,
    )
    overdue = sql(library, "select count(*) from library.loans where status = 'overdue'")[0][0]
    assert f"<strong>{overdue}</strong> row(s), every row matching" in across.text
    done = client.post(
        "/admin/loans/bulk",
        {
            "action": "mark_returned",
            "select_across": "1",
            "_query": "?status=overdue",
            "confirmed": "1",
        },
        token=token,
    )
    assert f"Marked {overdue} of {overdue} loans returned (0 skipped)." in done.text
    assert sql(library, "select count(*) from library.loans where status = 'overdue'") == [(0,)]


def test_history_diff_and_restore(admin: ServerProcess, library: str) -> None:
    client = signed_in(admin.base_url, "administrator")
    form = client.get("/admin/branches/2/edit").text
    fields = {"_version": hidden(form, "_version"), "_original": hidden(form, "_original")}
    changed = client.post(
        "/admin/branches/2/edit",
        {**fields, "name": "Northside Renamed", "address": "14 North Road", "is_open": "true"},
    )
    assert changed.status_code == 303
    page = client.get("/admin/branches/2/history").text
    assert "<td>Northside</td><td>Northside Renamed</td>" in page and "via admin" in page
    event = re.findall(r"/history/(\d+)/restore", page)
    assert event, "a restore button for the earlier version"
    restored = client.post(f"/admin/branches/2/history/{event[-1]}/restore", {})
    assert restored.status_code == 303
    assert sql(library, "select name from library.branches where id = 2") == [("Northside",)]
    updates = sql(
        library,
        "select count(*) from audit.events where target_table = 'library.branches' "
        "and target_id = '2' "
        "and event = 'update' and correlation_id like 'adm-%%'",
    )
    assert updates == [(2,)]  # the restore is an ordinary audited update through the admin
    staff = signed_in(admin.base_url, "staff")
    assert staff.get("/admin/branches/2/history").status_code == 403
    assert staff.get("/admin/history").status_code == 403
    global_page = client.get("/admin/history?resource=library.branches").text
    assert "library.branches#2" in global_page


def test_csv_export_streams_every_visible_row(admin: ServerProcess, library: str) -> None:
    staff = signed_in(admin.base_url, "staff")
    response = staff.get("/admin/loans/export.csv")
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.text.strip("\n").split("\n")
    assert lines[0].startswith("id,patron_id")
    visible = _caption(staff.get("/admin/loans").text).split(" ")[1]
    assert len(lines) - 1 == int(visible)
    filtered = staff.get("/admin/loans/export.csv?status=active").text.strip("\n").split("\n")
    assert all(",active," in line for line in filtered[1:])
    patrons = signed_in(admin.base_url, "administrator").get("/admin/patrons/export.csv").text
    assert "email" not in patrons.split("\n")[0]  # masked fields stay out of exports


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


@pytest.mark.slow
def test_csv_export_of_100k_rows_keeps_memory_flat(library: str, tmp_path: Path) -> None:
    sql(
        library,
        "insert into library.items (branch_id, title, kind, isbn) select 1 + n %% 5, "
        "'Export row ' || n || ' with a longer title to make the rows wider', 'book', null "
        "from generate_series(1, 100000) n",
    )
    with admin_server(library, tmp_path) as server:
        client = signed_in(server.base_url, "administrator")
        client.get("/admin/items/export.csv?kind=dvd")  # warm up every code path
        baseline = _rss_kib(server.process.pid)
        size, rows = 0, 0
        with client.http.stream("GET", "/admin/items/export.csv") as response:
            for chunk in response.iter_bytes():
                size += len(chunk)
                rows += chunk.count(b"\n")
        grown = _rss_kib(server.process.pid) - baseline
    assert rows >= 100_000 and size > 8_000_000
    assert grown < 20_000, f"the server grew by {grown} KiB while streaming {size} bytes"


def test_read_only_mode_refuses_mutations(library: str, tmp_path: Path) -> None:
    with admin_server(library, tmp_path, env={"PGWARDEN_ADMIN_READ_ONLY": "1"}) as server:
        client = signed_in(server.base_url, "administrator")  # the auth flows still work
        page = client.get("/admin/loans").text
        assert "Read-only mode" in page and "Add loan" not in page
        refused = client.post(
            "/admin/branches/1/edit", {"name": "Changed", "_version": "", "_original": "{}"}
        )
        assert refused.status_code == 403 and "read-only" in refused.text
        assert client.post("/admin/loans/1/delete", {}, token=csrf(page)).status_code == 403
        assert sql(library, "select count(*) from library.loans where id = 1") == [(1,)]


def test_must_change_password_is_held_at_the_password_page(
    admin: ServerProcess, library: str
) -> None:
    sql(
        library,
        "update auth.users set must_change_password = true where email = 'staff@library.example'",
    )
    client = signed_in(admin.base_url, "staff")
    held = client.get("/admin/loans")
    assert held.status_code == 303 and held.headers["location"] == "/admin/password_change"
    page = client.get("/admin/password_change").text
    assert "You must choose a new password" in page
    new = "a brand new password 77"
    wrong = client.post(
        "/admin/password_change",
        {"current_password": "wrong one", "new_password": new, "new_password_again": new},
    )
    assert wrong.status_code == 400 and "The current password is wrong." in wrong.text
    from admin_support import PASSWORD

    changed = client.post(
        "/admin/password_change",
        {"current_password": PASSWORD, "new_password": new, "new_password_again": new},
    )
    assert changed.status_code == 303
    assert client.get("/admin/loans").status_code == 200


def test_sessions_revoke_one_others_and_all(admin: ServerProcess, library: str) -> None:
    first = signed_in(admin.base_url, "staff")
    second = signed_in(admin.base_url, "staff")
    third = signed_in(admin.base_url, "staff")
    page = first.get("/admin/account/sessions").text
    ids = [int(i) for i in re.findall(r"/admin/account/sessions/(\d+)/revoke", page)]
    assert len(ids) == 2  # the two others; the current one has no revoke button
    assert first.post(f"/admin/account/sessions/{max(ids)}/revoke", {}).status_code == 303
    assert third.get("/admin/loans").status_code == 303  # the newest session (third) is gone
    assert second.get("/admin/loans").status_code == 200
    first.get("/admin/account/sessions")
    assert first.post("/admin/account/sessions/revoke-others", {}).status_code == 303
    assert second.get("/admin/loans").status_code == 303
    first.get("/admin/account/sessions")
    assert first.post("/admin/account/sessions/revoke-all", {}).status_code == 303
    assert first.get("/admin/loans").status_code == 303
    revoked = sql(
        library,
        "select count(*) from auth.sessions s join auth.users u on u.id = s.user_id "
        "where u.email = 'staff@library.example' and s.revoked_at is null",
    )
    assert revoked == [(0,)]


def test_security_headers_and_error_pages(admin: ServerProcess) -> None:
    client = signed_in(admin.base_url, "administrator")
    response = client.get("/admin/loans")
    policy = response.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy)
    assert nonce and f'nonce="{nonce.group(1)}"' in response.text
    assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    assert client.get("/admin/loans").headers["content-security-policy"] != policy  # fresh nonce
    missing = client.get("/admin/loans/123456/edit")
    cid = missing.headers["x-correlation-id"]
    assert missing.status_code == 404 and cid in missing.text and "Traceback" not in missing.text
    logout = client.post("/admin/logout", {})
    assert logout.status_code == 303 and client.get("/admin").status_code == 303


def test_admin_issues_no_sql_and_never_imports_rest() -> None:
    """Row access cannot bypass the REST dialect: the admin package opens no connection, holds
    no SQL text and imports neither psycopg, the pool nor webui.rest (identity pages call the
    auth room's functions)."""
    forbidden_modules = ("psycopg", "webui.core.pool", "webui.rest", "webui.ops")
    sql_words = re.compile(r"\b(select|insert|update|delete)\b.+\b(from|into|set|where)\b", re.I)
    for path in ADMIN_DIR.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = (
                    [node.module or ""]
                    if isinstance(node, ast.ImportFrom)
                    else [a.name for a in node.names]
                )
                for name in names:
                    assert not name.startswith(forbidden_modules), f"{path.name} imports {name}"
                if isinstance(node, ast.ImportFrom) and node.module == "webui.core.db":
                    assert [a.name for a in node.names] == ["SETTINGS"], path.name  # not POOL
            if isinstance(node, ast.Attribute):
                assert node.attr not in ("execute_sql", "cursor", "POOL"), (
                    f"{path.name}: {node.attr}"
                )
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert not sql_words.search(node.value), (
                    f"{path.name} holds SQL: {node.value[:60]!r}"
                )


def test_admin_against_a_separate_rest_process(library: str, tmp_path: Path) -> None:
    """The in-process dialect exposes only `api`; the admin works because it talks to a
    separately started `pgwarden rest` (PGWARDEN_ADMIN_REST_URL) exposing the library."""
    import subprocess
    import sys
    import time
    import urllib.request

    from webui.testing import free_port, running_server

    port = free_port()
    env = {
        **__import__("os").environ,
        "DATABASE_URL": library,
        "PGRST_DB_SCHEMAS": "library,audit",
        "PGRST_JWT_SECRET": "separate-rest-secret-" + "s" * 32,
    }
    log = (tmp_path / "rest.log").open("wb")
    rest = subprocess.Popen(
        [sys.executable, "-m", "webui.cli", "rest", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=log,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        admin_env = {
            "PGRST_DB_SCHEMAS": "api",
            "PGWARDEN_ADMIN_REST_URL": f"http://127.0.0.1:{port}",
        }
        with running_server(library, tmp_path, env=admin_env) as server:
            client = signed_in(server.base_url, "staff")
            page = client.get("/admin/loans")
            assert page.status_code == 200 and _caption(page.text).startswith("Loans: 60 row(s)")
            in_process = urllib.request.Request(
                f"{server.base_url}/rest/v1/loans", headers={"Accept-Profile": "library"}
            )
            with pytest.raises(urllib.error.HTTPError):
                urllib.request.urlopen(in_process, timeout=5)
    finally:
        rest.terminate()
        rest.wait(timeout=10)
        log.close()


def test_admin_options_are_checked_with_file_line_and_fix(tmp_path: Path) -> None:
    from webui.cli import main

    source = (Path(__file__).parents[1] / "policies" / "library.toml").read_text()
    broken = source.replace("list_per_page = 50", "list_per_page = 7").replace(
        'search_fields = ["full_name", "card_number"]',
        'search_fields = ["full_nam"]\nlist_dispaly = []',
    )
    (tmp_path / "library.toml").write_text(broken)
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["policies", "check", "--strict", "--dir", str(tmp_path)])
    text = out.getvalue()
    assert code != 0
    line = broken.splitlines().index("list_per_page = 7") + 1
    assert f"library.toml:{line}: resource 'items', key admin.list_per_page" in text
    assert "use one of 25, 50, 100, 200" in text
    assert "'full_nam' is not a field of patrons; fix: did you mean 'full_name'?" in text
    assert "unknown admin option 'list_dispaly'; fix: did you mean 'list_display'?" in text
