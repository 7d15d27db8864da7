-- Deploy pgwarden:audit_views to pg
-- requires: audit_rows, audit_chain
BEGIN;
\ir ../../sql/audit/80_views.sql
\ir ../../sql/audit/93_privileges_views.sql
COMMIT;
