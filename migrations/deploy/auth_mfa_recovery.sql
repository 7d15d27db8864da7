-- Deploy pgwarden:auth_mfa_recovery
-- requires: auth_mfa auth_recovery
BEGIN;
\ir ../../sql/auth/64_emergency_access_state.sql
\ir ../../sql/auth/32_user_effects.sql
COMMIT;
