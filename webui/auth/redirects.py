"""Where the re-auth wall may send a user back to (open-redirect defence, docs/recovery.md).

`safe_return_to(value)` keeps a `return_to` only if it is a relative path inside `/admin` — after
undoing percent-encoding (repeatedly) it must start with `/admin` followed by the end, `/`, `?`
or `#`, and hold no backslash, control character, scheme, `//` or `..` segment. Anything else
(`//evil`, `/\\evil`, `%2F%2Fevil`, `https://evil`, `/administrator`) falls back to `/admin`."""

from __future__ import annotations

import re
from urllib.parse import unquote

FALLBACK = "/admin"
MAX_LENGTH = 2000
_INSIDE_ADMIN = re.compile(r"/admin(?:[/?#].*)?", re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x1f\x7f\\]")


def _decoded_forms(value: str) -> list[str]:
    forms = [value]
    for _ in range(3):
        decoded = unquote(forms[-1])
        if decoded == forms[-1]:
            break
        forms.append(decoded)
    return forms


def _safe(form: str) -> bool:
    path = re.split(r"[?#]", form, maxsplit=1)[0]
    return (
        _INSIDE_ADMIN.fullmatch(form) is not None
        and not _CONTROL.search(form)
        and "//" not in path
        and "://" not in form
        and ".." not in path.split("/")
    )


def safe_return_to(value: str | None) -> str:
    """`value` if it is a safe relative /admin path, else "/admin"."""
    if not value or len(value) > MAX_LENGTH:
        return FALLBACK
    return value if all(_safe(form) for form in _decoded_forms(value)) else FALLBACK
