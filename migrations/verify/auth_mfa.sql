-- Verify pgwarden:auth_mfa
BEGIN;
select trust_level from auth.sessions where false;
select user_id, ciphertext, key_id, last_used_step from auth.mfa_secrets where false;
select id, user_id, code_hash, used_at from auth.mfa_backup_codes where false;
select 'auth.mfa_verify(text, bigint, text)'::regprocedure;
select 'auth.mfa_reset_by_other(bigint, text)'::regprocedure;
ROLLBACK;
