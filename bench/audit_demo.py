"""Realistic audit events, and docs/audit-queries.md rendered from real query output.

    .venv/bin/python bench/audit_demo.py            # build pgw_audit_demo, print the queries
    .venv/bin/python bench/audit_demo.py --write    # also rewrite docs/audit-queries.md

Builds the scratch database `pgw_audit_demo` on DATABASE_URL's server (default: the project's
test cluster), deploys every migration, and plays a small library back office through the same
paths the app uses: requests as `authenticator` switching to a tier with the request context
set (`webui.core.db` does this per request), authority changes through a definer function owned by
`pgw_session_writer` (as the identity code does), failed logins through
`audit.record_security_event` (what `webui.audit.record_detached` calls), and one DBA edit in
psql without any request context. Then it runs QUERIES with psql and prints their output.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.audit_insert import server_url  # noqa: E402
from webui.core.settings import app_url_for  # noqa: E402
from webui.testing import deploy_all, url_for_database  # noqa: E402

DB_NAME = "pgw_audit_demo"

SCHEMA = """
create schema library;
create table library.patrons (id bigint primary key, full_name text not null, email text not null,
  card_pin_hash text, is_active boolean not null default true);
create table library.loans (id bigint primary key, patron_id bigint not null
  references library.patrons (id), title text not null, status text not null default 'active',
  due_at date not null);
grant usage on schema library to pgw_staff;
grant select, insert, update, delete on library.patrons, library.loans to pgw_staff;
select audit.enable('library.patrons');
select audit.enable('library.loans');

-- What the identity code looks like from the audit's side: a definer function owned by
-- pgw_session_writer that changes authority and records the typed event in the same transaction.
create schema identity_demo;
grant usage on schema identity_demo to pgw_session_writer, pgw_administrator;
create function identity_demo.authority(event text, target_id text, summary text, metadata jsonb)
returns bigint language sql security definer set search_path = '' as $$
  select audit.record(event, 'auth.users', target_id, summary, metadata)
$$;
alter function identity_demo.authority(text, text, text, jsonb) owner to pgw_session_writer;
revoke execute on function identity_demo.authority(text, text, text, jsonb) from public;
grant execute on function identity_demo.authority(text, text, text, jsonb) to pgw_administrator;
"""

CONTEXT = """
select set_config('role', %(role)s, true), set_config('request.jwt.claims', %(claims)s, true),
       set_config('request.correlation_id', %(corr)s, true),
       set_config('request.client_ip', %(ip)s, true)
