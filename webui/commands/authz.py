"""`pgwarden authz`: placeholder, filled below."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    subparsers.add_parser("authz", help="explain and simulate row policies; scoped grants")
