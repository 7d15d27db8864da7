-- Revert pgwarden:audit_partitions
-- Restores the unpartitioned audit.events of audit_write_path: every row of every partition is
-- copied, ids kept, into a plain table (before its triggers exist, so nothing is stamped), and
-- the identity goes on where the partitioned one stopped. The checkpoints go with the change:
-- after an archive, the restored audit.verify() reports the archived events as missing (they
-- are in the archive files). The catalog keeps audit_archived (it never loses an identifier).
BEGIN;
do $$ begin
  if pg_catalog.to_regclass('audit.checkpoints') is not null
     and exists (select 1 from audit.checkpoints) then
    raise warning 'audit partitions were archived: audit.verify() of audit_write_path will report '
                  'their events as missing';
  end if;
end $$;
delete from pgwarden.jobs where name = 'audit_partitions';
do $$ begin
  if pgwarden.cron_version() is not null then
    execute 'select cron.unschedule(j.jobid) from cron.job j where j.jobname = ''pgwarden_audit_partitions''';
  end if;
end $$;
drop view if exists audit.cli_changes;
drop view if exists audit.authority_events;
drop view if exists audit.row_history;
drop view if exists audit.chain_status;
drop view if exists audit.partitions;
drop function if exists audit.archive_recorded(bigint[], text);
drop function if exists audit.archive_commit(regclass, jsonb);
drop function if exists audit.archive_links(bigint, bigint);
drop function if exists audit.archive_begin(regclass);
drop function if exists audit.ensure_partitions(integer);
drop function if exists audit.prepare_partition(regclass);
drop function if exists audit.require_owner();
drop function if exists audit.month_start(timestamptz);
drop function if exists audit.link_hash(bytea, audit.events);
drop function if exists audit.canonical(audit.events);
drop table if exists audit.checkpoints;

alter table audit.events rename to events_partitioned;
alter index audit.events_pkey rename to events_partitioned_pkey;
alter index audit.events_occurred_at rename to events_partitioned_occurred_at;
alter index audit.events_target rename to events_partitioned_target;
alter index audit.events_actor rename to events_partitioned_actor;
alter index audit.events_correlation rename to events_partitioned_correlation;
alter index audit.events_session rename to events_partitioned_session;
alter index audit.events_txid rename to events_partitioned_txid;
alter index audit.events_id rename to events_partitioned_id;
alter table audit.events_partitioned rename constraint events_metadata_object to events_partitioned_metadata_object;
alter table audit.events_partitioned rename constraint events_images_objects to events_partitioned_images_objects;
alter table audit.events_partitioned rename constraint events_target_table_nonempty to events_partitioned_target_table_nonempty;
alter table audit.events_partitioned rename constraint events_summary_length to events_partitioned_summary_length;
alter sequence audit.events_id_seq rename to events_partitioned_id_seq;

\ir ../../sql/audit/20_events.sql
\ir ../../sql/audit/21_events_write_path.sql
insert into audit.events overriding system value
select * from audit.events_partitioned order by id;
do $$
declare
  v_next bigint;
begin
  select case when s.is_called then s.last_value + 1 else s.last_value end
    into v_next from audit.events_partitioned_id_seq s;
  v_next := greatest(v_next, (select coalesce(max(e.id), 0) + 1 from audit.events e));
  execute pg_catalog.format('alter table audit.events alter column id restart with %s', v_next);
end $$;
drop table audit.events_partitioned;

\ir ../../sql/audit/30_guards.sql
\ir ../../sql/audit/45_cli_context.sql
\ir ../../sql/audit/60_chain_code.sql
\ir ../../sql/audit/80_views.sql
\ir ../../sql/audit/81_cli_views.sql
\ir ../../sql/audit/90_privileges_core.sql
\ir ../../sql/audit/92_privileges_chain.sql
\ir ../../sql/audit/93_privileges_views.sql
\ir ../../sql/pgwarden/31_jobs_code.sql
COMMIT;
