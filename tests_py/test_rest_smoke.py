from __future__ import annotations

import httpx
from rest_support import base, rest_db, rest_server  # noqa: F401


def test_smoke(base: str) -> None:
    r = httpx.get(f"{base}/books?select=id,title,authors(name)&order=id&limit=2")
    print(r.status_code, r.headers, r.text)
    assert r.status_code == 200
