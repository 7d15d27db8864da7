-- Bulk UPDATEs (audit_fast_path): an UPDATE of more than audit.bulk_threshold() rows stores one
-- batch with its old and new rows; audit.seal() pairs them into exactly the update events the
-- per-event path writes (target ids, images, metadata.changed, previous_id, key_changed,
-- context), nothing for unchanged rows; a change to a redacted column is still listed by name
-- while no secret value, nor its digest's secret, is stored; row_history shows the events before
-- the seal; the new functions' privileges are locked.
begin;
select plan(21);

create schema app;
create table app.things (id bigint primary key, label text, n int, pin text, api_token text);
create table app.twins (like app.things including all);
select audit.enable('app.things', '{pin}');
select audit.enable('app.twins', '{pin}');
insert into app.things select i, 'thing ' || i, i, 'pin-' || i, 'tok-' || i
  from generate_series(1, 12) i;
insert into app.twins select * from app.things;
select audit.seal();

-- The same statements on both tables: app.things through batches (threshold 3), app.twins per
-- event (threshold 1000). $1 is the table.
create function pg_temp.both(statement text) returns void language plpgsql as $$
begin
  perform set_config('pgwarden.audit_bulk_rows', '3', true);
  execute format(statement, 'app.things');
  perform set_config('pgwarden.audit_bulk_rows', '1000', true);
  execute format(statement, 'app.twins');
end
$$;
create function pg_temp.updates(tbl text) returns bigint language sql as $$
  select count(*) from audit.events where event = 'update' and target_table = tbl
$$;

select set_config('request.jwt.claims', '{"sub":"42","role":"pgw_staff","sid":"7"}', true);
select set_config('request.correlation_id', 'corr-updbatch-000001', true);
select pg_temp.both($$ update %s set label = label || '!' where id <= 6 $$);
select pg_temp.both($$ update %s set pin = 'pin-new' where id between 5 and 8 $$);
select pg_temp.both($$ update %s set n = n $$);
select pg_temp.both($$ update %s set api_token = 'tok-new', n = n + 1 where id > 8 $$);

-- Before the seal.
select is(pg_temp.updates('app.things'), 0::bigint, 'a bulk UPDATE writes no event at once');
select is((select count(*)::int from audit.row_batches where event = 'update'), 4,
          'but one batch per statement');
select is((select row_count from audit.row_batches where event = 'update' order by id limit 1), 6,
          'holding the statement''s rows');
select ok((select bool_and(before_images::text not like '%pin-%' and images::text not like '%pin-%'
                           and before_images::text not like '%tok-%' and images::text not like '%tok-%')
             from audit.row_batches where event = 'update'),
          'no redacted value is stored in an update batch');
select is((select redacted from audit.row_batches where event = 'update' order by id limit 1),
          '{pin,api_token}'::text[], 'the batch names the columns it redacted');
select is((select count(*)::int from audit.row_history where target_table = 'app.things'
             and event = 'update' and id is null),
          14, 'row_history shows the pending update events at once (unchanged rows left out)');
select bag_eq($$ select target_id, changed, before, after from audit.row_history
                  where target_table = 'app.things' and event = 'update' $$,
              $$ select target_id, changed, before, after from audit.row_history
                  where target_table = 'app.twins' and event = 'update' $$,
              'and the same rows, changes and images as the per-event path');

-- After the seal.
select cmp_ok(audit.seal(), '>=', 28::bigint, 'audit.seal() materialises the batches');
select is(pg_temp.updates('app.things'), 14::bigint,
          'one update event per changed row: 6 + 4 + 0 + 4');
select is(pg_temp.updates('app.things'), pg_temp.updates('app.twins'),
          'as many as the per-event path');
select bag_eq($$ select target_id, metadata - 'batch_id', before, after, actor_id, session_id,
                        correlation_id, set_role from audit.events
                  where target_table = 'app.things' and event = 'update' $$,
              $$ select target_id, metadata, before, after, actor_id, session_id,
                        correlation_id, set_role from audit.events
                  where target_table = 'app.twins' and event = 'update' $$,
              'identical target ids, metadata, images and context');
select is((select metadata -> 'changed' from audit.events
            where target_table = 'app.things' and event = 'update' and target_id = '7'),
          '["pin"]'::jsonb, 'a change to a redacted column is listed by name');
select is((select after ->> 'pin' from audit.events
            where target_table = 'app.things' and event = 'update' and target_id = '7'),
          '<redacted>', 'and the value is the marker');
select is((select count(*)::int from audit.events
            where target_table = 'app.things' and event = 'update'
              and (before::text ~ '(pin|tok)-' or after::text ~ '(pin|tok)-')),
          0, 'no secret reaches the events');
select is((select events from audit.row_batch_expansions x
             join audit.row_batches b on b.id = x.batch_id
            where b.event = 'update' order by b.id offset 2 limit 1),
          0, 'an update batch that changed nothing is expanded into no event');
select is((select array_agg(target_id order by id) from audit.events
            where target_table = 'app.things' and event = 'update'
              and metadata ->> 'batch_id' = (select min(id)::text from audit.row_batches
                                              where event = 'update')),
          array['1', '2', '3', '4', '5', '6'], 'events follow the statement''s row order');
select is((select ok from audit.verify()), true, 'the chain verifies');

-- Key changes pair as on the per-event path.
select pg_temp.both($$ update %s set id = id + 100 where id = 1 $$);
select pg_temp.both($$ update %s set id = id + 1000 where id in (2, 3, 4, 5) $$);
select audit.seal();
select bag_eq($$ select target_id, metadata - 'batch_id', before, after from audit.events
                  where target_table = 'app.things' and event = 'update'
                    and (metadata ? 'previous_id' or metadata ? 'key_changed') $$,
              $$ select target_id, metadata, before, after from audit.events
                  where target_table = 'app.twins' and event = 'update'
                    and (metadata ? 'previous_id' or metadata ? 'key_changed') $$,
              'key changes: the same previous_id and key_changed events');
select is((select count(*)::int from audit.events where target_table = 'app.things'
             and event = 'update' and metadata ? 'key_changed'),
          8, 'four moved keys: recorded per key, each with key_changed');

-- The constraint and the privileges.
select throws_ok($$ insert into audit.row_batches (event, target_table, key_columns, row_count, images)
                    values ('update', 'app.things', '{id}', 1, '[]') $$,
                 '23514', null, 'an update batch without its old rows is refused');
select is((select count(*)::int
             from pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
            where p.oid in ('audit.update_pairs(jsonb,jsonb,text[])'::regprocedure,
                            'audit.batch_events(audit.row_batches)'::regprocedure,
                            'audit.batch_update_select_list(regclass,text[],text[])'::regprocedure)
              and a.grantee = 0),
          0, 'PUBLIC executes none of the new batch functions');

select * from finish();
rollback;
