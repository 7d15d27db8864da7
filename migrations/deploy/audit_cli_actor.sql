-- Deploy pgwarden:audit_cli_actor to pg
-- requires: audit_views, context_begin_request
BEGIN;
\ir ../../sql/audit/45_cli_context.sql
\ir ../../sql/audit/81_cli_views.sql
COMMIT;
