-- Deploy pgwarden:auth_recovery to pg
-- requires: auth_login
BEGIN;
\ir ../../sql/auth/50_recovery_state.sql
\ir ../../sql/auth/23_rank_guards.sql
\ir ../../sql/auth/31_invalidate_sessions.sql
\ir ../../sql/auth/32_user_effects.sql
\ir ../../sql/auth/33_resolve_session.sql
\ir ../../sql/auth/41_login.sql
\ir ../../sql/auth/42_reauth.sql
\ir ../../sql/auth/43_throttle_code.sql
\ir ../../sql/auth/51_recovery.sql
\ir ../../sql/auth/52_admin_recovery.sql
\ir ../../sql/auth/53_mail_outbox.sql
COMMIT;
