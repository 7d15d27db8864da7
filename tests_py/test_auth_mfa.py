"""The second factor over real HTTP against a real `pgwarden serve` and PostgreSQL
(docs/recovery.md, R3): enrolment behind the re-auth wall with the TOTP computed from the secret
shown, a pending session with no data access, verification rotating the session, a uniform 401
for every bad code, backup codes used once, regeneration, disabling, an administrator's reset;
the secret is never stored or audited in the clear."""

from __future__ import annotations

import base64
import time
from typing import Any

import pyotp
import pytest

from webui.auth import mfa
from webui.testing import ServerProcess
from webui.testing.auth import Client, create_user, sql

PASSWORD = "correct horse battery"
EMAIL = "mfa@example.com"


@pytest.fixture
def user(db_url: str) -> int:
    return create_user(db_url, EMAIL, PASSWORD, "staff")


async def signed_in(server: ServerProcess, email: str = EMAIL) -> Client:
    client = Client(server.base_url)
    reply = await client.login(email, PASSWORD)
    assert reply.status == 200, reply.body
    return client


def totp(secret: str, offset_steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + offset_steps * 30)


async def enrolled(server: ServerProcess) -> tuple[Client, str, list[str]]:
    client = await signed_in(server)
    assert (await client.request("POST", "/auth/reauth", {"password": PASSWORD})).status == 200
    reply = await client.request("POST", "/auth/mfa/enrol", {})
    assert reply.status == 200, reply.body
    secret = reply.json()["secret"]
    assert "<svg" in reply.json()["qr_svg"]
    reply = await client.request("POST", "/auth/mfa/confirm", {"code": totp(secret)})
    assert reply.status == 200, reply.body
    return client, secret, reply.json()["backup_codes"]


async def test_enrolment_needs_the_reauth_wall(server: ServerProcess, user: int) -> None:
    client = await signed_in(server)
    reply = await client.request("POST", "/auth/mfa/enrol", {})
    assert (reply.status, reply.json()["code"]) == (403, "reauth_required")


async def test_enrol_stores_only_ciphertext_and_issues_eight_codes(
    server: ServerProcess, user: int, db_url: str
) -> None:
    client, secret, codes = await enrolled(server)
    assert len(codes) == 8 and all(len(c) == 9 and c[4] == "-" for c in codes)
    ((blob, _key_id),) = sql(db_url, "select ciphertext, key_id from auth.mfa_secrets")
    raw = base64.b32decode(secret + "=" * (-len(secret) % 8))
    assert raw not in bytes(blob) and len(bytes(blob)) == 48
    audit = sql(
        db_url, "select coalesce(string_agg(metadata::text || summary, ' '), '') from audit.events"
    )
    assert secret not in audit[0][0] and not any(c in audit[0][0] for c in codes)
    state = await client.request("GET", "/auth/mfa")
    assert state.json() == {"enabled": True, "pending": False, "backup_codes_left": 8}


async def test_a_pending_session_has_no_data_access_until_verified(
    server: ServerProcess, user: int
) -> None:
    _client, secret, _codes = await enrolled(server)
    pending = await signed_in(server)
    assert (await pending.request("GET", "/auth/mfa")).json()["pending"] is True
    bearer = {"Authorization": f"Bearer {pending.token}"}
    refused = await Client(server.base_url).request("GET", "/rest/v1/", headers=bearer)
    assert refused.status in (401, 403)
    old_token = pending.token
    reply = await pending.request("POST", "/auth/mfa/verify", {"code": totp(secret, 1)})
    assert reply.status == 200, reply.body
    assert pending.token != old_token, "verification rotates the session"
    assert (await pending.request("GET", "/auth/mfa")).json()["pending"] is False
    stale = Client(server.base_url, token=old_token)
    assert (await stale.request("GET", "/auth/me")).status == 401, "the old session is revoked"


async def test_a_pending_session_reaches_only_verify_sign_out_and_its_sessions(
    server: ServerProcess, user: int
) -> None:
    await enrolled(server)
    pending = await signed_in(server)
    for method, path, body in (
        ("GET", "/auth/me", None),
        ("POST", "/auth/password", {"current_password": PASSWORD, "new_password": "x" * 20}),
        ("POST", "/auth/reauth", {"password": PASSWORD}),
        ("POST", "/auth/sessions/revoke-others", {}),
    ):
        reply = await pending.request(method, path, body)
        assert (reply.status, reply.json()["code"]) == (403, "mfa_required"), path
    assert (await pending.request("GET", "/auth/sessions")).status == 200
    assert (await pending.request("POST", "/auth/logout", {})).status == 200


async def test_every_bad_code_gets_the_same_answer(
    server: ServerProcess, user: int, db_url: str
) -> None:
    _client, secret, codes = await enrolled(server)
    pending = await signed_in(server)
    ((step,),) = sql(db_url, "select last_used_step from auth.mfa_secrets")
    used = pyotp.TOTP(secret).at(step * 30)  # the step enrolment accepted: a replay
    bodies: list[Any] = [
        {"code": "000000" if used != "000000" else "111111"},
        {"code": used},
        {"code": "x" * 100_000},
        {"code": ["123456"]},
        ["not", "an", "object"],
        {"code": "ABCD-EFGH"},
    ]
    answers = set()
    for body in bodies:
        sql(db_url, "update auth.mfa_secrets set failed_count = 0")  # stay below the throttle
        reply = await pending.request("POST", "/auth/mfa/verify", body)
        answers.add((reply.status, reply.body))
    assert len(answers) == 1, answers
    assert answers.pop()[0] == 401
    del codes


