"""Identity settings read from the environment. Thresholds and timeouts of sessions and the
throttle live in the database (`auth.config`); these are the ones the Python side needs."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from aiohttp import web

from webui.auth.origin import OriginConfig, OriginError
from webui.core.mfa_policy import MfaPolicy
from webui.core.settings import SettingsError

COOKIE_NAME = "pgw_session"


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)))


@dataclass(frozen=True)
class AuthConfig:
    cookie_secure: str = "auto"  # auto (when served over TLS) | always | never
    password_min_length: int = 10  # issue 14 and RustIO: at least 10
    password_max_length: int = 128
    hash_concurrency: int = 2
    argon2_time_cost: int | None = None
    argon2_memory_cost: int | None = None
    argon2_parallelism: int | None = None
    origin: OriginConfig = field(default_factory=OriginConfig)
    mfa: MfaPolicy = field(default_factory=MfaPolicy)

    @classmethod
    def from_env(cls) -> AuthConfig:
        def optional(name: str) -> int | None:
            value = os.environ.get(name)
            return int(value) if value else None

        try:
            origin = OriginConfig.from_env()
        except OriginError as exc:
            raise SettingsError(str(exc)) from None
        return cls(
            origin=origin,
            cookie_secure=os.environ.get("PGWARDEN_COOKIE_SECURE", "auto"),
            password_min_length=max(8, _int("PGWARDEN_PASSWORD_MIN_LENGTH", 10)),
            hash_concurrency=max(1, _int("PGWARDEN_HASH_CONCURRENCY", 2)),
            argon2_time_cost=optional("PGWARDEN_ARGON2_TIME_COST"),
            argon2_memory_cost=optional("PGWARDEN_ARGON2_MEMORY_COST"),
            argon2_parallelism=optional("PGWARDEN_ARGON2_PARALLELISM"),
            mfa=MfaPolicy.from_environment(),
        )


AUTH_CONFIG = web.AppKey("auth_config", AuthConfig)
