-- Revert pgwarden:auth_mfa_recovery
BEGIN;
-- (auth.users_lock_kind() keeps recognising auth.mfa_fail as a throttle: inert once it is gone)
delete from auth.password_reset_tokens where kind = 'emergency';
alter table auth.password_reset_tokens drop constraint if exists password_reset_tokens_kind;
alter table auth.password_reset_tokens add constraint password_reset_tokens_kind
  check (kind in ('self', 'admin'));
COMMIT;
