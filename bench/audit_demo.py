"""Realistic audit events, and docs/audit-queries.md rendered from real query output.

    .venv/bin/python bench/audit_demo.py            # build pgw_audit_demo, print the queries
    .venv/bin/python bench/audit_demo.py --write    # also rewrite docs/audit-queries.md

Builds the scratch database `pgw_audit_demo` on DATABASE_URL's server (default: the project's
test cluster), deploys every migration, and plays the library example through the shipped paths
(see play()). Then it runs QUERIES with psql and prints their output.
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import psycopg
from psycopg.conninfo import conninfo_to_dict

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.audit_insert import server_url  # noqa: E402
from webui.testing import deploy_all, run_cli, running_server, url_for_database  # noqa: E402

DB_NAME = "pgw_audit_demo"

STAFF_REQUEST = "req_staff_returns_loan_1"  # the X-Correlation-Id of one REST request
PASSWORD_LINE = re.compile(r"^\s+(\w+)\s+(\S+@library\.example)\s+(\S+)$")


def play(url: str) -> None:
    """The library back office through the shipped paths only: `pgwarden example load`, logins
    over HTTP (wrong passwords until the lock, unknown emails), staff writes through /rest/v1 with
    a session token, a logout, administration with `pgwarden session|user|perm|group`, a DBA's
    psql edits, and `pgwarden audit seal` between them."""
    cli = functools.partial(_cli, url)
    loaded = cli("example", "load", "library", "--reset-passwords")
    passwords = {m[2]: m[3] for m in map(PASSWORD_LINE.match, loaded.splitlines()) if m}
    with tempfile.TemporaryDirectory() as logs, running_server(url, Path(logs)) as server:
        _over_http(server.base_url, passwords)
    cli("session", "revoke", "--email", "staff@library.example")
    cli("user", "set-role", "--email", "supervisor@library.example", "administrator")
    cli("perm", "grant", "--email", "staff@library.example", "loans.delete")
    cli("group", "add-user", "editor", "--email", "staff@library.example")
    psql(url, "update library.loans set due_at = due_at + interval '14 days' where id = 3;")
    cli("audit", "seal")
    psql(url, "update library.loans set status = 'overdue' where id = 4;")


def _cli(url: str, *args: str) -> str:
    done = run_cli(*args, database_url=url)
    if done.returncode != 0:
        raise RuntimeError(f"pgwarden {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def _over_http(base: str, passwords: dict[str, str]) -> None:
    with httpx.Client(base_url=base, timeout=30) as http:
        for _ in range(6):  # the fifth locks the account, the sixth meets the lock
            http.post("/auth/login", json={"email": "user@library.example", "password": "guess"})
        for email in ("ghost@library.example", "admin@library.example"):
            http.post("/auth/login", json={"email": email, "password": "guess"})
        staff = _session(http, "staff@library.example", passwords)
        returned = {"status": "returned", "returned_at": "2026-11-30T10:00:00Z"}
        headers = {**staff, "X-Correlation-Id": STAFF_REQUEST}
        http.patch("/rest/v1/loans?id=eq.1", json=returned, headers=headers).raise_for_status()
        renewed = {"due_at": "2026-12-24T17:00:00Z"}
        http.patch("/rest/v1/loans?id=eq.2", json=renewed, headers=staff).raise_for_status()
        patron = {"full_name": "Ada King, Countess of Lovelace"}
        http.patch("/rest/v1/patrons?id=eq.1", json=patron, headers=staff).raise_for_status()
        supervisor = _session(http, "supervisor@library.example", passwords)
        http.post("/auth/logout", json={}, headers=supervisor).raise_for_status()


def _session(http: httpx.Client, email: str, passwords: dict[str, str]) -> dict[str, str]:
    answer = http.post(
        "/auth/login", json={"email": email, "password": passwords[email], "cookie": False}
    )
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['token']}"}


QUERIES: list[tuple[str, str, str]] = [
    (
        "Who changed this row, and when?",
        "Every change of loan 3, oldest first: the app user, the command (`cli`, with the OS "
        "user who ran it) or the database role of a DBA edit, the request, and the changed "
        "columns.",
        """select id, occurred_at::timestamptz(0), event,
       coalesce('user ' || actor_id, 'cli ' || (metadata ->> 'os_actor'), 'db ' || db_role) as by,
       coalesce(set_role, db_role) as via, metadata ->> 'cli_operation' as command,
       array(select jsonb_array_elements_text(metadata -> 'changed')) as changed
  from audit.events
 where target_table = 'library.loans' and target_id = '3'
 order by id;""",
    ),
    (
        "Everything one request did",
        "All events of one correlation id (the `X-Correlation-Id` a user quotes from an "
        "error page, or a client sent).",
        f"""select id, event, actor_id, set_role, target_table, target_id, metadata
  from audit.events
 where correlation_id = '{STAFF_REQUEST}'
 order by id;""",
    ),
    (
        "Failed logins per IP in the last hour",
        "Unknown emails included (they have no account, so no `target_id`: the reason and a "
        "fingerprint of the email tell them apart). These events are committed although the "
        "login fails.",
        """select client_ip, count(*) as failures,
       count(*) filter (where metadata ->> 'reason' = 'unknown_user') as unknown_emails,
       count(distinct coalesce(target_id, metadata ->> 'email_fingerprint')) as accounts,
       max(occurred_at)::timestamptz(0) as last_seen
  from audit.events
 where event = 'login_failed' and occurred_at > now() - interval '1 hour'
 group by client_ip
 order by failures desc;""",
    ),
    (
        "All sessions revoked for a user, and why",
        "Revocations of user 2's sessions, whoever made them. A revocation targets the session "
        "(`auth.sessions`); the user is `metadata.user_id`.",
        """select occurred_at::timestamptz(0), event, target_id as session,
       coalesce('user ' || actor_id, 'cli ' || (metadata ->> 'os_actor'), 'db ' || db_role) as by,
       metadata ->> 'reason' as reason
  from audit.authority_events
 where event in ('sessions_revoked_self', 'sessions_revoked_by_other', 'session_logout')
   and metadata ->> 'user_id' = '2'
 order by id;""",
    ),
    (
        "Authority changes last week, and who made them",
        "Tier, group, permission and grant changes: by an administrator's request (`actor_id`, "
        "`set_role`) or by a `pgwarden` command (the OS user and the command).",
        """select occurred_at::timestamptz(0), event, target_id as user_id, summary,
       coalesce('user ' || actor_id || ' as ' || set_role,
                'cli ' || (metadata ->> 'os_actor'), 'db ' || db_role) as by,
       metadata ->> 'cli_operation' as command
  from audit.authority_events
 where category = 'access' and occurred_at > now() - interval '7 days'
 order by id;""",
    ),
    (
        "Accounts locked today",
        "How each lock came about (`via`), with the failure count that triggered an auto-lock.",
        """select target_id as user_id, occurred_at::timestamptz(0), metadata ->> 'via' as via,
       metadata ->> 'failed_count' as failed_count, client_ip
  from audit.events
 where event = 'account_locked' and occurred_at >= current_date
 order by id;""",
    ),
    (
        "Edits made outside the app",
        "Row changes with no application actor, no tier and no `pgwarden` command: a DBA's "
        "psql session, named by its role. The rows of a bulk statement (more than "
        "`audit.bulk_threshold()`) are written by the sealer and carry no `os_actor`; their "
        "correlation id still ties them to the command's other events.",
        """select e.id, e.db_role, e.target_table, e.target_id, e.event,
       array(select jsonb_array_elements_text(e.metadata -> 'changed')) as changed
  from audit.events e
 where e.event in ('create', 'update', 'delete', 'table_truncated')
   and e.actor_id is null and e.set_role is null
   and not exists (select from audit.events c
                    where c.correlation_id = e.correlation_id and c.metadata ? 'os_actor')
 order by e.id;""",
    ),
    (
        "The full diff of one update",
        "Column by column, from the redacted before/after images (secrets never reach the trail: "
        "`email` of patrons is redacted).",
        """select e.id, d.key as column, e.before -> d.key as before, d.value as after
  from audit.events e, jsonb_each(e.after) d
 where e.event = 'update' and e.target_table = 'library.patrons'
   and d.value is distinct from e.before -> d.key
 order by e.id, d.key;""",
    ),
    (
        "Who changed a given column",
        "Every change of `loans.status`, whoever made it.",
        """select target_id as loan, before ->> 'status' as was, after ->> 'status' as now,
       coalesce(actor_id::text, db_role) as by, set_role
  from audit.row_history
 where target_table = 'library.loans' and 'status' = any (changed)
 order by id;""",
    ),
    (
        "The most active actors today",
        "Events per actor: an application user, a `pgwarden` command's OS user, or a database "
        "role.",
        """select coalesce('user ' || actor_id, 'cli ' || (metadata ->> 'os_actor'),
                'db ' || db_role) as actor, count(*) as events,
       count(*) filter (where event = 'login_failed') as failed_logins,
       array_agg(distinct event order by event) as kinds
  from audit.events
 where occurred_at >= current_date
 group by 1
 order by events desc, actor;""",
    ),
    (
        "Which tables are audited, and what is redacted",
        "The explicit list given to `audit.enable()` and every column redacted today.",
        """select audited_table, redact, redacted_columns from audit.audited_tables order by 1;""",
    ),
    (
        "Is the trail intact?",
        "The chain's state and a full verification (the window: events committed but not "
        "sealed yet).",
        """select sealed_links, left(head, 16) as head, unsealed from audit.chain_status;
