-- Deploy pgwarden:auth_sessions to pg
-- requires: auth_users
BEGIN;
\ir ../../sql/auth/30_sessions.sql
\ir ../../sql/auth/31_invalidate_sessions.sql
\ir ../../sql/auth/32_user_effects.sql
\ir ../../sql/auth/33_resolve_session.sql
\ir ../../sql/auth/34_session_functions.sql
COMMIT;
