"""`pgwarden user|group|perm|session` against a real database: the CLI acts as the owner (like a
DBA), so the SQL triggers audit its changes and revoke sessions; database refusals are one clear
line and exit 1. Doctrine: docs/identity.md."""

from __future__ import annotations

import os
import subprocess
import sys

from webui.testing import ServerProcess
from webui.testing.auth import Client, create_user, sql

PASSWORD = "correct horse battery"


def pgwarden(db_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "webui.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": db_url},
        timeout=60,
        check=False,
    )


def test_user_lifecycle(db_url: str) -> None:
    made = pgwarden(
        db_url,
        "user",
        "create",
        "--email",
        " Ada@Example.com",
        "--role",
        "administrator",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert made.returncode == 0, made.stderr
    assert "created user" in made.stdout and "<ada@example.com>" in made.stdout
    hashed = sql(
        db_url, "select password_hash like '$argon2id$%%', must_change_password from auth.users"
    )
    assert hashed == [(True, False)]
    weak = pgwarden(
        db_url, "user", "create", "--email", "w@example.com", "--password-stdin", stdin="short\n"
    )
    assert weak.returncode == 1 and "at least 10 characters" in weak.stderr
    generated = pgwarden(db_url, "user", "create", "--email", "gen@example.com", "--generate")
    assert generated.returncode == 0 and "temporary password" in generated.stdout
    assert sql(
        db_url, "select must_change_password from auth.users where email = 'gen@example.com'"
    ) == [(True,)]
    listing = pgwarden(db_url, "user", "list")
    assert "ada@example.com" in listing.stdout and "administrator" in listing.stdout
    last = pgwarden(db_url, "user", "deactivate", "--email", "ada@example.com")
    assert last.returncode == 1
    assert last.stderr.strip() == "pgwarden: At least one active administrator must remain."
    assert pgwarden(db_url, "user", "delete", "--email", "gen@example.com").returncode == 1
    assert pgwarden(db_url, "user", "delete", "--email", "gen@example.com", "--yes").returncode == 0
    unknown = pgwarden(db_url, "user", "set-role", "--email", "nobody@example.com", "staff")
    assert unknown.returncode == 1 and "no user with email" in unknown.stderr
    events = sql(db_url, "select event from audit.events where event like 'user_%%' order by id")
    assert [e[0] for e in events] == ["user_created", "user_created", "user_deleted"]
    correlation = sql(
        db_url,
        "select count(distinct correlation_id) from audit.events where event = 'user_created'",
    )
    assert correlation == [(2,)], "each command stamps its own correlation id"


async def test_cli_role_change_and_revoke_kill_live_sessions(
    server: ServerProcess, db_url: str
) -> None:
    create_user(db_url, "sam@example.com", PASSWORD)
    client = Client(server.base_url)
    assert (await client.login("sam@example.com", PASSWORD)).status == 200
    assert (
        pgwarden(db_url, "user", "set-role", "--email", "sam@example.com", "staff").returncode == 0
    )
    assert (await client.request("GET", "/auth/me")).status == 401
    assert (await client.login("sam@example.com", PASSWORD)).status == 200
    listed = pgwarden(db_url, "session", "list", "--email", "sam@example.com")
    assert listed.stdout.count("sam@example.com") == 1
    revoked = pgwarden(db_url, "session", "revoke", "--email", "sam@example.com")
    assert revoked.stdout.startswith("revoked 1 session(s)")
    assert (await client.request("GET", "/auth/me")).status == 401
    assert sql(db_url, "select revoked_reason from auth.sessions order by id") == [
        ("role_changed_by_other",),
        ("administrative_revoke",),
    ]
    assert (
        pgwarden(
            db_url,
            "user",
            "set-password",
            "--email",
            "sam@example.com",
            "--password-stdin",
            stdin="a new long password\n",
        ).returncode
        == 0
    )
    assert (await client.login("sam@example.com", "a new long password")).status == 200


def test_groups_and_permissions(db_url: str) -> None:
    create_user(db_url, "ed@example.com", None)
    sql(db_url, "select auth.register_resource('books')")
    assert pgwarden(db_url, "group", "create", "auditors").returncode == 0
    assert (
        pgwarden(db_url, "group", "add-user", "editor", "--email", "ed@example.com").returncode == 0
    )
    assert (
        pgwarden(db_url, "perm", "grant", "books.delete", "--email", "ed@example.com").returncode
        == 0
    )
    assert pgwarden(db_url, "perm", "grant", "users.view", "--group", "auditors").returncode == 0
    bad = pgwarden(db_url, "perm", "grant", "books.read", "--email", "ed@example.com")
    assert bad.returncode == 1 and "unknown permission" in bad.stderr
    effective = pgwarden(db_url, "perm", "list", "--email", "ed@example.com").stdout
    assert [line.split()[0] for line in effective.splitlines()[1:]] == [
        "books.add",
        "books.change",
        "books.delete",
        "books.view",
    ]
    assert "direct" in effective and "group:editor" in effective
    groups = pgwarden(db_url, "group", "list").stdout
    assert "auditors" in groups and "editor" in groups
    assert (
        pgwarden(db_url, "perm", "revoke", "books.delete", "--email", "ed@example.com").returncode
        == 0
    )
    assert (
        pgwarden(db_url, "group", "remove-user", "editor", "--email", "ed@example.com").returncode
        == 0
    )
    events = sql(
        db_url,
        "select event, coalesce(metadata ->> 'codename', metadata ->> 'change',"
        " metadata ->> 'name') from audit.events where event in ('group_created',"
        " 'group_membership_changed', 'permission_revoked')"
        " or (event = 'permission_granted' and metadata ->> 'codename' in"
        " ('books.delete', 'users.view')) order by id",
    )
    assert events == [
        ("group_created", "auditors"),
        ("group_membership_changed", "added"),
        ("permission_granted", "books.delete"),
        ("permission_granted", "users.view"),
        ("permission_revoked", "books.delete"),
        ("group_membership_changed", "removed"),
    ]


def test_session_purge_keeps_live_and_recent(db_url: str) -> None:
    uid = create_user(db_url, "old@example.com", None)
    for age in ("0", "10 days"):
        sql(db_url, "update auth.config set clock_offset = %s::interval * -1", [age])
        sql(
            db_url,
            "insert into auth.sessions (user_id, token_hash, created_at, last_seen_at,"
            " idle_expires_at, absolute_expires_at) values (%s,"
            " sha256(gen_random_uuid()::text::bytea), auth.now(), auth.now(),"
            " auth.now() + interval '30 minutes', auth.now() + interval '12 hours')",
            [uid],
        )
    sql(db_url, "update auth.config set clock_offset = '0'")
    purged = pgwarden(db_url, "session", "purge")
    assert purged.returncode == 0 and purged.stdout.startswith("purged 1 session(s)")
    assert sql(db_url, "select count(*) from auth.sessions") == [(1,)]
    assert pgwarden(db_url, "session", "purge", "--keep-days", "-1").returncode == 1
