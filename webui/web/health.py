"""`GET /healthz`: the database answers and which migration change is deployed last."""

from __future__ import annotations

import psycopg
from aiohttp import web
from psycopg_pool import PoolTimeout

from webui.core.db import POOL
from webui.ops.migrations import read_plan


async def deployed_state(pool_conn: psycopg.AsyncConnection) -> dict[str, object]:
    rows = await (
        await pool_conn.execute("select change from pgwarden.deployed_changes()")
    ).fetchall()
    deployed = {row[0] for row in rows}
    plan = [change.name for change in read_plan()]
    done = [name for name in plan if name in deployed]
    return {
        "last": done[-1] if done else None,
        "deployed": len(done),
        "pending": [name for name in plan if name not in deployed],
    }


NOT_MIGRATED = (psycopg.errors.UndefinedFunction, psycopg.errors.InvalidSchemaName)


async def healthz(request: web.Request) -> web.Response:
    try:
        async with request.app[POOL].connection(timeout=5) as conn:
            migration = await deployed_state(conn)
    except NOT_MIGRATED:
        plan = [change.name for change in read_plan()]
        migration = {"last": None, "deployed": 0, "pending": plan}
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
