-- Deploy pgwarden:context to pg
-- requires: roles
BEGIN;
\ir ../../sql/pgwarden/01_schemas.sql
\ir ../../sql/pgwarden/10_request_context.sql
\ir ../../sql/pgwarden/20_deployed_changes.sql
COMMIT;
