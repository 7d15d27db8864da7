"""Key rotation (docs/recovery-mfa.md, key rotation): a secret encrypted under key A still
decrypts after key B is added and `pgwarden secret rotate` runs, and then with key A removed;
`pgwarden doctor` warns, with the command that fixes it, while any secret is under an old key."""

from __future__ import annotations

import time

from webui.auth import mfa
from webui.testing import run_cli
from webui.testing.auth import create_user, sql

KEY_A = "a" * 40
KEY_B = "b" * 40


def _enrolled(db_url: str) -> tuple[int, bytes]:
    user_id = create_user(db_url, "rotate@example.com", "correct horse battery", "staff")
    secret = mfa.new_secret()
    blob, key_id = mfa.encrypt(mfa.parse_keys(KEY_A), user_id, secret)
    sql(
        db_url,
        "insert into auth.mfa_secrets (user_id, ciphertext, key_id, created_at, confirmed_at)"
        " values (%s, %s, %s, now(), now())",
        [user_id, blob, key_id],
    )
    return user_id, secret


def _doctor(db_url: str, keys: str) -> list[str]:
    result = run_cli("doctor", database_url=db_url, env={"PGWARDEN_SECRET_KEY": keys})
    return [line for line in result.stdout.splitlines() if "MFA secrets" in line]


def test_rotation_keeps_secrets_readable_and_doctor_says_what_to_do(db_url: str) -> None:
    user_id, secret = _enrolled(db_url)
    assert _doctor(db_url, KEY_A) == ["✓ MFA secrets under the newest key"]

    # key B added in front: A still decrypts, doctor warns and names the fix (not a failure)
    warned = run_cli("doctor", database_url=db_url, env={"PGWARDEN_SECRET_KEY": f"{KEY_B},{KEY_A}"})
    lines = [line for line in warned.stdout.splitlines() if "MFA secrets" in line]
    assert lines == [
        "! MFA secrets under an old key: 1 still encrypted with an older PGWARDEN_SECRET_KEY key"
        " (run `pgwarden secret rotate`, then remove the old key)"
    ]
    assert not any(line.startswith("✗ MFA") for line in warned.stdout.splitlines())

    rotated = run_cli(
        "secret", "rotate", database_url=db_url, env={"PGWARDEN_SECRET_KEY": f"{KEY_B},{KEY_A}"}
    )
    assert rotated.returncode == 0, rotated.stderr
    assert "1 re-encrypted, 0 already current" in rotated.stdout
    assert _doctor(db_url, f"{KEY_B},{KEY_A}") == ["✓ MFA secrets under the newest key"]

    # key A removed: the secret decrypts under B alone and still yields valid codes
    ((blob, key_id),) = sql(
        db_url, "select ciphertext, key_id from auth.mfa_secrets where user_id = %s", [user_id]
    )
    only_b = mfa.parse_keys(KEY_B)
    assert key_id == only_b[0].key_id
    assert mfa.decrypt(only_b, user_id, bytes(blob), key_id) == secret
    step = int(time.time() // 30)
    assert mfa.matching_step(secret, mfa.code_for_step(secret, step)) == step
    assert _doctor(db_url, KEY_B) == ["✓ MFA secrets under the newest key"]


def test_doctor_is_quiet_about_keys_without_mfa_secrets(db_url: str) -> None:
    assert _doctor(db_url, KEY_A) == ["✓ MFA secrets under the newest key"]
