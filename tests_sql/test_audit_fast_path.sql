-- The per-event capture path (audit_fast_path): the row triggers carry the table's key columns
-- as their second argument, and a single-row write calls no SQL function that the planner
-- cannot inline (such a call is parsed and planned again in every transaction: it was most of
-- a single-row write's audit cost, bench/results/audit_insert.md). Redaction still follows the
-- columns a table has now, not the ones it had at audit.enable(). Runs with track_functions =
-- 'all', so that pg_stat_xact_user_functions counts every non-inlined SQL function call.
begin;
select plan(16);

create schema app;
create table app.orders (id bigint primary key, note text, amount numeric);
create table app.pairs (a int, b int, note text, primary key (b, a));
create table app.heap (note text);
select audit.enable('app.orders', '{note}');
select audit.enable('app.pairs');
select audit.enable('app.heap');

create function pg_temp.args(tbl regclass, trg text) returns text language sql as $$
  select pg_catalog.encode(t.tgargs, 'escape') from pg_trigger t
   where t.tgrelid = tbl and t.tgname = trg
$$;
-- calls of the catalog-reading and non-inlinable audit helpers in this transaction so far
-- (audit.redaction_pattern() is left out: it is constant-folded while a plan is built, which
-- counts as a call the first few times a session runs the statement, and never after)
create function pg_temp.calls() returns bigint language sql as $$
  select coalesce(sum(f.calls), 0)::bigint from pg_stat_xact_user_functions f
   where f.schemaname = 'audit'
     and f.funcname in ('primary_key_columns', 'redacted_columns', 'redaction_mask',
                        'bulk_threshold', 'batch_select_list', 'row_id', 'update_pairs',
                        'update_pair')
$$;

-- The trigger arguments.
select is(pg_temp.args('app.orders', 'audit_row_insert'), '{note}\000{id}\000',
          'the insert trigger carries the redaction list, then the key columns');
select is(pg_temp.args('app.orders', 'audit_row_update'), '{note}\000{id}\000',
          'so does the update trigger');
select is(pg_temp.args('app.pairs', 'audit_row_delete'), '{}\000{b,a}\000',
          'a composite key is carried in key order');
select is(pg_temp.args('app.heap', 'audit_row_insert'), '{}\000{}\000',
          'a table without a primary key carries an empty key list');
select is(audit.enabled_redaction('app.orders'), '{note}'::text[],
          'audit.enabled_redaction() still reads the redaction list');

-- A single-row write calls none of the non-inlinable helpers.
set local track_functions = 'all';
select is(pg_temp.calls(), 0::bigint, 'no helper has been called yet in this transaction');
insert into app.orders values (1, 'first', 10);
update app.orders set amount = 11 where id = 1;
delete from app.orders where id = 1;
select is(pg_temp.calls(), 0::bigint,
          'single-row INSERT, UPDATE and DELETE call no catalog-reading or non-inlined helper');
-- a composite key's target id is built by audit.row_id() (one call per row)
insert into app.pairs values (1, 2, 'x');
update app.pairs set note = 'y';
delete from app.pairs;
select is((select count(*)::int from audit.events where target_table in ('app.orders', 'app.pairs')
             and event in ('create', 'update', 'delete')),
          6, 'and each wrote its event');
select is((select target_id from audit.events where target_table = 'app.pairs' and event = 'update'),
          '[2, 1]', 'the composite target id follows the key order');

-- A one-row UPDATE takes audit.update_pair(); it yields what audit.update_pairs() does.
insert into app.orders values (1, 'again', 10);
update app.orders set id = 11, amount = 13 where id = 1;
update app.orders set amount = 12 where id = 11;
select results_eq(
  $$ select e.target_id, e.metadata from audit.events e
      where e.target_table = 'app.orders' and e.event = 'update' order by e.id $$,
  $$ select p.target_id, p.metadata
       from (select e.id, e.before, e.after from audit.events e
              where e.target_table = 'app.orders' and e.event = 'update') e,
            audit.update_pairs(pg_catalog.jsonb_build_array(e.before),
                               pg_catalog.jsonb_build_array(e.after), '{id}') p
      order by e.id $$,
  'a one-row UPDATE, a key change included, gets the metadata and target of update_pairs()');
select is((select metadata from audit.events where target_table = 'app.orders'
             and event = 'update' and target_id = '11' order by id limit 1),
          '{"changed": ["amount", "id"], "previous_id": "1"}'::jsonb,
          'a moved key is recorded with previous_id');
delete from app.orders where id = 11;

-- Redaction follows the table as it is now.
alter table app.orders rename column amount to secret_amount;
insert into app.orders values (2, 'second', 20);
select is((select after from audit.events where target_table = 'app.orders' and target_id = '2'),
          '{"id": 2, "note": "<redacted>", "secret_amount": "<redacted>"}'::jsonb,
          'a column renamed to a secret-like name is redacted without re-enabling');
alter table app.orders add column api_key text;
update app.orders set api_key = 'k-123' where id = 2;
select is((select after ->> 'api_key' from audit.events
            where target_table = 'app.orders' and target_id = '2' and event = 'update'),
          '<redacted>', 'a column added later is redacted in an update image');
select is((select metadata -> 'changed' from audit.events
            where target_table = 'app.orders' and target_id = '2' and event = 'update'),
          '["api_key"]'::jsonb, 'and its change is still listed by name');

-- A table enabled before this change (one argument) still works: the key comes from the catalog.
drop trigger audit_row_insert on app.orders;
create trigger audit_row_insert after insert on app.orders referencing new table as new_rows
  for each statement execute function audit.capture_rows('{note}');
insert into app.orders values (3, 'third', 30);
select is((select after ->> 'note' from audit.events
            where target_table = 'app.orders' and target_id = '3' and event = 'create'),
          '<redacted>', 'a one-argument trigger still redacts and finds its key');
select lives_ok($$ select audit.enable('app.orders', '{note}') $$,
                'audit.enable() attaches the two-argument triggers again');

select * from finish();
rollback;