"""

DETACHED = "select audit.record_security_event(%s, %s, 'auth.users', %s, %s, %s, %s, %s)"


def request(
    conn: psycopg.Connection,
    user: int,
    tier: str,
    corr: str,
    ip: str,
    statements: list[tuple[str, list[object]]],
) -> None:
    """One request: one transaction as the tier, with the request context set."""
    claims = json.dumps({"sub": str(user), "role": f"pgw_{tier}", "sid": str(100 + user)})
    with conn.transaction():
        conn.execute(CONTEXT, {"role": f"pgw_{tier}", "claims": claims, "corr": corr, "ip": ip})
        for sql, params in statements:
            conn.execute(sql, params)


def authority(
    event: str, target: int, summary: str, metadata: dict[str, object]
) -> tuple[str, list[object]]:
    return (
        "select identity_demo.authority(%s, %s, %s, %s)",
        [event, str(target), summary, json.dumps(metadata)],
    )


def failed_login(conn: psycopg.Connection, user: int, ip: str, corr: str, reason: str) -> None:
    meta = json.dumps({"reason": reason})
    conn.execute(
        DETACHED, ["login_failed", user, str(user), f"login failed: {reason}", meta, corr, ip]
    )


def play(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as owner:
        owner.execute(SCHEMA)
    with psycopg.connect(app_url_for(url), autocommit=True) as app:
        _patrons_and_loans(app)
        _logins(app)
        _administration(app)
    with psycopg.connect(url, autocommit=True) as dba:
        dba.execute("update library.loans set due_at = due_at + 14 where id = 3")
        dba.execute("select audit.seal()")
        dba.execute("update library.loans set status = 'overdue' where id = 4")


def _patrons_and_loans(app: psycopg.Connection) -> None:
    request(
        app,
        2,
        "staff",
        "01J9ZK3F0Q7Y8W6V5T4S3R2P1A",
        "192.0.2.14",
        [
            (
                "insert into library.patrons values"
                " (1, 'Ada Byron', 'ada@example.org', 'pin$9f2', true),"
                " (2, 'Brian Kernighan', 'bwk@example.org', 'pin$77a', true)",
                [],
            ),
        ],
    )
    request(
        app,
        2,
        "staff",
        "01J9ZK4M2C8D1E0F9G8H7J6K5L",
        "192.0.2.14",
        [
            (
                "insert into library.loans values"
                " (1, 1, 'Notes on the Analytical Engine', 'active', current_date + 21),"
                " (2, 2, 'The C Programming Language', 'active', current_date + 21),"
                " (3, 1, 'Sketch of the Analytical Engine', 'active', current_date + 7),"
                " (4, 2, 'The UNIX Programming Environment', 'active', current_date - 1)",
                [],
            ),
        ],
    )
    request(
        app,
        3,
        "staff",
        "01J9ZK6N4P0Q1R2S3T4U5V6W7X",
        "198.51.100.23",
        [
            ("update library.loans set status = 'returned' where id = 2", []),
            ("update library.patrons set email = 'brian@example.org' where id = 2", []),
        ],
    )
    request(
        app,
        3,
        "staff",
        "01J9ZK7Q5R1S2T3U4V5W6X7Y8Z",
        "198.51.100.23",
        [
            ("update library.patrons set card_pin_hash = 'pin$0c4' where id = 1", []),
            ("update library.loans set status = status where id = 1", []),
        ],
    )


def _logins(app: psycopg.Connection) -> None:
    for n in range(6):
        failed_login(app, 7, "203.0.113.66", f"01J9ZM0A{n:02d}BCDEFGHJKMNPQRST", "wrong_password")
    failed_login(app, 7, "203.0.113.66", "01J9ZM0A06BCDEFGHJKMNPQRST", "locked")
    app.execute(
        "select audit.record_security_event('account_locked', null, 'auth.users', '7', "
        "'auto-throttle: 5 failed logins within 10 minutes', "
        '\'{"via": "auto_throttle", "failed_count": 5, "until": "+15 min"}\', '
        "'01J9ZM0A04BCDEFGHJKMNPQRST', '203.0.113.66')"
    )
    failed_login(app, 4, "198.51.100.23", "01J9ZM1B00CDEFGHJKMNPQRSTV", "wrong_password")
    failed_login(app, 9, "192.0.2.200", "01J9ZM1B01CDEFGHJKMNPQRSTV", "inactive")


def _administration(app: psycopg.Connection) -> None:
    corr = "01J9ZN2C3D4E5F6G7H8J9K0M1N"
    request(
        app,
        1,
        "administrator",
        corr,
        "192.0.2.10",
        [
            authority(
                "role_changed",
                3,
                "staff -> supervisor",
                {"previous_role": "staff", "new_role": "supervisor", "reason": "shift lead"},
            ),
            authority(
                "sessions_revoked_by_other",
                3,
                "role change revokes sessions",
                {
                    "revoked_session_ids": [103, 131],
                    "reason": "role changed",
                    "via": "manual",
                    "invalidated_session_count": 2,
                },
            ),
        ],
    )
    request(
        app,
        1,
        "administrator",
        "01J9ZN3D4E5F6G7H8J9K0M1N2P",
        "192.0.2.10",
        [
            authority(
                "permission_granted",
                2,
                "granted library.change_loan",
                {"permission": "library.change_loan"},
            ),
            authority(
                "group_membership_changed",
                2,
                "added to group circulation",
                {"group": "circulation", "change": "added"},
            ),
        ],
    )
    request(
        app,
        1,
        "administrator",
        "01J9ZN4E5F6G7H8J9K0M1N2P3Q",
        "192.0.2.10",
        [
            authority(
                "sessions_revoked_by_other",
                7,
                "lock after throttle",
                {
                    "revoked_session_ids": [107],
                    "reason": "suspicious failed logins",
                    "via": "manual",
                    "invalidated_session_count": 1,
                },
            ),
        ],
    )


QUERIES: list[tuple[str, str, str]] = [
    (
        "Who changed this row, and when?",
        "Every change of loan 3, oldest first: the app user (or the database role of a DBA edit), "
        "the request, and the changed columns.",
        """select id, occurred_at::timestamptz(0), event, actor_id,
       coalesce(set_role, db_role) as via, correlation_id, changed
  from audit.row_history
 where target_table = 'library.loans' and target_id = '3'
 order by id;""",
    ),
    (
        "Everything one request did",
        "All events of one correlation id (the `X-Correlation-Id` a user quotes from an "
        "error page).",
        """select id, event, target_table, target_id, summary, metadata
  from audit.events
 where correlation_id = '01J9ZK6N4P0Q1R2S3T4U5V6W7X'
 order by id;""",
    ),
    (
        "Failed logins per IP in the last hour",
        "Including the requests that failed: these events were committed on their own connection.",
        """select client_ip, count(*) as failures, count(distinct target_id) as accounts,
       max(occurred_at)::timestamptz(0) as last_seen
  from audit.events
 where event = 'login_failed' and occurred_at > now() - interval '1 hour'
 group by client_ip
 order by failures desc;""",
    ),
    (
        "All sessions revoked for a user, and why",
        "Revocations of user 7's sessions, whoever made them.",
        """select occurred_at::timestamptz(0), event, actor_id,
       metadata -> 'revoked_session_ids' as sessions, metadata ->> 'reason' as reason
  from audit.authority_events
 where target_table = 'auth.users' and target_id = '7'
   and event in ('sessions_revoked_self', 'sessions_revoked_by_other', 'session_logout')
 order by id;""",
    ),
    (
        "Authority changes made by administrators last week",
        "Role, group, permission and policy changes made in requests running as an administrator.",
        """select occurred_at::timestamptz(0), actor_id, event, target_id as user_id, summary
  from audit.authority_events
 where category = 'access' and set_role = 'pgw_administrator'
   and occurred_at > now() - interval '7 days'
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
        "Row changes with no application actor and no tier: a DBA's psql session, named by "
        "its role.",
        """select id, db_role, target_table, target_id, event, changed
  from audit.row_history
 where actor_id is null and set_role is null
 order by id;""",
    ),
    (
        "The full diff of one update",
        "Column by column, from the redacted before/after images (secrets never reach the trail).",
        """select d.key as column, e.before -> d.key as before, d.value as after
  from audit.events e, jsonb_each(e.after) d
 where e.event = 'update' and e.target_table = 'library.patrons'
   and d.value is distinct from e.before -> d.key
 order by e.id, d.key;""",
    ),
    (
        "Who changed a given column",
        "Every change of `loans.status`, whoever made it.",
        """select target_id as loan, before ->> 'status' as was, after ->> 'status' as now,
       coalesce(actor_id::text, db_role) as by
  from audit.row_history
 where target_table = 'library.loans' and 'status' = any (changed)
 order by id;""",
    ),
    (
        "The most active actors today",
        "Events per application user (NULL: system or DBA).",
        """select actor_id, count(*) as events,
       count(*) filter (where event = 'login_failed') as failed_logins,
       array_agg(distinct event order by event) as kinds
  from audit.events
 where occurred_at >= current_date
 group by actor_id
 order by events desc, actor_id nulls last;""",
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
its real output from a database in which `bench/audit_demo.py` played a small library back office
through the app's own paths: staff requests (as `authenticator` switched to `pgw_staff`, with the
request context set), administrator actions through a `pgw_session_writer` definer function,
failed logins committed by `audit.record_security_event`, and a DBA's psql edits. Regenerate with
`.venv/bin/python bench/audit_demo.py --write`; `tests_py/test_audit_queries.py` runs every query
in this file against a fresh database.

Connect as the owner (or as a member of `pgw_administrator`), e.g. `psql "$(pgwarden db url)"`.
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
