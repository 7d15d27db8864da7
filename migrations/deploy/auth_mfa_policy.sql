-- Deploy pgwarden:auth_mfa_policy
-- requires: auth_mfa auth_mfa_recovery
BEGIN;
\ir ../../sql/auth/61_mfa.sql
\ir ../../sql/auth/66_mfa_policy.sql
COMMIT;
