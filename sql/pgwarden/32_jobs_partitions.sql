-- The scheduled job that creates audit.events' monthly partitions ahead (state, added once by the
-- change audit_partitions; its code is the audit_partitions branch of pgwarden.run_job(),
-- 31_jobs_code.sql). Doctrine: docs/operations.md#audit-retention.

insert into pgwarden.jobs (name, period, description) values
  ('audit_partitions', interval '1 day',
   'Create the monthly partitions of audit.events three months ahead (audit.ensure_partitions()).')
on conflict (name) do nothing;
