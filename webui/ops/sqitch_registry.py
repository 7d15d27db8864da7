"""Reads and writes sqitch's own registry (schema `sqitch`), row for row as sqitch 1.x does.

One registry for both tools: stock `sqitch` and `pgwarden migrate` record the same change ids,
tags, dependencies and events, so each sees and reverts what the other deployed
(`tests_py/test_sqitch_registry.py`). Every function takes the connection of the transaction the
caller runs the change's script in, so a change and its registry rows commit together.
"""

from __future__ import annotations

import getpass
import os
import pwd
import socket
from dataclasses import dataclass
from pathlib import Path

import psycopg

from webui.ops.sqitch_plan import Change, Depend, Plan

REGISTRY_VERSION = 1.1
SQITCH_LOCK = 75474063  # the advisory lock sqitch takes for a whole deploy or revert
_DDL = Path(__file__).with_name("sqitch_registry.sql")


class RegistryError(RuntimeError):
    """The registry disagrees with the plan; the message says what to do."""


@dataclass(frozen=True)
class Committer:
    name: str
    email: str


def committer(top: Path | None = None) -> Committer:
    """Who deploys, found as sqitch finds it: SQITCH_FULLNAME / SQITCH_EMAIL, else `user.name` /
    `user.email` from sqitch's config files (the project's, the user's, the system's), else the
    OS user and `user@host`."""
    config = _user_config(top)
    user = getpass.getuser()
    try:
        gecos = pwd.getpwnam(user).pw_gecos.split(",")[0]
    except KeyError:
        gecos = ""
    name = os.environ.get("SQITCH_FULLNAME") or config.get("name") or gecos or user
    email = (
        os.environ.get("SQITCH_EMAIL") or config.get("email") or f"{user}@{socket.gethostname()}"
    )
    return Committer(name, email)


def _user_config(top: Path | None) -> dict[str, str]:
    """The `[user]` keys of sqitch's config files, the nearest file winning."""
    files = [
        Path(os.environ.get("SQITCH_SYSTEM_CONFIG") or "/etc/sqitch/sqitch.conf"),
        Path(os.environ.get("SQITCH_USER_CONFIG") or Path.home() / ".sqitch" / "sqitch.conf"),
        Path(os.environ["SQITCH_CONFIG"]) if os.environ.get("SQITCH_CONFIG") else None,
        top / "sqitch.conf" if top and not os.environ.get("SQITCH_CONFIG") else None,
    ]
    found: dict[str, str] = {}
    for path in files:
        if path and path.is_file():
            found.update(_section(path.read_text(errors="replace"), "user"))
    return found


def _section(text: str, wanted: str) -> dict[str, str]:
    """`key = value` lines of one `[section]` of a git-style config file."""
    values: dict[str, str] = {}
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("["):
            section = line.strip("[]").strip().lower()
        elif section == wanted and "=" in line and not line.startswith(("#", ";")):
            key, _, value = line.partition("=")
            values[key.strip().lower()] = value.strip().strip('"')
    return values


def exists(conn: psycopg.Connection) -> bool:
    row = conn.execute("select to_regclass('sqitch.changes') is not null").fetchone()
    return bool(row and row[0])


def ensure(conn: psycopg.Connection, who: Committer) -> None:
    """Create the registry when missing; refuse one older than the version sqitch 1.x writes."""
    if not exists(conn):
        conn.execute(_DDL.read_text().encode())
        conn.execute(
            "insert into sqitch.releases (version, installer_name, installer_email) "
            "values (%s, %s, %s)",
            (REGISTRY_VERSION, who.name, who.email),
        )
        return
    row = conn.execute("select max(version)::text from sqitch.releases").fetchone()
    if not row or row[0] is None or float(row[0]) < REGISTRY_VERSION:
        raise RegistryError(
            f"the sqitch registry is version {row[0] if row else '?'}; "
            f"run `sqitch upgrade` to bring it to {REGISTRY_VERSION}"
        )


def register_project(conn: psycopg.Connection, plan: Plan, who: Committer) -> None:
    """Add the plan's project (name and URI) as sqitch does, refusing a clash of names or URIs."""
    row = conn.execute(
        "select uri from sqitch.projects where project = %s", (plan.project,)
    ).fetchone()
    if row:
        if row[0] != plan.uri:
            raise RegistryError(
                f'project "{plan.project}" is registered with URI {row[0]}, '
                f"the plan says {plan.uri}"
            )
        return
    if plan.uri:
        other = conn.execute(
            "select project from sqitch.projects where uri = %s", (plan.uri,)
        ).fetchone()
        if other:
            raise RegistryError(f'URI {plan.uri} is already used by project "{other[0]}"')
    conn.execute(
        "insert into sqitch.projects (project, uri, creator_name, creator_email) "
        "values (%s, %s, %s, %s)",
        (plan.project, plan.uri, who.name, who.email),
    )


def deployed_ids(conn: psycopg.Connection, project: str) -> list[str]:
    """The ids of the project's deployed changes, oldest first (sqitch orders by committed_at)."""
    if not exists(conn):
        return []
    rows = conn.execute(
        "select change_id from sqitch.changes where project = %s order by committed_at",
        (project,),
    ).fetchall()
    return [row[0] for row in rows]


@dataclass(frozen=True)
class DeployedProject:
    project: str
    uri: str | None
    changes: list[tuple[str, str]]  # (change_id, change name), oldest first


def projects(conn: psycopg.Connection) -> list[DeployedProject]:
    """Every project in the registry with its deployed changes."""
    if not exists(conn):
        return []
    rows = conn.execute(
        "select p.project, p.uri, "
        "       coalesce(array_agg(array[c.change_id, c.change] order by c.committed_at) "
        "                filter (where c.change_id is not null), '{}') "
        "  from sqitch.projects p left join sqitch.changes c using (project) "
        " group by p.project, p.uri order by p.project"
    ).fetchall()
    return [DeployedProject(r[0], r[1], [(c[0], c[1]) for c in r[2]]) for r in rows]


