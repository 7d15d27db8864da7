"""Small helpers for the CLI's output: check marks that read the same in every command."""

from __future__ import annotations

import sys

OK = "\u2713"
BAD = "\u2717"
WARN = "!"


def check(passed: bool, label: str, detail: str = "") -> bool:
    mark = OK if passed else BAD
    suffix = f": {detail}" if detail else ""
    print(f"{mark} {label}{suffix}")
    return passed


def fail(message: str) -> int:
    print(f"pgwarden: {message}", file=sys.stderr)
    return 1


def warn(label: str, detail: str) -> bool:
    """A warning line: something to fix that does not fail the check (returns True)."""
    print(f"{WARN} {label}: {detail}")
    return True
