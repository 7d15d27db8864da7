-- Deploy pgwarden:ops_registry_report to pg
-- requires: context
BEGIN;
\ir ../../sql/pgwarden/20_deployed_changes.sql
COMMIT;
