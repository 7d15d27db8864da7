-- Deploy pgwarden:audit_rows to pg
-- requires: audit_core
BEGIN;
\ir ../../sql/audit/50_row_audit.sql
\ir ../../sql/audit/55_row_batches.sql
\ir ../../sql/audit/91_privileges_rows.sql
COMMIT;
