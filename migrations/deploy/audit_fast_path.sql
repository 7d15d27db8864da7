-- Deploy pgwarden:audit_fast_path to pg
-- requires: audit_rows, audit_chain, audit_views
-- The capture triggers stop reading the catalog per statement (the redaction mask comes from
-- each image's keys, the key columns from the trigger's arguments) and audit.bulk_threshold()
-- becomes inlinable; an UPDATE of more than audit.bulk_threshold() rows is stored as one batch
-- (old and new rows) that audit.seal() pairs and materialises. State: two columns and the
-- event check of audit.row_batches (57_update_batches.sql); the rest is code. Then every
-- audited table's triggers are attached again, so that their arguments carry the key columns
-- (no event: the redaction lists are unchanged).
BEGIN;
\ir ../../sql/audit/57_update_batches.sql
\ir ../../sql/audit/50_row_audit.sql
\ir ../../sql/audit/56_row_batch_code.sql
\ir ../../sql/audit/80_views.sql
\ir ../../sql/audit/91_privileges_rows.sql
select audit.enable(t.tgrelid::regclass, audit.enabled_redaction(t.tgrelid))
  from pg_catalog.pg_trigger t
 where t.tgname = 'audit_row_insert';
COMMIT;
