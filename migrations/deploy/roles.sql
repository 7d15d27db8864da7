-- Deploy pgwarden:roles
BEGIN;
\ir ../../sql/00_roles/01_roles.sql
COMMIT;
