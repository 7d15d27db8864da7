"""`GET /healthz`: the database answers, which change of pgwarden's plan is deployed last, and
how many changes each sqitch project in the database has deployed (from the one registry)."""

from __future__ import annotations

import psycopg
from aiohttp import web
from psycopg_pool import PoolTimeout

from webui.core.db import POOL
from webui.ops.migrations import load_plan


async def deployed_state(pool_conn: psycopg.AsyncConnection) -> dict[str, object]:
    """pgwarden's plan against the registry, and every project the registry holds."""
    rows = await (
        await pool_conn.execute(
            "select project, change, change_id from pgwarden.deployed_changes()"
        )
    ).fetchall()
    ids = {row[2] for row in rows if row[0] == "pgwarden"}
    plan = load_plan().changes
    done = [change.name for change in plan if change.id in ids]
    projects: dict[str, dict[str, object]] = {}
    for project, change, _change_id in rows:
        entry = projects.setdefault(project, {"deployed": 0, "last": None})
        entry["deployed"] = int(str(entry["deployed"])) + 1
        entry["last"] = change
    return {
        "last": done[-1] if done else None,
        "deployed": len(done),
        "pending": [change.name for change in plan if change.id not in ids],
        "projects": projects,
    }


NOT_MIGRATED = (psycopg.errors.UndefinedFunction, psycopg.errors.InvalidSchemaName)


async def healthz(request: web.Request) -> web.Response:
    try:
        async with request.app[POOL].connection(timeout=5) as conn:
            migration = await deployed_state(conn)
    except NOT_MIGRATED:
        plan = [change.name for change in load_plan().changes]
        migration = {"last": None, "deployed": 0, "pending": plan, "projects": {}}
    except (psycopg.Error, PoolTimeout) as exc:
        body = {"status": "unavailable", "database": "unreachable", "error": type(exc).__name__}
        return web.json_response(body, status=503)
    status = "ok" if not migration["pending"] else "migrations pending"
    code = 200 if status == "ok" else 503
    return web.json_response(
        {"status": status, "database": "ok", "migration": migration}, status=code
    )


def setup(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz, name="healthz")
