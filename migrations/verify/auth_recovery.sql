-- Verify pgwarden:auth_recovery
BEGIN;
select id, user_id, token_hash, kind, requested_at, expires_at, consumed_at, mail_status
  from auth.password_reset_tokens where false;
select id, recipient, subject, body, status, attempts, next_attempt_at from auth.mail_outbox
 where false;
select locked_via from auth.users where false;
select tier, changed_at from auth.protected_tiers where false;
do $verify$
begin
  assert pg_catalog.has_function_privilege('authenticator',
           'auth.request_password_reset(text, text, text, inet, text)', 'execute'),
         'authenticator must be able to request a reset';
  assert pg_catalog.has_function_privilege('pgw_administrator',
           'auth.lock_user(bigint, text, text, timestamptz)', 'execute'),
         'administrators must be able to lock';
  assert not pg_catalog.has_function_privilege('pgw_supervisor',
           'auth.lock_user(bigint, text, text, timestamptz)', 'execute'),
         'supervisors must not be able to lock';
  assert not pg_catalog.has_table_privilege('authenticator', 'auth.mail_outbox', 'select'),
         'the outbox is read only through its functions';
end
$verify$;
ROLLBACK;
