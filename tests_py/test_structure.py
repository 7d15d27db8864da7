"""One owner for each request-plumbing concept (issue 10, §2 and §4): one `Identity` type, one
token sniffer, one HTTP error type, and REST results read by name. Each test fails when a second
copy appears (as the merged branches of a busy day tend to add one)."""

from __future__ import annotations

import ast
from pathlib import Path

import webui
from webui.auth.http import AuthError
from webui.rest.errors import ApiError
from webui.web.errors import HttpError

PACKAGE = Path(webui.__file__).resolve().parent


def _trees() -> dict[Path, ast.Module]:
    return {p: ast.parse(p.read_text(), str(p)) for p in sorted(PACKAGE.rglob("*.py"))}


def _classes(name: str) -> list[str]:
    return [
        f"{path.relative_to(PACKAGE)}:{node.lineno}"
        for path, tree in _trees().items()
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef) and node.name == name
    ]


def test_one_identity_type() -> None:
    found = _classes("Identity")
    assert len(found) == 1 and found[0].startswith("core/identity.py:"), found


def test_one_http_error_type() -> None:
    """auth, rest and admin raise the same class; no other exception carries a status."""
    assert AuthError is HttpError and ApiError is HttpError
    carriers = []
    for path, tree in _trees().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and any(
                isinstance(t, ast.Attribute) and t.attr == "status"
                for f in ast.walk(node)
                if isinstance(f, ast.Assign | ast.AnnAssign)
                for t in (f.targets if isinstance(f, ast.Assign) else [f.target])
                for t in ([t] if not isinstance(t, ast.Tuple) else t.elts)
            ):
                carriers.append(f"{path.relative_to(PACKAGE)}:{node.name}")
    # the admin's REST client reports the dialect's answer: a failure it received, not one it raises
    assert sorted(carriers) == ["admin/client.py:RestFailure", "web/errors.py:HttpError"]


def test_auth_errors_pass_hints_by_name() -> None:
    """AuthError once took the hint fourth; the one type takes details there. A positional fourth
    argument would put an auth hint in `details`."""
    late = [
        f"{path.relative_to(PACKAGE)}:{node.lineno}"
        for path, tree in _trees().items()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", getattr(node.func, "attr", None)) == "AuthError"
        and len(node.args) > 3
    ]
    assert late == []


def test_one_token_sniffer() -> None:
    """Only `webui.core.identity.is_session_token` tells a JWT (two dots) from a session token."""
    sniffers = [
        f"{path.relative_to(PACKAGE)}:{node.lineno}"
        for path, tree in _trees().items()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "count"
        and [getattr(a, "value", None) for a in node.args] == ["."]
    ]
    assert sniffers == [s for s in sniffers if s.startswith("core/identity.py:")]
    assert len(sniffers) == 1


def test_rest_results_are_read_by_name() -> None:
    """No REST module reads a result column by position (`outcome.value(-1, 3)`, `rows[0][…]`)."""
    positional = []
    for path, tree in _trees().items():
        if path.parent.name != "rest":
            continue
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in ("value", "integer", "rowcounts")
                and getattr(node.value, "id", "") == "outcome"
            ):
                positional.append(f"{path.name}:{node.lineno}")
    assert positional == []
