-- R4's emergency-access link (sql/auth/62_emergency.sql) is a reset token of R1's table printed
-- to the operator, never mailed: a third kind of token. Created once, by change auth_mfa_recovery.
alter table auth.password_reset_tokens drop constraint if exists password_reset_tokens_kind;
-- self-service (forgot), issued by an administrator (R2 email mode), or by an operator (R4)
alter table auth.password_reset_tokens add constraint password_reset_tokens_kind
  check (kind in ('self', 'admin', 'emergency'));
