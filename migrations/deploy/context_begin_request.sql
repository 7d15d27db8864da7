-- Deploy pgwarden:context_begin_request
-- requires: context auth_sessions
BEGIN;
\ir ../../sql/pgwarden/30_begin_request.sql
COMMIT;
