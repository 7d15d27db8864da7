"""Who is asking: a JWT (HS256/384/512 with a secret, RS256/ES256/EdDSA with a JWK or JWKS and
`kid` rotation, optional `aud`) or a pgwarden session token (no two dots; resolved in SQL).

Failures are 401 with PostgREST's error shape and a `WWW-Authenticate` header."""

from __future__ import annotations

import base64
import json
import re
import time
from typing import Any

import jwt
import orjson

from webui.core.identity import Identity
from webui.rest.config import RestConfig
from webui.rest.errors import ApiError

HMAC_ALGORITHMS = ["HS256", "HS384", "HS512"]
KEY_ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "EdDSA"]
LEEWAY_SECONDS = 30
_CACHE_MAX = 4096
_PATH_PART = re.compile(r'\.(?:"([^"]+)"|([A-Za-z0-9_$@-]+))|\[(\d+)\]')


def _challenge(code: str, message: str) -> ApiError:
    header = f'Bearer error="invalid_token", error_description="{message}"'
    return ApiError(401, code, message, headers={"WWW-Authenticate": header})


def parse_role_path(path: str) -> list[str | int]:
    """`.role`, `.realm_access.roles[0]`, `."https://x".role` → the steps into the claims."""
    steps: list[str | int] = []
    position = 0
    while position < len(path):
        match = _PATH_PART.match(path, position)
        if not match:
            raise ValueError(f"jwt-role-claim-key: cannot parse {path!r}")
        quoted, bare, index = match.groups()
        steps.append(int(index) if index is not None else (quoted or bare))
        position = match.end()
    return steps


def _walk(claims: Any, steps: list[str | int]) -> Any:
    value = claims
    for step in steps:
        if isinstance(step, int) and isinstance(value, list) and step < len(value):
            value = value[step]
        elif isinstance(step, str) and isinstance(value, dict):
            value = value.get(step)
        else:
            return None
    return value


class JwtVerifier:
    """Verifies tokens against the configured key(s); caches verified claims until they expire."""

    def __init__(self, config: RestConfig) -> None:
        self.audience = config.jwt_aud or None
        self.role_steps = parse_role_path(config.jwt_role_claim_key)
        self.anon_role = config.db_anon_role
        self.hmac_key: bytes | None = None
        self.keys: dict[str | None, jwt.PyJWK] = {}
        self._cache: dict[str, tuple[float, Identity]] = {}
        self._load_secret(config)

    def _load_secret(self, config: RestConfig) -> None:
        secret = config.jwt_secret
        if not secret:
            return
        if secret.lstrip().startswith("{"):
            document = json.loads(secret)
            entries = document.get("keys", [document])
            for entry in entries:
                key = jwt.PyJWK.from_dict(entry)
                self.keys[entry.get("kid")] = key
            return
        raw = base64.b64decode(secret) if config.jwt_secret_is_base64 else secret.encode()
        self.hmac_key = raw

    @property
    def configured(self) -> bool:
        return self.hmac_key is not None or bool(self.keys)

    def identify(self, token: str) -> Identity:
        now = time.time()
        cached = self._cache.get(token)
        if cached and cached[0] > now:
            return cached[1]
        claims = self._decode(token)
        identity = self._identity(claims)
        expires = float(claims["exp"]) + LEEWAY_SECONDS if "exp" in claims else now + 300
        if len(self._cache) >= _CACHE_MAX:
            self._cache.clear()
        self._cache[token] = (min(expires, now + 300), identity)
        return identity

    def _key_for(self, token: str) -> tuple[Any, list[str]]:
        header = jwt.get_unverified_header(token)
        algorithm = header.get("alg", "")
        if algorithm in HMAC_ALGORITHMS and self.hmac_key is not None:
            return self.hmac_key, [algorithm]
        if algorithm in HMAC_ALGORITHMS + KEY_ALGORITHMS and self.keys:
            return self._jwk(header.get("kid")).key, [algorithm]
        raise _challenge("PGRST301", "Wrong or unsupported encoding algorithm")

    def _jwk(self, kid: str | None) -> jwt.PyJWK:
        """The key named by `kid`; without a `kid`, the only key, or the one without a kid."""
        key = self.keys.get(kid) if kid is not None else self.keys.get(None)
        if key is None and kid is None and len(self.keys) == 1:
            key = next(iter(self.keys.values()))
        if key is None:
            raise _challenge("PGRST301", "No suitable key or wrong key type")
        return key

    def _decode(self, token: str) -> dict[str, Any]:
        if not self.configured:
            raise ApiError(500, "PGRST300", "Server lacks JWT secret")
        try:
            key, algorithms = self._key_for(token)
            claims = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                leeway=LEEWAY_SECONDS,
                options={"verify_aud": False, "require": []},
            )
        except jwt.ExpiredSignatureError:
            raise _challenge("PGRST303", "JWT expired") from None
        except jwt.ImmatureSignatureError:
            raise _challenge("PGRST303", "JWT not yet valid") from None
        except jwt.InvalidIssuedAtError:
            raise _challenge("PGRST303", "JWT issued at future") from None
        except jwt.InvalidSignatureError:
            raise _challenge("PGRST301", "JWT cryptographic operation failed") from None
        except jwt.PyJWTError:
            raise _challenge("PGRST301", "JWT could not be decoded") from None
        self._check_audience(claims)
        return claims

    def _check_audience(self, claims: dict[str, Any]) -> None:
        if self.audience is None or "aud" not in claims:
            return
        audience = claims["aud"]
        accepted = audience if isinstance(audience, list) else [audience]
        if self.audience not in accepted:
            raise _challenge("PGRST303", "JWT not in audience")

    def _identity(self, claims: dict[str, Any]) -> Identity:
        if not isinstance(claims, dict):
            raise _challenge("PGRST301", "JWT claims are not an object")
        role = _walk(claims, self.role_steps)
        if role is None:
            role = self.anon_role
        if not isinstance(role, str) or not role:
            raise _challenge("PGRST303", "JWT role claim is not a string")
        text = orjson.dumps(claims).decode()
        return Identity.from_claims(role, claims, text)


def bearer_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _challenge("PGRST301", "Invalid Authorization header: expected Bearer <token>")
    return token.strip()