async def test_five_wrong_codes_lock_the_account(
    server: ServerProcess, user: int, db_url: str
) -> None:
    await enrolled(server)
    pending = await signed_in(server)
    for _ in range(5):
        await pending.request("POST", "/auth/mfa/verify", {"code": "999999"})
    ((locked,),) = sql(
        db_url, "select locked_until > now() from auth.users where email = %s", [EMAIL]
    )
    assert locked
    assert (await Client(server.base_url).login(EMAIL, PASSWORD)).status == 401


async def test_a_backup_code_works_once(server: ServerProcess, user: int, db_url: str) -> None:
    _client, _secret, codes = await enrolled(server)
    first = await signed_in(server)
    reply = await first.request("POST", "/auth/mfa/verify", {"code": codes[0].lower()})
    assert reply.status == 200, reply.body
    second = await signed_in(server)
    reply = await second.request("POST", "/auth/mfa/verify", {"code": codes[0]})
    assert (reply.status, reply.json()["code"]) == (401, "invalid_code")
    ((remaining,),) = sql(
        db_url,
        "select metadata ->> 'remaining' from audit.events where event = 'mfa_code_consumed'"
        " order by id desc limit 1",
    )
    assert remaining == "7"


async def test_regenerate_invalidates_old_codes_and_disable_turns_it_off(
    server: ServerProcess, user: int
) -> None:
    client, _secret, codes = await enrolled(server)
    again = {"password": PASSWORD, "code": codes[0]}  # the re-auth wall wants the second factor
    assert (await client.request("POST", "/auth/reauth", again)).status == 200
    reply = await client.request("POST", "/auth/mfa/backup-codes", {})
    assert reply.status == 200 and set(reply.json()["backup_codes"]).isdisjoint(codes)
    pending = await signed_in(server)
    refused = await pending.request("POST", "/auth/mfa/verify", {"code": codes[1]})
    assert refused.status == 401, "an old code stops working at once"
    ok = await pending.request(
        "POST", "/auth/mfa/verify", {"code": reply.json()["backup_codes"][0]}
    )
    assert ok.status == 200
    assert (await client.request("POST", "/auth/mfa/disable", {})).status == 200
    plain = await signed_in(server)
    assert (await plain.request("GET", "/auth/mfa")).json()["pending"] is False


async def test_the_reauth_wall_asks_for_the_second_factor_once_enrolled(
    server: ServerProcess, user: int
) -> None:
    """RustIO's wall: the password, plus a code when MFA is on (TOTP or a backup code)."""
    client, secret, codes = await enrolled(server)
    bare = await client.request("POST", "/auth/reauth", {"password": PASSWORD})
    assert (bare.status, bare.json()["code"]) == (401, "mfa_code_required")
    wrong = await client.request("POST", "/auth/reauth", {"password": PASSWORD, "code": "000000"})
    assert (wrong.status, wrong.json()["code"]) == (401, "invalid_code")
    bad_password = await client.request(
        "POST", "/auth/reauth", {"password": "not it at all", "code": codes[0]}
    )
    assert bad_password.status == 403
    ok = await client.request("POST", "/auth/reauth", {"password": PASSWORD, "code": codes[0]})
    assert ok.status == 200 and "elevated_until" in ok.json()
    reused = await client.request("POST", "/auth/reauth", {"password": PASSWORD, "code": codes[0]})
    assert reused.status == 401, "a backup code works once"
    step = await client.request(
        "POST", "/auth/reauth", {"password": PASSWORD, "code": totp(secret, 1)}
    )
    assert step.status == 200, step.body


async def test_an_administrator_resets_a_lower_ranked_users_mfa(
    server: ServerProcess, user: int, db_url: str
) -> None:
    await enrolled(server)
    create_user(db_url, "admin@example.com", PASSWORD, "administrator")
    admin = await signed_in(server, "admin@example.com")
    body = {"user_id": user, "reason": "lost phone, ticket 42"}
    assert (await admin.request("POST", "/auth/mfa/reset", body)).json()[
        "code"
    ] == "reauth_required"
    assert (await admin.request("POST", "/auth/reauth", {"password": PASSWORD})).status == 200
    short = await admin.request("POST", "/auth/mfa/reset", {**body, "reason": "short"})
    assert (short.status, short.json()["code"]) == (400, "reason_too_short")
    assert (await admin.request("POST", "/auth/mfa/reset", body)).status == 200
    plain = await signed_in(server)
    assert (await plain.request("GET", "/auth/mfa")).json() == {
        "enabled": False,
        "pending": False,
        "backup_codes_left": 0,
    }


def test_secrets_encrypted_under_an_old_key_still_decrypt() -> None:
    old = mfa.parse_keys("key-a-" + "a" * 40)
    both = mfa.parse_keys("key-b-" + "b" * 40 + ",key-a-" + "a" * 40)
    secret = mfa.new_secret()
    blob, key_id = mfa.encrypt(old, 7, secret)
    assert mfa.decrypt(both, 7, blob, key_id) == secret
    assert mfa.encrypt(both, 7, secret)[1] == both[0].key_id != key_id
    with pytest.raises(Exception):  # noqa: B017 — bound to the user: another id cannot decrypt
        mfa.decrypt(both, 8, blob, key_id)
    with pytest.raises(mfa.MfaKeyError):
        mfa.decrypt(mfa.parse_keys("key-c-" + "c" * 40), 7, blob, key_id)
