-- Deploy pgwarden:audit_write_path to pg
-- requires: audit_fast_path, audit_cli_actor
-- Every audited write path within 1.5× of the plain one (issue 18): audit.events loses its
-- foreign key to the catalog (checked by audit.seal() instead;
-- 21_events_write_path.sql, the state); the rest is code: the per-event
-- capture runs one statement, the CLI stamp trigger fires only in a command's transaction, and
-- audit.seal() refuses to link an event outside the catalog.
BEGIN;
\ir ../../sql/audit/21_events_write_path.sql
\ir ../../sql/audit/45_cli_context.sql
\ir ../../sql/audit/50_row_audit.sql
\ir ../../sql/audit/56_row_batch_code.sql
\ir ../../sql/audit/60_chain_code.sql
\ir ../../sql/audit/91_privileges_rows.sql
\ir ../../sql/audit/92_privileges_chain.sql
COMMIT;
