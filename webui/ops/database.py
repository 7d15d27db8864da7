"""Which database the commands work on: `DATABASE_URL`, else the embedded cluster."""

from __future__ import annotations

import os

from webui.core.settings import SettingsError
from webui.ops.cluster import Cluster


def database_url() -> str:
    """`DATABASE_URL`, else the embedded cluster's URL (which must have been started)."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    cluster = Cluster.default()
    if not cluster.is_initialised():
        raise SettingsError(
            "DATABASE_URL is not set and no embedded cluster exists yet: "
            "run `pgwarden db start` (or `make run`), or export DATABASE_URL."
        )
    return cluster.url()
