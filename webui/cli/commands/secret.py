"""`pgwarden secret rotate`: re-encrypt every MFA secret under PGWARDEN_SECRET_KEY's newest key.

PGWARDEN_SECRET_KEY may hold several keys separated by commas, the newest first: the newest
encrypts, every one decrypts. After a rotation the old keys can be removed. `doctor` warns while
any secret still uses an old key. Doctrine: docs/recovery.md (key rotation)."""

from __future__ import annotations

import argparse

import psycopg

from webui.auth import mfa
from webui.cli.console import OK, fail
from webui.core.settings import secret_key
from webui.ops.database import database_url

ROTATE_BATCH = 500


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("secret", help="the secret key: rotate what it encrypts")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    rotate = actions.add_parser("rotate", help="re-encrypt every MFA secret under the newest key")
    rotate.set_defaults(handler=run_rotate)


def old_key_count(conn: psycopg.Connection, keys: list[mfa.Key]) -> int:
    """How many MFA secrets are still encrypted under a key other than the newest."""
    newest = keys[0].key_id if keys else ""
    row = conn.execute(
        "select count(*) from auth.mfa_secrets where key_id <> %s", [newest]
    ).fetchone()
    return int(row[0]) if row else 0


def run_rotate(_args: argparse.Namespace) -> int:
    value, _source = secret_key()
    keys = mfa.parse_keys(value)
    if not keys:
        return fail("PGWARDEN_SECRET_KEY is not set: nothing can be decrypted")
    counts = {"rotated": 0, "current": 0}
    with psycopg.connect(database_url()) as conn:
        rows = conn.execute("select user_id, ciphertext, key_id from auth.mfa_secrets").fetchall()
        for user_id, blob, key_id in rows:
            if key_id == keys[0].key_id:
                counts["current"] += 1
                continue
            try:
                secret = mfa.decrypt(keys, user_id, bytes(blob), key_id)
            except mfa.MfaKeyError as exc:
                return fail(f"user {user_id}: {exc}")
            new_blob, new_id = mfa.encrypt(keys, user_id, secret)
            conn.execute(
                "update auth.mfa_secrets set ciphertext = %s, key_id = %s where user_id = %s",
                [new_blob, new_id, user_id],
            )
            counts["rotated"] += 1
            if counts["rotated"] % ROTATE_BATCH == 0:
                conn.commit()
    print(
        f"{OK} MFA secrets: {counts['rotated']} re-encrypted, {counts['current']} already current"
    )
    return 0
