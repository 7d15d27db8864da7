"""Argon2id through argon2-cffi, in worker threads behind a semaphore: hashing never blocks the
event loop, and at most `hash_concurrency` hashes (64 MiB each with the RFC 9106 defaults) run at
once. Password policy: 10 to 128 characters after NFKC (minimum configurable), with a byte cap
before any normalisation or hashing."""

from __future__ import annotations

import asyncio
import secrets
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from webui.auth.config import AuthConfig

MAX_INPUT_BYTES = 1024
T = TypeVar("T")


class PasswordPolicyError(ValueError):
    """A new password breaks the policy; the message says how."""


def normalize(password: str) -> str:
    """NFKC of a password whose UTF-8 form is at most MAX_INPUT_BYTES (else ValueError)."""
    if len(password.encode("utf-8", "surrogatepass")) > MAX_INPUT_BYTES:
        raise ValueError("password too long")
    return unicodedata.normalize("NFKC", password)


def check_policy(password: str, config: AuthConfig) -> str:
    """The normalised password if it satisfies the policy, else PasswordPolicyError."""
    try:
        value = normalize(password)
    except ValueError:
        value = "x" * (config.password_max_length + 1)
    if len(value) < config.password_min_length:
        raise PasswordPolicyError(
            f"A password needs at least {config.password_min_length} characters."
        )
    if len(value) > config.password_max_length:
        raise PasswordPolicyError(
            f"A password has at most {config.password_max_length} characters."
        )
    return value


def make_hasher(config: AuthConfig) -> PasswordHasher:
    base = PasswordHasher()
    return PasswordHasher(
        time_cost=config.argon2_time_cost or base.time_cost,
        memory_cost=config.argon2_memory_cost or base.memory_cost,
        parallelism=config.argon2_parallelism or base.parallelism,
    )


class Hasher:
    """Hash and verify off the event loop, at most `concurrency` at a time."""

    def __init__(self, config: AuthConfig) -> None:
        self._hasher = make_hasher(config)
        self._executor = ThreadPoolExecutor(config.hash_concurrency, "pgw-argon2")
        self._semaphore = asyncio.Semaphore(config.hash_concurrency)
        self.dummy_hash = self._hasher.hash(secrets.token_urlsafe(24))

    async def _run(self, func: Callable[..., T], *args: str) -> T:
        async with self._semaphore:
            return await asyncio.get_running_loop().run_in_executor(self._executor, func, *args)

    async def hash(self, password: str) -> str:
        return str(await self._run(self._hasher.hash, password))

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return bool(self._hasher.verify(password_hash, password))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """True if `password` matches; an unknown user (None) is checked against a dummy hash
        so that the time taken does not tell whether the account exists."""
        matched = await self._run(self._verify, password_hash or self.dummy_hash, password)
        return bool(matched) and password_hash is not None

    def needs_rehash(self, password_hash: str) -> bool:
        return bool(self._hasher.check_needs_rehash(password_hash))

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
