"""Settings, read from the environment (and the embedded cluster when DATABASE_URL is unset)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict, make_conninfo

from webui.core.paths import state_dir

SECRET_MIN_LENGTH = 32


class SettingsError(RuntimeError):
    """A setting is missing or wrong; the message says how to fix it."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    app_database_url: str
    secret_key: str
    secret_source: str
    host: str = "127.0.0.1"
    port: int = 8000
    pool_min: int = 1
    pool_max: int = 10
    statement_timeout_ms: int = 10_000
    # a session connection to the primary as `authenticator`, never through a transaction pooler:
    # for what holds session state (the job runner's advisory lock, LISTEN)
    direct_database_url: str = ""
    # a hot standby for reads (PGWARDEN_READ_DATABASE_URL, as authenticator), skipped when it
    # lags more than read_max_lag seconds (docs/operations.md#read-replicas)
    read_database_url: str = ""
    read_max_lag: float = 5.0
    extra: dict[str, str] = field(default_factory=dict)


def as_authenticator(owner_url: str) -> str:
    """The owner URL with the user `authenticator` (and `PGWARDEN_AUTHENTICATOR_PASSWORD`)."""
    params = conninfo_to_dict(owner_url)
    if params.get("user") != "authenticator":  # an owner's password is not authenticator's
        params.pop("password", None)
    params["user"] = "authenticator"
    password = os.environ.get("PGWARDEN_AUTHENTICATOR_PASSWORD")
    if password:
        params["password"] = password
    return make_conninfo(**params)


def app_url_for(owner_url: str) -> str:
    """The app's connection: `PGWARDEN_APP_DATABASE_URL`, else the owner URL as `authenticator`."""
    return os.environ.get("PGWARDEN_APP_DATABASE_URL") or as_authenticator(owner_url)


def direct_or(fallback: str) -> str:
    """`PGWARDEN_DIRECT_DATABASE_URL`, else `fallback` (the standalone `pgwarden rest`)."""
    return os.environ.get("PGWARDEN_DIRECT_DATABASE_URL") or fallback


def transaction_pooler() -> bool:
    """`PGWARDEN_TRANSACTION_POOLER=on`: the app's URL goes through a transaction-mode pooler
    (PgBouncer), so its connections prepare no statements and send no startup options."""
    value = os.environ.get("PGWARDEN_TRANSACTION_POOLER", "")
    return value.strip().lower() in ("1", "on", "true", "yes")


def connection_kwargs(statement_timeout_ms: int) -> dict[str, object]:
    """psycopg's connect() arguments of the app's pools. Behind a transaction pooler every
    transaction may land on another server session, so nothing may live in the session: no
    prepared statements, and the statement timeout comes from the role's settings
    (`alter role authenticator set statement_timeout`, docs/operations.md#pgbouncer)."""
    if transaction_pooler():
        return {"prepare_threshold": None}
    return {"options": f"-c statement_timeout={statement_timeout_ms}"}


def direct_url_for(owner_url: str) -> str:
    """The app's direct connection: `PGWARDEN_DIRECT_DATABASE_URL`, else the owner URL
    (`DATABASE_URL`) as `authenticator`; never `PGWARDEN_APP_DATABASE_URL`, which may name a
    transaction pooler."""
    return os.environ.get("PGWARDEN_DIRECT_DATABASE_URL") or as_authenticator(owner_url)


def secret_key(create: bool = False) -> tuple[str, str]:
    """`PGWARDEN_SECRET_KEY`, else `.pgwarden/secret_key` (created when `create`)."""
    value = os.environ.get("PGWARDEN_SECRET_KEY")
    if value:
        return value, "PGWARDEN_SECRET_KEY"
    path = state_dir() / "secret_key"
    if not path.is_file() and create:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    if path.is_file():
        return path.read_text().strip(), str(path)
    return "", "unset"


def load(owner: str, create_secret: bool = False) -> Settings:
    """The settings of a server whose owner-level connection is `owner`."""
    key, source = secret_key(create=create_secret)
    return Settings(
        database_url=owner,
        app_database_url=app_url_for(owner),
        direct_database_url=direct_url_for(owner),
        secret_key=key,
        secret_source=source,
        pool_min=int(os.environ.get("PGWARDEN_POOL_MIN", "1")),
        pool_max=int(os.environ.get("PGWARDEN_POOL_MAX", "10")),
        statement_timeout_ms=int(os.environ.get("PGWARDEN_STATEMENT_TIMEOUT_MS", "10000")),
        read_database_url=os.environ.get("PGWARDEN_READ_DATABASE_URL", "").strip(),
        read_max_lag=read_max_lag(),
    )


def read_max_lag() -> float:
    """`PGWARDEN_READ_MAX_LAG`: seconds of replay lag past which the standby is skipped."""
    raw = os.environ.get("PGWARDEN_READ_MAX_LAG", "5").strip().removesuffix("s")
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(
            f"PGWARDEN_READ_MAX_LAG={raw!r} is not a number of seconds (e.g. 5)"
        ) from None
    if value < 0:
        raise SettingsError("PGWARDEN_READ_MAX_LAG must be 0 or more seconds")
    return value


def secret_file_path() -> Path:
    return state_dir() / "secret_key"


def audit_retention_months() -> int | None:
    """`PGWARDEN_AUDIT_RETENTION_MONTHS`: whole months of audit events kept in the database
    (the current month included); unset or empty keeps every month."""
    raw = os.environ.get("PGWARDEN_AUDIT_RETENTION_MONTHS", "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= 1200:
        raise SettingsError(
            f"PGWARDEN_AUDIT_RETENTION_MONTHS={raw!r} is not a whole number of months (1 to 1200)"
        )
    return int(raw)
