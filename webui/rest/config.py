"""Configuration of the REST dialect, under PostgREST's own names.

Read, lowest precedence first: built-in defaults, a PostgREST config file (`key = "value"` lines),
then `PGRST_*` environment variables (`db-max-rows` ↔ `PGRST_DB_MAX_ROWS`), so that an existing
PostgREST set-up moves over unchanged. pgwarden adds `db-statement-timeout` (milliseconds) and
`server-prefix` (the mount path inside `pgwarden serve`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path


class ConfigError(ValueError):
    """A configuration value is missing or malformed; the message names it."""


# name: (default, help). The order is the order of `pgwarden rest --help`.
OPTIONS: dict[str, tuple[str, str]] = {
    "db-uri": (
        "",
        "connection string (as `authenticator`); default: DATABASE_URL or the embedded cluster",
    ),
    "db-schemas": (
        "api",
        "exposed schemas, comma separated; the first is the default"
        " (default: the schemas of policies/*.toml, then api)",
    ),
    "db-anon-role": (
        "pgw_anon",
        "role for requests without a token; empty disables anonymous access",
    ),
    "db-pre-request": ("", "function called (no arguments) after the request context is set"),
    "db-tx-end": ("commit", "commit | commit-allow-override | rollback | rollback-allow-override"),
    "db-max-rows": ("", "hard limit on rows returned by a read"),
    "db-plan-enabled": ("false", "allow Accept: application/vnd.pgrst.plan (EXPLAIN)"),
    "db-aggregates-enabled": ("false", "allow count(), sum(), avg(), min(), max() in select"),
    "db-pool": ("10", "connections in the pool"),
    "db-pool-acquisition-timeout": ("10", "seconds to wait for a pool connection (then 504)"),
    "db-statement-timeout": ("10000", "pgwarden: statement_timeout of the pool, in milliseconds"),
    "db-channel": ("pgrst", "LISTEN channel for 'reload schema'"),
    "db-channel-enabled": ("true", "reload the schema cache on NOTIFY"),
    "jwt-secret": ("", "HMAC secret, or a JWK / JWKS (JSON) for RS256, ES256, EdDSA"),
    "jwt-secret-is-base64": ("false", "decode jwt-secret from base64 first"),
    "jwt-aud": ("", "required audience (aud) of tokens that carry one"),
    "jwt-role-claim-key": (".role", "JSPath of the role claim, e.g. .role or .realm.roles[0]"),
    "server-host": ("127.0.0.1", "listen address of `pgwarden rest`"),
    "server-port": ("3000", "listen port of `pgwarden rest`"),
    "server-prefix": ("/rest/v1", "pgwarden: mount path inside `pgwarden serve`"),
    "openapi-mode": ("follow-privileges", "follow-privileges | ignore-privileges | disabled"),
}

_LINE = re.compile(r'^\s*([a-z0-9-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^#\s]+))\s*(?:#.*)?$')
_TX_END = {"commit", "commit-allow-override", "rollback", "rollback-allow-override"}


@dataclass(frozen=True)
class RestConfig:
    db_uri: str = ""
    db_schemas: tuple[str, ...] = ("api",)
    db_anon_role: str = "pgw_anon"
    db_pre_request: str = ""
    db_tx_end: str = "commit"
    db_max_rows: int | None = None
    db_plan_enabled: bool = False
    db_aggregates_enabled: bool = False
    db_pool: int = 10
    db_pool_acquisition_timeout: float = 10.0
    db_statement_timeout: int = 10_000
    db_channel: str = "pgrst"
    db_channel_enabled: bool = True
    jwt_secret: str = ""
    jwt_secret_is_base64: bool = False
    jwt_aud: str = ""
    jwt_role_claim_key: str = ".role"
    server_host: str = "127.0.0.1"
    server_port: int = 3000
    server_prefix: str = "/rest/v1"
    openapi_mode: str = "follow-privileges"
    sources: tuple[str, ...] = field(default=(), compare=False)

    @property
    def tx_override(self) -> bool:
        return self.db_tx_end.endswith("-allow-override")

    @property
    def tx_rollback_default(self) -> bool:
        return self.db_tx_end.startswith("rollback")


def parse_file(text: str) -> dict[str, str]:
    """The `key = "value"` lines of a PostgREST config file (comments and blanks ignored)."""
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.match(line)
        if not match:
            raise ConfigError(f'config file line {number}: expected key = "value"')
        quoted, bare = match.group(2), match.group(3)
        values[match.group(1)] = bare if quoted is None else quoted.replace('\\"', '"')
    return values


def from_environment(env: Mapping[str, str]) -> dict[str, str]:
    values = {}
    for name in OPTIONS:
        key = "PGRST_" + name.upper().replace("-", "_")
        if key in env:
            values[name] = env[key]
    return values


def _bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"true", "on", "yes", "1"}:
        return True
    if lowered in {"false", "off", "no", "0", ""}:
        return False
    raise ConfigError(f"{name}: expected true or false, got {value!r}")


def _int(name: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name}: expected an integer, got {value!r}") from None


def _convert(name: str, raw: str) -> object:
    if name == "db-schemas":
        schemas = tuple(s.strip() for s in raw.split(",") if s.strip())
        if not schemas:
            raise ConfigError("db-schemas: at least one schema is required")
        return schemas
    if name == "db-max-rows":
        return _int(name, raw) if raw.strip() else None
    if name == "db-tx-end" and raw not in _TX_END:
        raise ConfigError(f"db-tx-end: expected one of {sorted(_TX_END)}, got {raw!r}")
    if name == "db-pool-acquisition-timeout":
        return float(_int(name, raw))
    kind = {f.name: f.type for f in fields(RestConfig)}[name.replace("-", "_")]
    if kind == "bool":
        return _bool(name, raw)
    if kind == "int":
        return _int(name, raw)
    return raw


def load(
    env: Mapping[str, str] | None = None,
    config_file: str | None = None,
    declared: Sequence[str] = (),
    **overrides: str,
) -> RestConfig:
    """Defaults, then the config file, then PGRST_* variables, then explicit overrides.

    `declared` are the schemas of the policy files: by default they are exposed, the first of
    them as the default profile, with `api` after them."""
    env = os.environ if env is None else env
    raw = {name: default for name, (default, _) in OPTIONS.items()}
    if declared:
        raw["db-schemas"] = ",".join(dict.fromkeys([*declared, "api"]))
    sources = ["defaults"]
    path = config_file or env.get("PGRST_CONFIG") or ""
    if path:
        try:
            raw.update(parse_file(Path(path).read_text()))
        except OSError as exc:
            raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
        sources.append(path)
    raw.update(from_environment(env))
    raw.update({k: v for k, v in overrides.items() if v is not None})
    unknown = sorted(set(raw) - set(OPTIONS))
    if unknown:
        raise ConfigError(f"unknown configuration name(s): {', '.join(unknown)}")
    values = {name.replace("-", "_"): _convert(name, value) for name, value in raw.items()}
    return RestConfig(**values, sources=tuple(sources))  # type: ignore[arg-type]
