-- Deploy pgwarden:authz_grants to pg
-- requires: authz_helpers, auth_users, audit_core
BEGIN;
\ir ../../sql/authz/20_scoped_grants.sql
\ir ../../sql/authz/30_scoped_grant_functions.sql
COMMIT;