def resolve(conn: psycopg.Connection, dep: Depend, plan: Plan, run: set[str]) -> str | None:
    """The change id a dependency resolves to, or None, as sqitch resolves it: a change of this
    plan by its planned id (deployed in this run or before); another project's by name (the
    earliest deployed) or as of a tag."""
    project = dep.project or plan.project
    if project == plan.project and not dep.id:
        planned = plan.find(dep.key).id
        if planned in run:
            return planned
        row = conn.execute(
            "select change_id from sqitch.changes where change_id = %s", (planned,)
        ).fetchone()
    elif dep.id:
        if dep.id in run:
            return dep.id
        row = conn.execute(
            "select change_id from sqitch.changes where change_id = %s", (dep.id,)
        ).fetchone()
    elif dep.change and dep.tag:
        row = conn.execute(
            "select c.change_id from sqitch.changes c join sqitch.tags t "
            "  on c.committed_at <= t.committed_at and c.project = t.project "
            " where c.project = %s and c.change = %s and t.tag = %s "
            " order by c.committed_at desc limit 1",
            (project, dep.change, f"@{dep.tag}"),
        ).fetchone()
    elif dep.change:
        row = conn.execute(
            "select change_id from sqitch.changes where project = %s and change = %s "
            "order by committed_at limit 1",
            (project, dep.change),
        ).fetchone()
    else:
        row = conn.execute(
            "select change_id from sqitch.tags where project = %s and tag = %s",
            (project, f"@{dep.tag}"),
        ).fetchone()
    return row[0] if row else None


def log_deploy(
    conn: psycopg.Connection, change: Change, who: Committer, resolved: dict[str, str | None]
) -> None:
    """Record a deployed change: its row, its dependencies, its tags and a `deploy` event."""
    conn.execute(
        "insert into sqitch.changes (change_id, script_hash, change, project, note, "
        "  committer_name, committer_email, planned_at, planner_name, planner_email) "
        "values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            change.id,
            change.script_hash(),
            change.name,
            change.project,
            change.note,
            who.name,
            who.email,
            change.timestamp,
            change.planner_name,
            change.planner_email,
        ),
    )
    for dep in change.dependencies():
        conn.execute(
            "insert into sqitch.dependencies (change_id, type, dependency, dependency_id) "
            "values (%s, %s, %s, %s)",
            (change.id, dep.type, dep.as_string(change.project), resolved.get(dep.key)),
        )
    log_new_tags(conn, change, who)
    _event(conn, "deploy", change, who)


def log_new_tags(conn: psycopg.Connection, change: Change, who: Committer) -> None:
    """Record the change's tags that the registry lacks (a tag added after the deploy)."""
    for tag in change.tags:
        conn.execute(
            "insert into sqitch.tags (tag_id, tag, project, change_id, note, committer_name, "
            "  committer_email, planned_at, planner_name, planner_email) "
            "values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) on conflict (tag_id) do nothing",
            (
                tag.id,
                tag.name,
                change.project,
                change.id,
                tag.note,
                who.name,
                who.email,
                tag.timestamp,
                tag.planner_name,
                tag.planner_email,
            ),
        )


def log_revert(conn: psycopg.Connection, change: Change, who: Committer) -> None:
    """Remove a reverted change's rows and record a `revert` event with what was removed."""
    tags = [
        row[0]
        for row in conn.execute(
            "delete from sqitch.tags where change_id = %s returning tag", (change.id,)
        ).fetchall()
    ]
    row = conn.execute(
        "select array(select dependency from sqitch.dependencies "
        "              where change_id = %(id)s and type = 'require'), "
        "       array(select dependency from sqitch.dependencies "
        "              where change_id = %(id)s and type = 'conflict')",
        {"id": change.id},
    ).fetchone()
    conn.execute("delete from sqitch.changes where change_id = %s", (change.id,))
    requires, conflicts = (row[0], row[1]) if row else ([], [])
    _event(conn, "revert", change, who, tags=tags, requires=requires, conflicts=conflicts)


def log_fail(conn: psycopg.Connection, change: Change, who: Committer) -> None:
    _event(conn, "fail", change, who)


def dependents(conn: psycopg.Connection, change: Change, leaving: set[str]) -> list[str]:
    """Deployed changes (any project) that require `change`, other than those in `leaving`."""
    rows = conn.execute(
        "select c.project || ':' || c.change, c.change_id from sqitch.dependencies d "
        "  join sqitch.changes c on c.change_id = d.change_id "
        " where d.dependency_id = %s order by c.committed_at",
        (change.id,),
    ).fetchall()
    return [row[0] for row in rows if row[1] not in leaving]


def _event(
    conn: psycopg.Connection,
    event: str,
    change: Change,
    who: Committer,
    *,
    tags: list[str] | None = None,
    requires: list[str] | None = None,
    conflicts: list[str] | None = None,
) -> None:
    project = change.project
    conn.execute(
        "insert into sqitch.events (event, change_id, change, project, note, tags, requires, "
        "  conflicts, committer_name, committer_email, planned_at, planner_name, planner_email) "
        "values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            event,
            change.id,
            change.name,
            project,
            change.note,
            [t.name for t in change.tags] if tags is None else tags,
            [d.as_string(project) for d in change.requires] if requires is None else requires,
            [d.as_string(project) for d in change.conflicts] if conflicts is None else conflicts,
            who.name,
            who.email,
            change.timestamp,
            change.planner_name,
            change.planner_email,
        ),
    )
