-- Deploy pgwarden:audit_partitions to pg
-- requires: audit_write_path
-- requires: ops_jobs
-- requires: roles_owner
-- Audit retention that keeps the chain verifiable (issue 16 §4): audit.events partitioned by UTC
-- month (the rows already written attached as one partition, no copy), the checkpoints of
-- archived partitions, audit.verify() from the newest checkpoint, the archive functions of
-- `pgwarden audit archive`, and the job audit_partitions that creates months ahead.
BEGIN;
-- pgwarden.owner_adopt() hands partitioned tables and partitions to pgw_owner too
\ir ../../sql/pgwarden/51_owner_code.sql
-- what depends on the table's row type or reads it follows a renamed table: drop it here, create
-- it again below over the partitioned table
drop view if exists audit.cli_changes;
drop view if exists audit.authority_events;
drop view if exists audit.row_history;
drop view if exists audit.chain_status;
drop function if exists audit.link_hash(bytea, audit.events);
drop function if exists audit.canonical(audit.events);
\ir ../../sql/audit/22_events_partitions.sql
\ir ../../sql/audit/30_guards.sql
\ir ../../sql/audit/45_cli_context.sql
\ir ../../sql/audit/60_chain_code.sql
\ir ../../sql/audit/62_retention_code.sql
\ir ../../sql/audit/80_views.sql
\ir ../../sql/audit/81_cli_views.sql
\ir ../../sql/audit/90_privileges_core.sql
\ir ../../sql/audit/92_privileges_chain.sql
\ir ../../sql/audit/93_privileges_views.sql
\ir ../../sql/pgwarden/31_jobs_code.sql
\ir ../../sql/pgwarden/32_jobs_partitions.sql
-- the legacy partition keeps its own truncate guard; the months ahead get theirs when created
select audit.prepare_partition('audit.events_legacy');
select audit.ensure_partitions();
select pgwarden.owner_adopt();
do $$ begin perform pgwarden.schedule_jobs(); end $$;
COMMIT;
