"""The second factor's cryptography: what only the key holder can do. Everything else (the re-auth
wall, the replay guard, single use, the throttle, session rotation) is a rule in SQL
(sql/auth/61_mfa.sql); this module encrypts and decrypts TOTP secrets, finds which 30-second step
a code matches, and makes and checks backup codes.

- Secrets are 20 random bytes (RFC 6238 with SHA-1, 6 digits, 30-second steps, the current step
  ±1 accepted), encrypted with AES-256-GCM as `nonce (12) || ciphertext (20) || tag (16)`, bound
  to the user id as associated data, under a key derived (HKDF-SHA256) from one of
  PGWARDEN_SECRET_KEY's keys. The key id names the key without revealing it.
- PGWARDEN_SECRET_KEY may hold several keys separated by commas, the newest first: the newest
  encrypts, every one decrypts (`pgwarden secret rotate` re-encrypts under the newest).
- Backup codes are 8 codes `XXXX-XXXX` shown once and stored Argon2id-hashed.

Doctrine: docs/recovery.md (R3).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass

import pyotp
import segno
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

STEP_SECONDS = 30
SECRET_BYTES = 20
BACKUP_CODES = 8
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud, typed by hand
_NONCE = 12


class MfaKeyError(RuntimeError):
    """No key can decrypt a secret (the key it was encrypted under is gone)."""


@dataclass(frozen=True)
class Key:
    key_id: str
    aes: AESGCM


def parse_keys(value: str) -> list[Key]:
    """PGWARDEN_SECRET_KEY's keys, newest first (comma-separated)."""
    return [_derive(part.strip()) for part in value.split(",") if part.strip()]


def _derive(secret: str) -> Key:
    material = secret.encode()
    key_id = hashlib.sha256(b"pgwarden key id\x00" + material).hexdigest()[:12]
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"pgwarden mfa v1")
    return Key(key_id, AESGCM(hkdf.derive(material)))


def encrypt(keys: list[Key], user_id: int, secret: bytes) -> tuple[bytes, str]:
    """(nonce || ciphertext || tag, key id) under the newest key."""
    key = keys[0]
    nonce = os.urandom(_NONCE)
    return nonce + key.aes.encrypt(nonce, secret, _aad(user_id)), key.key_id


def decrypt(keys: list[Key], user_id: int, blob: bytes, key_id: str) -> bytes:
    for key in keys:
        if key.key_id == key_id:
            return key.aes.decrypt(blob[:_NONCE], blob[_NONCE:], _aad(user_id))
    raise MfaKeyError(
        f"no key in PGWARDEN_SECRET_KEY has id {key_id}: the key this secret was encrypted under "
        "is gone (see docs/recovery.md, losing the key)"
    )


def _aad(user_id: int) -> bytes:
    return f"pgwarden mfa user {user_id}".encode()


def new_secret() -> bytes:
    return os.urandom(SECRET_BYTES)


def base32(secret: bytes) -> str:
    return base64.b32encode(secret).decode().rstrip("=")


def provisioning_uri(secret: bytes, account: str, issuer: str = "pgwarden") -> str:
    return pyotp.TOTP(base32(secret)).provisioning_uri(name=account, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The otpauth URI as an inline SVG QR code, black on white in both themes for scanners."""
    return segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff")


def matching_step(secret: bytes, code: str, at: float | None = None) -> int | None:
    """The 30-second step (current ±1) whose code this is, or None. Constant-time comparisons."""
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(base32(secret))
    now = int((time.time() if at is None else at) // STEP_SECONDS)
    found = None
    for step in (now - 1, now, now + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            found = step
    return found


def code_for_step(secret: bytes, step: int) -> str:
    return str(pyotp.TOTP(base32(secret)).at(step * STEP_SECONDS))


def new_backup_codes() -> list[str]:
    return [_backup_code() for _ in range(BACKUP_CODES)]


def _backup_code() -> str:
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"{chars[:4]}-{chars[4:]}"


def normalize_backup_code(code: str) -> str | None:
    """`abcd efgh`, `ABCD-EFGH` → `ABCD-EFGH`; anything else None."""
    cleaned = "".join(c for c in code.upper() if c.isalnum())
    if len(cleaned) != 8 or any(c not in _ALPHABET for c in cleaned):
        return None
    return f"{cleaned[:4]}-{cleaned[4:]}"
