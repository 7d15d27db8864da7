"""Which database the commands work on: `DATABASE_URL`, else the embedded cluster."""

from __future__ import annotations

import os

import psycopg
from psycopg.conninfo import conninfo_to_dict

from webui.core.settings import SettingsError
from webui.ops.cluster import Cluster


def database_url() -> str:
    """`DATABASE_URL`, else the embedded cluster's URL (which must have been started)."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return checked(url, "DATABASE_URL")
    cluster = Cluster.default()
    if not cluster.is_initialised():
        raise SettingsError(
            "DATABASE_URL is not set and no embedded cluster exists yet: "
            "run `pgwarden db start` (or `make run`), or export DATABASE_URL."
        )
    return cluster.url()


def checked(url: str, name: str) -> str:
    """`url`, if it parses as a libpq connection string or URI; else a SettingsError naming it."""
    try:
        conninfo_to_dict(url)
    except psycopg.ProgrammingError as exc:
        reason = str(exc).splitlines()[0]
        raise SettingsError(
            f"{name} is not a connection string ({reason}): set it to "
            "postgresql://USER:PASSWORD@HOST:PORT/DBNAME, or unset it to use the embedded cluster"
        ) from None
    return url
