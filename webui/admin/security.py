"""The admin's request guards: CSRF tokens bound to the session (an HMAC of the session id under
the secret key) plus an Origin / Sec-Fetch-Site check, flash messages in a signed cookie, and a
CSP nonce per response."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any

from aiohttp import web

CSRF_FIELD = "csrf_token"
PRELOGIN_COOKIE = "pgw_admin_pre"
FLASH_COOKIE = "pgw_admin_flash"
NONCE = "admin_nonce"


def _mac(secret: str, purpose: str, value: str) -> str:
    digest = hmac.new(secret.encode(), f"{purpose}\x00{value}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")


def csrf_token(secret: str, binding: str) -> str:
    """The form token of a session (binding = "s:<session id>") or of a pre-login visitor
    (binding = "p:<random cookie>")."""
    return _mac(secret, "csrf", binding)


def csrf_valid(secret: str, binding: str, token: str) -> bool:
    return bool(binding) and bool(token) and hmac.compare_digest(csrf_token(secret, binding), token)


def same_origin(request: web.Request) -> bool:
    """A browser POST from this site: Sec-Fetch-Site same-origin (or none), else an Origin equal
    to the request's own origin. Neither header (a non-browser client): the token decides."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    if origin is None or site is not None:
        return True
    host = request.headers.get("Host", "")
    return origin in (f"http://{host}", f"https://{host}")


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


def csp(nonce: str) -> str:
    return (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        f"style-src 'self' 'nonce-{nonce}'; "
        "img-src 'self' data:; "
        "form-action 'self'; "
        "frame-ancestors 'none'; "
        "base-uri 'none'; "
        "object-src 'none'"
    )


# --- flash messages -------------------------------------------------------------------------------


def flash_value(secret: str, messages: list[dict[str, str]]) -> str:
    body = base64.urlsafe_b64encode(json.dumps(messages).encode()).decode().rstrip("=")
    return f"{body}.{_mac(secret, 'flash', body)}"


def read_flash(secret: str, value: str | None) -> list[dict[str, str]]:
    if not value or "." not in value or len(value) > 4000:
        return []
    body, _, mac = value.rpartition(".")
    if not hmac.compare_digest(_mac(secret, "flash", body), mac):
        return []
    try:
        data: Any = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError:
        return []
    if not isinstance(data, list):
        return []
    return [m for m in data if isinstance(m, dict)][:10]
