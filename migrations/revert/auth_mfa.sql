-- Revert pgwarden:auth_mfa
BEGIN;
-- (auth.users_lock_kind() keeps recognising auth.mfa_fail in its call stack: inert once that
-- function is gone)
drop function if exists auth.emergency_recovery(text, text, text, text, jsonb, text, text, text, integer);
drop function if exists auth.mfa_reset_by_other(bigint, text);
drop function if exists auth.mfa_disable(text);
drop function if exists auth.mfa_regenerate_backup_codes(text, text[]);
drop function if exists auth.mfa_fail(text);
drop function if exists auth.mfa_use_backup_code(text, bigint, text);
drop function if exists auth.mfa_backup_hashes(text);
drop function if exists auth.mfa_verify(text, bigint, text);
drop function if exists auth.mfa_confirm(text, bigint, text[], text);
drop function if exists auth.mfa_take_step(bigint, bigint);
drop function if exists auth.mfa_enrol(text, bytea, text);
drop function if exists auth.mfa_rotate(auth.sessions, text);
drop function if exists auth.mfa_state(text);
drop function if exists auth.mfa_pending_of(bigint);
drop function if exists auth.mfa_require_elevated(auth.sessions);
drop function if exists auth.mfa_session(text, boolean);
delete from auth.password_reset_tokens where kind = 'emergency';
alter table auth.password_reset_tokens drop constraint if exists password_reset_tokens_kind;
alter table auth.password_reset_tokens add constraint password_reset_tokens_kind
  check (kind in ('self', 'admin'));
drop table if exists auth.mfa_backup_codes;
drop table if exists auth.mfa_secrets;
alter table auth.sessions drop constraint if exists sessions_trust_level;
alter table auth.sessions drop column if exists trust_level;
COMMIT;
