"""Reads on a real streaming hot standby, with read-your-writes (docs/operations.md#read-replicas).

A standby made by `pg_basebackup -R` from the test cluster runs for this module; each test's
database is created on the primary after it started and reaches it by streaming replication.
`pgwarden serve` gets `PGWARDEN_READ_DATABASE_URL`; what served a read is seen from inside the
request (`pg_is_in_recovery()` in a view and a stable function)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from webui.testing import ServerProcess, running_server
from webui.testing.auth import create_user
from webui.testing.standby import Standby, running_standby

pytestmark = pytest.mark.slow

FIXTURE_SQL = """
create table api.rr_notes (
  id bigserial primary key,
  owner bigint not null default auth.uid(),
  body text not null
);
alter table api.rr_notes enable row level security;
alter table api.rr_notes force row level security;
create policy rr_own on api.rr_notes using (owner = auth.uid()) with check (owner = auth.uid());
grant select, insert on api.rr_notes to pgw_user;
grant usage on sequence api.rr_notes_id_seq to pgw_user;
create view api.rr_seen with (security_invoker = true) as
  select n.id, n.owner, n.body, pg_catalog.pg_is_in_recovery() as on_standby from api.rr_notes n;
grant select on api.rr_seen to pgw_user;
create function api.rr_where() returns boolean language sql stable
  as 'select pg_catalog.pg_is_in_recovery()';
create function api.rr_where_volatile() returns boolean language sql volatile
  as 'select pg_catalog.pg_is_in_recovery()';
