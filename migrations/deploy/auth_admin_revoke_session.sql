-- Deploy pgwarden:auth_admin_revoke_session
-- requires: auth_recovery
BEGIN;
\ir ../../sql/auth/54_admin_revoke_session.sql
COMMIT;
