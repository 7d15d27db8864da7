-- Verify pgwarden:auth_mfa_recovery
BEGIN;
do $verify$
begin
  assert (select pg_catalog.pg_get_constraintdef(c.oid) from pg_catalog.pg_constraint c
           where c.conname = 'password_reset_tokens_kind') like '%emergency%',
    'reset tokens of kind emergency are allowed';
end
$verify$;
ROLLBACK;
