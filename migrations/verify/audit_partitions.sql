-- Verify pgwarden:audit_partitions
BEGIN;
do $verify$
begin
  assert (select c.relkind from pg_catalog.pg_class c where c.oid = 'audit.events'::regclass) = 'p',
    'audit.events must be a partitioned table';
  assert (select p.partstrat from pg_catalog.pg_partitioned_table p
           where p.partrelid = 'audit.events'::regclass) = 'r',
    'audit.events must be partitioned by range';
  assert (select pg_catalog.pg_get_partkeydef('audit.events'::regclass)) = 'RANGE (occurred_at)',
    'audit.events must be partitioned on occurred_at';
  assert (select pg_catalog.pg_get_constraintdef(c.oid) from pg_catalog.pg_constraint c
           where c.conrelid = 'audit.events'::regclass and c.contype = 'p')
         = 'PRIMARY KEY (id, occurred_at)',
    'the primary key of audit.events must be (id, occurred_at)';
  assert exists (select 1 from audit.partitions p
                  where p.upper_bound > audit.month_start(pg_catalog.now()) + interval '1 month'),
    'next month must have its partition';
  assert exists (select 1 from pg_catalog.pg_trigger t
                  where t.tgrelid = 'audit.events'::regclass and t.tgname = 'events_append_only'
                    and t.tgenabled = 'A'),
    'audit.events must keep its append-only guard';
  assert pg_catalog.to_regclass('audit.checkpoints') is not null, 'audit.checkpoints must exist';
  assert pg_catalog.strpos(pg_catalog.pg_get_functiondef('audit.verify()'::regprocedure),
                           'audit.checkpoints') > 0,
    'audit.verify() must start from the newest checkpoint';
  assert exists (select 1 from audit.event_types where id = 'audit_archived'),
    'the catalog must hold audit_archived';
  assert exists (select 1 from pgwarden.jobs where name = 'audit_partitions'),
    'the job audit_partitions must exist';
  perform 'audit.archive_begin(regclass)'::regprocedure, 'audit.archive_commit(regclass,jsonb)'::regprocedure,
          'audit.ensure_partitions(integer)'::regprocedure;
end
$verify$;
ROLLBACK;
