"""Where a request comes from, safe from forged headers (docs/recovery.md, "Links").

- The client address is the TCP peer, unless the peer is in `PGWARDEN_TRUSTED_PROXIES` (CIDRs):
  then the rightmost `X-Forwarded-For` (or `Forwarded: for=`) address that is not itself a
  trusted proxy. The login throttle and the recovery budgets count that address.
- The base of a mailed link is `PGWARDEN_PUBLIC_URL` when set; otherwise the `Forwarded` /
  `X-Forwarded-Proto` + `X-Forwarded-Host` of a trusted proxy; otherwise `Host` over the
  connection's own scheme. A malformed or oversized host gives None: no link, no mail.
- The request counts as HTTPS when the connection is TLS, or a trusted proxy says `https`.
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass, field

from aiohttp import web

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_HOST_LENGTH = 253
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST = re.compile(rf"(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9A-Fa-f:.]{{2,45}}\])(?::[0-9]{{1,5}})?")
_PUBLIC_URL = re.compile(rf"(https?)://({_HOST.pattern})(/[A-Za-z0-9._~/-]*)?")


class OriginError(ValueError):
    """A setting of this module is malformed; the message says which and how."""


def parse_proxies(raw: str) -> tuple[Network, ...]:
    """`10.0.0.0/8, 192.0.2.7` → networks (a bare address is a /32 or /128)."""
    networks = []
    for part in raw.replace(";", ",").split(","):
        if part.strip():
            try:
                networks.append(ipaddress.ip_network(part.strip(), strict=False))
            except ValueError:
                raise OriginError(
                    f"PGWARDEN_TRUSTED_PROXIES: {part.strip()!r} is not an address or CIDR"
                ) from None
    return tuple(networks)


def parse_public_url(raw: str) -> str:
    value = raw.strip().rstrip("/")
    if value and (len(value) > 300 or not _PUBLIC_URL.fullmatch(value)):
        raise OriginError(
            "PGWARDEN_PUBLIC_URL must look like https://admin.example.com[:port][/path]"
        )
    return value


@dataclass(frozen=True)
class OriginConfig:
    public_url: str = ""
    trusted_proxies: tuple[Network, ...] = field(default_factory=tuple)

    @classmethod
    def from_env(cls) -> OriginConfig:
        return cls(
            public_url=parse_public_url(os.environ.get("PGWARDEN_PUBLIC_URL", "")),
            trusted_proxies=parse_proxies(os.environ.get("PGWARDEN_TRUSTED_PROXIES", "")),
        )


def _address(text: str) -> Address | None:
    value = text.strip().strip('"')
    if value.startswith("["):
        value = value[1:].split("]", 1)[0]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]  # ipv4:port
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _is_trusted(address: Address | None, config: OriginConfig) -> bool:
    return address is not None and any(address in net for net in config.trusted_proxies)


def from_trusted_proxy(request: web.Request, config: OriginConfig) -> bool:
    return _is_trusted(_address(request.remote or ""), config)


def _forwarded_pairs(request: web.Request) -> dict[str, str]:
    """The last element of `Forwarded` (the one our trusted proxy added), as key → value."""
    header = request.headers.get("Forwarded", "")
    if not header:
        return {}
    pairs = {}
    for item in header.split(",")[-1].split(";"):
        key, _, value = item.strip().partition("=")
        pairs[key.lower()] = value.strip().strip('"')
    return pairs


def client_ip(request: web.Request, config: OriginConfig) -> str:
    """The client's address (see the module text); '' when unknown."""
    peer = request.remote or ""
    if not from_trusted_proxy(request, config):
        return peer
    hops = [h for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
    if not hops and "for" in _forwarded_pairs(request):
        hops = [_forwarded_pairs(request)["for"]]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            return peer
        if not _is_trusted(address, config):
            return str(address)
    return str(_address(hops[0])) if hops else peer


def _scheme_and_host(request: web.Request, config: OriginConfig) -> tuple[str, str]:
    scheme = "https" if request.secure else "http"
    host = request.headers.get("Host", "")
    if from_trusted_proxy(request, config):
        pairs = _forwarded_pairs(request)
        proto = pairs.get("proto") or request.headers.get("X-Forwarded-Proto", "")
        proto = proto.split(",")[-1].strip().lower()
        scheme = proto if proto else scheme
        forwarded_host = pairs.get("host") or request.headers.get("X-Forwarded-Host", "")
        host = forwarded_host.split(",")[-1].strip() or host
    return scheme, host


def is_https(request: web.Request, config: OriginConfig) -> bool:
    return _scheme_and_host(request, config)[0] == "https"


def safe_host(host: str) -> bool:
    return 0 < len(host) <= MAX_HOST_LENGTH and _HOST.fullmatch(host) is not None


def public_base(request: web.Request, config: OriginConfig) -> str | None:
    """The base of links mailed for this request, or None when the host is not safe to use."""
    if config.public_url:
        return config.public_url
    scheme, host = _scheme_and_host(request, config)
    if scheme not in ("http", "https") or not safe_host(host):
        return None
    return f"{scheme}://{host}"
