-- Verify pgwarden:auth_mfa_policy
BEGIN;
do $verify$
begin
  assert pg_catalog.has_function_privilege('authenticator',
    'auth.mfa_enrolment_due(bigint, text[])', 'execute'), 'authenticator reads the MFA policy';
  assert not pg_catalog.has_function_privilege('pgw_user',
    'auth.mfa_prove(text, bigint, bigint)', 'execute'), 'only authenticator proves a code';
end
$verify$;
ROLLBACK;
