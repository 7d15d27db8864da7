-- Deploy pgwarden:auth_mfa
-- requires: auth_sessions
BEGIN;
\ir ../../sql/auth/60_mfa_state.sql
\ir ../../sql/auth/61_mfa.sql
\ir ../../sql/auth/62_emergency.sql
COMMIT;