grant execute on function api.rr_where(), api.rr_where_volatile() to pgw_anon, pgw_user;
"""
PASSWORD = "a long password for replica tests"


@pytest.fixture(scope="module")
def standby() -> Iterator[Standby]:
    from conftest import server_url  # the test server (cluster or PGWARDEN_TEST_DATABASE_URL)

    url = server_url("postgres")
    host = str(conninfo_to_dict(url).get("host") or "")
    if not host.startswith("/"):
        pytest.skip("the standby is made over the test cluster's trusted Unix socket")
    with running_standby(url) as made:
        yield made


@pytest.fixture
def app(standby: Standby, db: psycopg.Connection, db_url: str, tmp_path: Path) -> Iterator[App]:
    db.autocommit = True
    db.execute(FIXTURE_SQL)
    dbname = db.info.dbname
    standby.wait_replayed(db_url)
    with serving(standby, db_url, dbname, tmp_path, max_lag="60") as started:
        yield started


class App:
    def __init__(self, server: ServerProcess, standby: Standby, db_url: str, dbname: str) -> None:
        self.server, self.standby, self.db_url, self.dbname = server, standby, db_url, dbname

    @contextmanager
    def client(self, email: str) -> Iterator[httpx.Client]:
        """A signed-in client (its cookie jar holds pgw_session and pgw_lsn)."""
        with httpx.Client(base_url=self.server.base_url, timeout=30) as http:
            reply = http.post("/auth/login", json={"email": email, "password": PASSWORD})
            assert reply.status_code == 200, reply.text
            yield http

    def standby_sql(self, statement: str) -> None:
        with psycopg.connect(self.standby.url(self.dbname), autocommit=True) as conn:
            conn.execute(statement)

    def replayed(self) -> None:
        self.standby.wait_replayed(self.db_url)


@contextmanager
def serving(
    standby: Standby, db_url: str, dbname: str, tmp_path: Path, max_lag: str
) -> Iterator[App]:
    env = {
        "PGWARDEN_READ_DATABASE_URL": standby.url(dbname, user="authenticator"),
        "PGWARDEN_READ_MAX_LAG": max_lag,
        "PGRST_DB_SCHEMAS": "api",
    }
    with running_server(db_url, tmp_path, env=env) as server:
        yield App(server, standby, db_url, dbname)


def _seen(http: httpx.Client, **headers: str) -> list[dict[str, object]]:
    reply = http.get("/rest/v1/rr_seen", params={"order": "id"}, headers=headers)
    assert reply.status_code == 200, reply.text
    return list(reply.json())


def _on_standby(http: httpx.Client) -> bool:
    reply = http.get("/rest/v1/rpc/rr_where")
    assert reply.status_code == 200, reply.text
    return bool(reply.json())


def test_reads_are_served_by_the_standby_and_writes_by_the_primary(app: App) -> None:
    create_user(app.db_url, "reader@example.com", PASSWORD)
    with app.client("reader@example.com") as http:
        wrote = http.post("/rest/v1/rr_notes", json={"body": "first"})
        assert wrote.status_code == 201, wrote.text
        assert wrote.headers.get("Pgwarden-Lsn") and http.cookies.get("pgw_lsn")
        app.replayed()
        time.sleep(0.3)  # the server's standby probe is at most 0.25 s old
        rows = _seen(http)
        assert [r["body"] for r in rows] == ["first"] and rows[0]["on_standby"] is True
        assert _on_standby(http) is True
        # an RPC of a stable function reads on the standby with POST too; a volatile one not
        assert http.post("/rest/v1/rpc/rr_where", json={}).json() is True
        assert http.post("/rest/v1/rpc/rr_where_volatile", json={}).json() is False
        # HEAD, with a count, on the standby as well
        head = http.head("/rest/v1/rr_seen", headers={"Prefer": "count=exact"})
        assert head.status_code == 200 and head.headers["Content-Range"].endswith("/1")


def test_a_client_reads_its_own_write_while_the_standby_replay_is_paused(app: App) -> None:
    create_user(app.db_url, "writer@example.com", PASSWORD)
    with app.client("writer@example.com") as writer, app.client("writer@example.com") as other:
        app.replayed()
        app.standby_sql("select pg_wal_replay_pause()")
        try:
            wrote = writer.post("/rest/v1/rr_notes", json={"body": "mine"})
            assert wrote.status_code == 201, wrote.text
            time.sleep(0.3)
            # the writer (its signed pgw_lsn cookie) reads on the primary and sees the write
            rows = _seen(writer)
            assert [r["body"] for r in rows] == ["mine"] and rows[0]["on_standby"] is False
            # another client of the same user, without that position, reads the paused standby
            assert _seen(other) == []
            assert _on_standby(other) is True
            # an API client opts in by sending the header back (here without the cookie)
            token = writer.cookies["pgw_session"]
            bearer = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=app.server.base_url, timeout=30) as api:
                lsn = wrote.headers["Pgwarden-Lsn"]
                seen = _seen(api, **bearer, **{"Pgwarden-Lsn": lsn})
                assert [r["body"] for r in seen] == ["mine"]
                assert seen[0]["on_standby"] is False
                # a forged position is ignored (the standby serves it), never an error
                forged = lsn.split(".")[0] + "." + "0" * 32
                assert _seen(api, **bearer, **{"Pgwarden-Lsn": forged}) == []
        finally:
            app.standby_sql("select pg_wal_replay_resume()")
        app.replayed()
        time.sleep(0.3)
        rows = _seen(writer)  # replayed past the write: back on the standby
        assert [r["body"] for r in rows] == ["mine"] and rows[0]["on_standby"] is True


def test_rls_and_session_revocation_hold_on_the_standby(app: App) -> None:
    create_user(app.db_url, "ann@example.com", PASSWORD)
    create_user(app.db_url, "bob@example.com", PASSWORD)
    with app.client("ann@example.com") as ann, app.client("bob@example.com") as bob:
        assert ann.post("/rest/v1/rr_notes", json={"body": "ann's"}).status_code == 201
        assert bob.post("/rest/v1/rr_notes", json={"body": "bob's"}).status_code == 201
        app.replayed()
        time.sleep(0.3)
        seen = _seen(ann)
        assert [r["body"] for r in seen] == ["ann's"] and seen[0]["on_standby"] is True
        assert [r["body"] for r in _seen(bob)] == ["bob's"]
        token = ann.cookies["pgw_session"]
        assert ann.post("/auth/logout", json={}).status_code == 200
    app.replayed()
    time.sleep(0.3)
    with httpx.Client(base_url=app.server.base_url, timeout=30) as api:
        # the revoked token, on the standby's path (no written position): refused
        reply = api.get("/rest/v1/rr_seen", headers={"Authorization": f"Bearer {token}"})
        assert reply.status_code == 401, reply.text
        assert api.get("/rest/v1/rpc/rr_where").json() is True  # that path was the standby's


def test_sessions_used_on_the_standby_are_touched_on_the_primary(app: App) -> None:
    user = create_user(app.db_url, "toucher@example.com", PASSWORD)
    with app.client("toucher@example.com") as http:
        app.replayed()
        with psycopg.connect(app.db_url, autocommit=True) as conn:
            conn.execute(
                "update auth.sessions set last_seen_at = last_seen_at - interval '1 hour'"
                " where user_id = %s",
                [user],
            )
        app.replayed()
        time.sleep(0.3)
        assert _seen(http) == []  # served by the standby: no write there, no error
        assert _on_standby(http) is True
        deadline = time.monotonic() + 10
        with psycopg.connect(app.db_url, autocommit=True) as conn:
            while time.monotonic() < deadline:
                row = conn.execute(
                    "select last_seen_at > now() - interval '1 minute' from auth.sessions"
                    " where user_id = %s",
                    [user],
                ).fetchone()
                if row and row[0]:
                    break
                time.sleep(0.2)
            else:
                pytest.fail("the session used on the standby was never touched on the primary")


def test_a_standby_lagging_past_the_bound_is_skipped(
    standby: Standby, db: psycopg.Connection, db_url: str, tmp_path: Path
) -> None:
    db.autocommit = True
    db.execute(FIXTURE_SQL)
    standby.wait_replayed(db_url)
    with (
        serving(standby, db_url, db.info.dbname, tmp_path, max_lag="1") as app,
        httpx.Client(base_url=app.server.base_url, timeout=30) as anon,
    ):
        time.sleep(0.3)
        assert _on_standby(anon) is True
        app.standby_sql("select pg_wal_replay_pause()")
        try:
            for _ in range(3):  # WAL the standby receives and does not replay
                db.execute("insert into api.rr_notes (owner, body) values (0, 'x')")
                time.sleep(0.6)
            assert _on_standby(anon) is False
        finally:
            app.standby_sql("select pg_wal_replay_resume()")
        app.replayed()
        time.sleep(0.3)
        assert _on_standby(anon) is True


def test_stopping_the_standby_mid_run_keeps_answers_flowing(
    db: psycopg.Connection, db_url: str, tmp_path: Path
) -> None:
    """A standby of its own (this one is stopped): reads go on, on the primary, with no 5xx."""
    db.autocommit = True
    db.execute(FIXTURE_SQL)
    if not str(conninfo_to_dict(db_url).get("host") or "").startswith("/"):
        pytest.skip("the standby is made over the test cluster's trusted Unix socket")
    with running_standby(db_url) as own:
        own.wait_replayed(db_url)
        with serving(own, db_url, db.info.dbname, tmp_path, max_lag="60") as app:
            statuses: list[int] = []
            where: list[bool] = []
            stop = threading.Event()

            def reader() -> None:
                with httpx.Client(base_url=app.server.base_url, timeout=30) as anon:
                    while not stop.is_set():
                        reply = anon.get("/rest/v1/rpc/rr_where")
                        statuses.append(reply.status_code)
                        if reply.status_code == 200:
                            where.append(bool(reply.json()))

            thread = threading.Thread(target=reader)
            thread.start()
            try:
                time.sleep(1.0)
                own.stop("immediate")
                time.sleep(2.0)
            finally:
                stop.set()
                thread.join(timeout=30)
            assert statuses and set(statuses) == {200}, sorted(set(statuses))
            assert where[0] is True and where[-1] is False  # standby first, then the primary