select ok, checked, first_bad_event_id, problem, unsealed from audit.verify();""",
    ),
]


def psql(url: str, sql: str) -> str:
    params = conninfo_to_dict(url)
    env = {
        **os.environ,
        "PGHOST": str(params.get("host", "")),
        "PGPORT": str(params.get("port", "")),
        "PGUSER": str(params.get("user", "")),
        "PGDATABASE": str(params["dbname"]),
        "PGTZ": "UTC",
    }
    done = subprocess.run(
        ["psql", "-X", "-v", "ON_ERROR_STOP=1", "-c", "set search_path = public", "-f", "-"],
        input=sql,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    lines = [line.rstrip() for line in done.stdout.splitlines() if line != "SET"]
    return "\n".join(lines).strip("\n")


HEADER = """# Audit queries for DBAs

Ready-to-run SQL over the audit trail (doctrine: [audit.md](audit.md)). Each query is shown with
its real output from a database in which `bench/audit_demo.py` played the library example through
the shipped paths only: `pgwarden example load library`, logins over HTTP (a wrong password until
the account locks, unknown emails), staff writes through `/rest/v1` with a session token, a
logout, administration with `pgwarden session revoke`, `user set-role`, `perm grant` and
`group add-user` (CLI events carry the OS user and the command), a DBA's psql edits, and
`pgwarden audit seal`. `tests_py/test_audit_queries.py` plays the same, runs every query of this
file and checks its answer; `PGWARDEN_WRITE_AUDIT_DOC=1 .venv/bin/pytest
tests_py/test_audit_queries.py` (or `.venv/bin/python bench/audit_demo.py --write`) rewrites
this file from that output.

Connect as the owner (or as a member of `pgw_administrator`), e.g. `pgwarden dbshell`.
Times are UTC.
"""


def render(url: str) -> str:
    parts = [HEADER]
    for number, (title, intro, sql) in enumerate(QUERIES, start=1):
        parts.append(
            f"## {number}. {title}\n\n{intro}\n\n```sql\n{sql}\n```\n\n```text\n"
            f"{psql(url, sql)}\n```\n"
        )
    return "\n".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--write", action="store_true", help="rewrite docs/audit-queries.md")
    args = parser.parse_args()
    server = server_url(args.database_url)
    with psycopg.connect(url_for_database(server, "postgres"), autocommit=True) as conn:
        conn.execute(f"drop database if exists {DB_NAME} with (force)")
        conn.execute(f"create database {DB_NAME}")
    url = url_for_database(server, DB_NAME)
    deploy_all(url)
    play(url)
    text = render(url)
    if args.write:
        (ROOT / "docs" / "audit-queries.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
