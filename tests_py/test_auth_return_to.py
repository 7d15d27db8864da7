"""The re-auth wall's `return_to` (docs/recovery.md): only a relative `/admin…` path survives;
open-redirect attempts, encoded or not, fall back to `/admin`."""

from __future__ import annotations

import pytest

from webui.auth.redirects import safe_return_to

KEPT = [
    "/admin",
    "/admin/",
    "/admin/users/7/lock",
    "/admin/users/7/lock?from=list",
    "/admin/users?q=a%20b#top",
]
REFUSED = [
    None,
    "",
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "https://evil.example/admin",
    "http:/evil.example",
    "javascript:alert(1)",
    "admin/users",
    "/administrator",
    "/admin.evil.example",
    "/admin//evil.example",
    "/admin/../evil",
    "/admin/%2e%2e/evil",
    "%2F%2Fevil.example",
    "/%2Fevil.example",
    "/admin%2F%2Fevil.example",
    "/%5Cevil.example",
    "/admin/%5C%5Cevil.example",
    "%252F%252Fevil.example",
    "/admin\r\nLocation: https://evil.example",
    "/admin/%0d%0aSet-Cookie:x=y",
    "/admin" + "/a" * 2000,
]


@pytest.mark.parametrize("value", KEPT)
def test_relative_admin_paths_are_kept(value: str) -> None:
    assert safe_return_to(value) == value


@pytest.mark.parametrize("value", REFUSED)
def test_everything_else_falls_back_to_admin(value: str | None) -> None:
    assert safe_return_to(value) == "/admin"
