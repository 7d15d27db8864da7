-- Code of the bulk batches (55_row_batches.sql holds their tables), safe to re-apply.
-- audit.bulk_threshold() is one expression without FROM, so that the planner inlines it into
-- the capture triggers: a SQL function it cannot inline is parsed and planned again in every
-- transaction that calls it (bench/results/audit_insert.md, "Where a single-row write's time
-- went"). Tests: tests_sql/test_audit_bulk.sql.

create or replace function audit.bulk_threshold()
returns integer
language sql
stable
as $$
  select case when pg_catalog.current_setting('pgwarden.audit_bulk_rows', true) ~ '^[0-9]{1,9}$'
              then pg_catalog.current_setting('pgwarden.audit_bulk_rows', true)::integer
              else 100 end
$$;
comment on function audit.bulk_threshold() is
  'Statements changing more rows than this are captured as one batch (setting '
  'pgwarden.audit_bulk_rows, default 100; a malformed value means the default).';
