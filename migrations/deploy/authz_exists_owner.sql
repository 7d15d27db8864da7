-- Deploy pgwarden:authz_exists_owner to pg
-- requires: authz_helpers
BEGIN;
\ir ../../sql/authz/40_exists_owner.sql
COMMIT;
