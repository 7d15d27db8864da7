-- Deploy pgwarden:auth_login to pg
-- requires: auth_sessions
BEGIN;
\ir ../../sql/auth/40_throttle.sql
\ir ../../sql/auth/41_login.sql
\ir ../../sql/auth/42_reauth.sql
COMMIT;
