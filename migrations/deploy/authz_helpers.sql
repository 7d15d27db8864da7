-- Deploy pgwarden:authz_helpers to pg
-- requires: context
BEGIN;
\ir ../../sql/authz/01_schema.sql
\ir ../../sql/authz/10_helpers.sql
\ir ../../sql/authz/15_resource_hints.sql
COMMIT;
