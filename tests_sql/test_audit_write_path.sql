-- The writers' path of audit.events (change audit_write_path, sql/audit/21_events_write_path.sql):
-- no foreign key to the catalog on the hot table; the identifier's shape is a CHECK and its
-- membership in audit.event_types is checked by audit.seal(), which links no event outside the
-- catalog; the CLI stamp trigger fires only in a command's transaction; the one-statement
-- per-event capture still writes one event per row at the threshold and nothing for an empty
-- statement, and a bulk statement still becomes one batch.
begin;
select plan(16);

create schema app;
create table app.items (id bigint primary key, label text, api_token text);
select audit.enable('app.items');

-- The catalog check moved from a foreign key to the sealer.
select is((select count(*)::int from pg_constraint
            where conrelid = 'audit.events'::regclass and contype = 'f'), 0,
          'audit.events has no foreign key (no RI query or catalog row lock per event)');
select is((select count(*)::int from pg_constraint
            where conrelid = 'audit.events'::regclass and contype = 'c'), 4,
          'its four CHECKs stay (metadata and images are objects, target and summary shapes)');
select audit.seal();
savepoint unknown;
insert into audit.events (event, summary) values ('no_such_event', 'forged by the owner');
select throws_ok($$ select audit.seal() $$, '23503', null,
                 'audit.seal() refuses to link an event that is not in the catalog');
select is((select count(*)::int from audit.seals s join audit.events e on e.id = s.event_id
            where e.event = 'no_such_event'), 0, 'so it is never linked');
rollback to savepoint unknown;
select lives_ok($$ select audit.seal() $$, 'catalog events seal as before');
select is((select ok from audit.verify()), true, 'and the chain verifies');

-- The CLI stamp: a WHEN clause keeps its function off every other event's path.
select ok((select pg_get_triggerdef(t.oid) ~ 'WHEN .*request\.os_actor' from pg_trigger t
            where t.tgrelid = 'audit.events'::regclass and t.tgname = 'events_cli_context'),
          'the stamp trigger fires only while request.os_actor is set');
insert into app.items values (1, 'one', 'tok-1');
select is((select metadata ? 'os_actor' from audit.events where target_table = 'app.items'
             and target_id = '1'), false, 'an event outside a command is not stamped');
select pgwarden.begin_command('alice@db1', 'items edit', 'cli-0123456789abcdef');
insert into app.items values (2, 'two', 'tok-2');
select is((select metadata ->> 'os_actor' from audit.events where target_table = 'app.items'
             and target_id = '2'), 'alice@db1', 'an event inside a command is stamped');
select set_config('request.os_actor', '', true);

-- The one-statement capture.
delete from app.items where false;
select is((select count(*)::int from audit.events where target_table = 'app.items'
             and event in ('create', 'update', 'delete')), 2,
          'an empty statement writes nothing');
select is((select after ->> 'api_token' from audit.events where target_table = 'app.items'
             and target_id = '1'), '<redacted>', 'a single-row insert is still redacted');
select set_config('pgwarden.audit_bulk_rows', '3', true);
insert into app.items select i, 'label ' || i, 'tok-' || i from generate_series(10, 12) i;
select is((select count(*)::int from audit.events where target_table = 'app.items'
             and event = 'create'), 5, 'at the threshold: one event per row at once');
insert into app.items select i, 'label ' || i, 'tok-' || i from generate_series(20, 23) i;
select is((select count(*)::int from audit.row_batches where target_table = 'app.items'), 1,
          'over it: one batch');
delete from app.items where id >= 20;
select is((select count(*)::int from audit.row_batches where target_table = 'app.items'
             and event = 'delete'), 1, 'a bulk delete: one batch');
delete from app.items where id = 1;
select is((select before ->> 'label' from audit.events where target_table = 'app.items'
             and event = 'delete' and target_id = '1'), 'one',
          'a single-row delete writes its event with the old image');
select is((select count(*)::int from audit.row_history where target_table = 'app.items'), 14,
          'row_history shows every change: 5 + 4 created, 4 + 1 deleted');
select * from finish();
rollback;
