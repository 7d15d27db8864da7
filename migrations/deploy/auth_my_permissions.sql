-- Deploy pgwarden:auth_my_permissions to pg
-- requires: auth_users
-- requires: context
BEGIN;
\ir ../../sql/auth/23_my_permissions.sql
COMMIT;
