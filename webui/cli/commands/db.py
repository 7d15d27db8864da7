"""`pgwarden db start|stop|status|url`: the embedded PostgreSQL cluster."""

from __future__ import annotations

import argparse
import os

from webui.core.paths import state_dir
from webui.ops.cluster import Cluster, clusters_under
from webui.ops.database import database_url


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("db", help="manage the embedded PostgreSQL cluster")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    start = actions.add_parser("start", help="initialise (once) and start the cluster")
    start.add_argument(
        "--unsafe-fast",
        action="store_true",
        help="fsync and synchronous_commit off: for throw-away test clusters only",
    )
    start.set_defaults(handler=start_cluster)
    actions.add_parser(
        "stop", help="stop the cluster (and any other under .pgwarden/)"
    ).set_defaults(handler=stop_cluster)
    actions.add_parser("status", help="say whether it runs").set_defaults(handler=show_status)
    actions.add_parser("url", help="print the connection URL").set_defaults(handler=show_url)


def _external() -> bool:
    if os.environ.get("DATABASE_URL"):
        print("DATABASE_URL is set: using that server, no embedded cluster is managed.")
        return True
    return False


def start_cluster(args: argparse.Namespace) -> int:
    if _external():
        return 0
    cluster = Cluster.default()
    cluster.start(fast_unsafe=args.unsafe_fast)
    print(f"PostgreSQL running: {cluster.url()}")
    return 0


def stop_cluster(args: argparse.Namespace) -> int:
    """Stops the cluster and every other one under the state folder (the test cluster too)."""
    if _external():
        return 0
    for cluster in clusters_under(state_dir()):
        if cluster.is_running():
            cluster.stop()
            print(f"PostgreSQL stopped: {cluster.home}")
    print("PostgreSQL stopped.")
    return 0


def show_status(args: argparse.Namespace) -> int:
    if _external():
        return 0
    cluster = Cluster.default()
    print(cluster.status())
    return 0 if cluster.is_running() else 3


def show_url(args: argparse.Namespace) -> int:
    print(database_url())
    return 0
