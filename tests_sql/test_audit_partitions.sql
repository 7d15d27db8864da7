-- audit.events partitioned by month (audit_partitions): the shape, the guards on partitions, the
-- job that creates months ahead, the archive functions' checks and privileges, the checkpoint,
-- and audit.verify() from the newest checkpoint. The archive file itself: tests_py/test_audit_archive.py.
begin;
select plan(31);

-- shape
select is((select relkind::text from pg_class where oid = 'audit.events'::regclass), 'p',
          'audit.events is a partitioned table');
select is(pg_get_partkeydef('audit.events'::regclass), 'RANGE (occurred_at)',
          'partitioned by range on occurred_at');
select is((select pg_get_constraintdef(oid) from pg_constraint
            where conrelid = 'audit.events'::regclass and contype = 'p'),
          'PRIMARY KEY (id, occurred_at)', 'the primary key includes the partition key');
select ok(exists (select 1 from audit.partitions where name = 'events_legacy' and lower_bound is null),
          'the rows written before are the partition events_legacy, from MINVALUE');
select ok(exists (select 1 from audit.partitions
                   where lower_bound = audit.month_start(now())
                     and upper_bound = audit.month_start(now()) + interval '1 month'),
          'this month has its partition');
select ok((select max(upper_bound) from audit.partitions)
            >= audit.month_start(now()) + interval '4 months',
          'three months ahead exist');
select is((select count(*)::int from audit.partitions a join audit.partitions b
            on a.partition <> b.partition and a.upper_bound > coalesce(b.lower_bound, '-infinity')
           and coalesce(a.lower_bound, '-infinity') < b.upper_bound), 0, 'no partitions overlap');
select is(pg_get_serial_sequence('audit.events', 'id'), 'audit.events_id_seq',
          'the identity keeps its sequence name');

-- guards and privileges on every partition
select is((select count(*)::int from audit.partitions p
            where not exists (select 1 from pg_trigger t where t.tgrelid = p.partition
                                and t.tgname = 'events_append_only' and t.tgenabled = 'A')),
          0, 'every partition carries the row guard, ENABLE ALWAYS');
select is((select count(*)::int from audit.partitions p
            where not exists (select 1 from pg_trigger t where t.tgrelid = p.partition
                                and t.tgname = p.name || '_no_truncate' and t.tgenabled = 'A')),
          0, 'every partition has its own TRUNCATE guard');
select is((select count(*)::int from audit.partitions p
            where has_table_privilege('pgw_administrator', p.partition, 'select')
               or has_table_privilege('authenticator', p.partition, 'insert')),
          0, 'no web role reads or writes a partition directly');
select is((select count(*)::int from audit.partitions p
            where pg_get_userbyid((select relowner from pg_class where oid = p.partition)) <> 'pgw_owner'),
          0, 'pgw_owner owns every partition');
savepoint one_row;
insert into audit.events (occurred_at, event) values ('2026-01-01 00:00:00+00', 'login_failed');
select throws_ok($$ delete from audit.events_legacy $$, '42501', null,
                 'a DELETE on a partition is refused');
rollback to savepoint one_row;
select throws_ok(format('truncate audit.%I', (select name from audit.partitions
                                               where lower_bound = audit.month_start(now()))),
                 '42501', null, 'a TRUNCATE of a partition is refused');

-- the job
select is(pgwarden.run_job('audit_partitions', 'test runner'), '0 partition(s) created',
          'the job audit_partitions runs, with nothing to create');
select is(audit.ensure_partitions(5), 2, 'two more months ahead when asked for five');

-- privileges: only the owner archives
set local role pgw_administrator;
select throws_ok($$ select * from audit.archive_begin('audit.events_legacy') $$, '42501', null,
                 'an administrator cannot archive');
select throws_ok($$ select audit.ensure_partitions() $$, '42501', null,
                 'nor create partitions');
reset role;
set local role authenticator;
select throws_ok($$ select audit.archive_commit('audit.events_legacy', '{}') $$, '42501', null,
                 'the app cannot archive');
reset role;
grant execute on function audit.archive_begin(regclass), audit.require_owner() to pgw_administrator;
set local role pgw_administrator;
select throws_ok($$ select * from audit.archive_begin('audit.events_legacy') $$, '42501',
                 'only the owner of audit.events may archive or create its partitions',
                 'even granted EXECUTE, a non-owner is refused by the function itself');
reset role;
revoke execute on function audit.archive_begin(regclass), audit.require_owner() from pgw_administrator;

-- the archive's checks
select throws_ok(format('select * from audit.archive_begin(%L)',
                        (select partition::text from audit.partitions
                          where lower_bound = audit.month_start(now()))),
                 '22023', null, 'the current month is never archived');
insert into audit.events (occurred_at, event, summary)
select timestamptz '2026-01-05 00:00:00+00' + i * interval '1 hour', 'login_failed', 'old ' || i
  from generate_series(1, 6) i;
select throws_ok($$ select * from audit.archive_begin('audit.events_legacy') $$, '55000', null,
                 'a partition with unsealed events is not archived');
select audit.seal();
select audit.record('login_failed', 'auth.users', '1', 'kept ' || i, '{}', null)
  from generate_series(1, 3) i;
select audit.seal();
create temporary table seg as select * from audit.archive_begin('audit.events_legacy');
select is((select first_seq || '..' || last_seq || ' ' || events from seg), '1..6 6',
          'the segment covers the six old links');
select is((select anchor_before from seg), encode(audit.genesis(), 'hex'),
          'it starts at the genesis hash');
select is((select anchor_after from seg), (select encode(hash, 'hex') from audit.seals where seq = 6),
          'and ends at the sixth link');
select throws_ok($$ select audit.archive_commit('audit.events_legacy', '{"first_seq": "2"}') $$,
                 '22023', null, 'a manifest for another segment is refused');

-- the checkpoint, and verify from it
select ok(audit.archive_commit('audit.events_legacy',
            jsonb_build_object('first_seq', '1', 'last_seq', '6',
                               'anchor_before', (select anchor_before from seg),
                               'anchor_after', (select anchor_after from seg),
                               'sha256', repeat('a', 64), 'file', 'x.jsonl.gz')) > 0,
          'archive_commit() records the checkpoint');
select is((select seq || ' ' || first_seq || ' ' || events from audit.checkpoints), '6 1 6',
          'the checkpoint holds the last link before the cut');
select is(to_regclass('audit.events_legacy'), null, 'and the partition is gone');
select is((select ok::text || ' ' || checked from audit.verify()), 'true 3',
          'verify() starts after the checkpoint: the three kept links verify');
savepoint tamper;
alter table audit.events disable trigger events_append_only;
update audit.events set summary = 'changed' where summary = 'kept 2';
select is((select problem from audit.verify()),
          'event ' || (select id from audit.events where summary = 'changed') || ' or its link was altered',
          'an altered event after the checkpoint is still found');
rollback to savepoint tamper;

select * from finish();
rollback;
