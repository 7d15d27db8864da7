-- Revert pgwarden:auth_mfa_policy
BEGIN;
drop function if exists auth.mfa_prove(text, bigint, bigint);
drop function if exists auth.mfa_policy_satisfied(bigint, text[]);
drop function if exists auth.mfa_enrolment_due(bigint, text[]);
COMMIT;
