-- Verify pgwarden:auth_admin_revoke_session
BEGIN;
do $verify$
begin
  assert pg_catalog.has_function_privilege('pgw_administrator', 'auth.admin_revoke_session(bigint)',
                                           'execute'),
    'auth.admin_revoke_session(bigint) must be executable by pgw_administrator';
  assert not pg_catalog.has_function_privilege('pgw_supervisor', 'auth.admin_revoke_session(bigint)',
                                               'execute'),
    'auth.admin_revoke_session(bigint) must not be executable by pgw_supervisor';
end
$verify$;
ROLLBACK;
