"""PGWARDEN_MFA, the second-factor policy: parsed once here, for the identity endpoints and
pages (webui/auth) and the REST dialect alike; SQL decides what it means for a session
(`auth.mfa_enrolment_due()`, `pgwarden.begin_session_request()`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from webui.core.roles import TIERS
from webui.core.settings import SettingsError

MFA_ENV = "PGWARDEN_MFA"


@dataclass(frozen=True)
class MfaPolicy:
    """PGWARDEN_MFA: `disabled` (no new enrolments; enrolled users still verify), `optional`
    (the default), `required` (every tier) or `required:<tier>,<tier>`. `required_tiers` goes to
    SQL (auth.mfa_enrolment_due), which decides which sessions must enrol first."""

    mode: str = "optional"
    required_tiers: tuple[str, ...] = ()

    @property
    def enrolment_allowed(self) -> bool:
        return self.mode != "disabled"

    @classmethod
    def parse(cls, value: str) -> MfaPolicy:
        text = value.strip().lower()
        if text in ("", "optional"):
            return cls()
        if text in ("disabled", "required"):
            return cls(text, TIERS if text == "required" else ())
        head, _, rest = text.partition(":")
        tiers = tuple(t.strip() for t in rest.split(",") if t.strip())
        unknown = [t for t in tiers if t not in TIERS]
        if head != "required" or not tiers or unknown:
            raise SettingsError(
                f"{MFA_ENV}={value!r} is not a policy: use disabled, optional, required or "
                f"required:<tiers> with tiers among {', '.join(TIERS)}"
            )
        return cls("required", tiers)

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> MfaPolicy:
        return cls.parse((os.environ if env is None else env).get(MFA_ENV, ""))
