-- Bulk statements: a statement of more than audit.bulk_threshold() rows (INSERT, DELETE, and
-- since audit_fast_path UPDATE) stores one redacted batch instead of its events; audit.seal()
-- materialises it into exactly one event per row, with the same images, ids-in-order, context and txid the per-row path would have written, once;
-- readers see the rows before that (row_history, the window); batches are append-only.
begin;
select plan(43);

create schema app;
create table app.things (
  id bigint primary key,
  label text not null,
  amount numeric(12, 2),
  ratio double precision,
  tags text[],
  doc jsonb,
  at timestamptz not null default '2026-01-02 03:04:05.678+00',
  flag boolean,
  api_token text,
  pin text
);
create table app.twins (like app.things including all);
grant usage on schema app to pgw_staff;
grant select, insert, update, delete on app.things, app.twins to pgw_staff;
select audit.enable('app.things', '{pin}');
select audit.enable('app.twins', '{pin}');

create function pg_temp.rows_sql(tbl text, first int, last int) returns text language sql as $$
  select format($f$insert into %s (id, label, amount, ratio, tags, doc, flag, api_token, pin)
    select i, 'thing ' || i, i / 7.0, i / 3.0, array['a', 'b' || i], jsonb_build_object('k', i,
           'nested', jsonb_build_array(1, 'x', null)), i %% 2 = 0, 'tok-secret-' || i, 'pin-' || i
      from generate_series(%s, %s) i$f$, tbl, first, last)
$$;
create function pg_temp.events(tbl text, ev text) returns int language sql as $$
  select count(*)::int from audit.events where event = ev and target_table = tbl
$$;

-- The threshold.
select is(audit.bulk_threshold(), 100, 'the default threshold is 100 rows');
select set_config('pgwarden.audit_bulk_rows', '5', true);
select is(audit.bulk_threshold(), 5, 'pgwarden.audit_bulk_rows sets it');
select set_config('pgwarden.audit_bulk_rows', 'lots', true);
select is(audit.bulk_threshold(), 100, 'a malformed setting means the default');
select set_config('pgwarden.audit_bulk_rows', '5', true);

-- At or under the threshold: one event per row, at once.
savepoint req;
select set_config('request.jwt.claims', '{"sub":"42","role":"pgw_staff","sid":"7"}', true);
select set_config('request.correlation_id', 'corr-bulk-0000000001', true);
set local role pgw_staff;
select lives_ok(pg_temp.rows_sql('app.things', 1, 5), 'a 5-row insert as a tier');
reset role;
select is(pg_temp.events('app.things', 'create'), 5, 'at the threshold: five events at once');
select is((select count(*)::int from audit.row_batches), 0, 'and no batch');

-- Over it: one batch, no events yet.
set local role pgw_staff;
select lives_ok(pg_temp.rows_sql('app.things', 6, 30), 'a 25-row insert as a tier');
reset role;
select is(pg_temp.events('app.things', 'create'), 5, 'over the threshold: no event is written yet');
select results_eq($$ select event, row_count, target_table, key_columns, actor_id, session_id,
                            correlation_id, set_role, db_role = session_user,
                            txid = pg_current_xact_id()
                       from audit.row_batches $$,
                  $$ values ('create'::text, 25, 'app.things'::text, '{id}'::text[], 42::bigint,
                            7::bigint, 'corr-bulk-0000000001'::text, 'pgw_staff'::text, true,
                            true) $$,
                  'one batch with the statement''s context and transaction');
select is((select json_array_length(images) from audit.row_batches), 25, 'holding the 25 rows');
select ok((select images::text not like '%tok-secret%' and images::text not like '%pin-%'
             from audit.row_batches),
          'the secret column and the listed column are never stored in the batch');
select is((select images -> 0 ->> 'api_token' from audit.row_batches), '<redacted>',
          'they hold the redaction marker');
rollback to savepoint req;

-- The same rows through the per-row path (threshold above) and the bulk path.
select set_config('request.jwt.claims', '{"sub":"42","role":"pgw_staff","sid":"7"}', true);
select set_config('pgwarden.audit_bulk_rows', '1000', true);
select lives_ok(pg_temp.rows_sql('app.twins', 1, 30), 'the twin table, per row');
select set_config('pgwarden.audit_bulk_rows', '5', true);
select lives_ok(pg_temp.rows_sql('app.things', 1, 30), 'the same rows, in bulk');
select is(pg_temp.events('app.twins', 'create'), 30, 'per row: 30 events');
select is(pg_temp.events('app.things', 'create'), 0, 'in bulk: none yet');

-- Readers see the rows before the sealer runs.
select is((select count(*)::int from audit.row_history where target_table = 'app.things'), 30,
          'row_history shows every row of the pending batch');
select is((select count(*)::int from audit.row_history
            where target_table = 'app.things' and id is null), 30,
          'with a NULL id until it is materialised');
select is((select after ->> 'label' from audit.row_history
            where target_table = 'app.things' and target_id = '17'), 'thing 17',
          'and its target id and after image');
select cmp_ok((select unsealed from audit.chain_status), '>=', 30::bigint,
              'chain_status counts them in the window');
select cmp_ok((select unsealed from audit.verify()), '>=', 30::bigint,
              'audit.verify() counts them in the window');

-- The sealer materialises them: one event per row, identical to the per-row path.
select cmp_ok(audit.seal(), '>=', 60::bigint, 'audit.seal() materialises and seals');
select is(pg_temp.events('app.things', 'create'), 30, 'one create event per row');
select is((select count(distinct target_id)::int from audit.events
            where target_table = 'app.things' and event = 'create'), 30, 'one per target id');
select bag_eq($$ select target_id, after, actor_id, session_id from audit.events
                  where target_table = 'app.things' and event = 'create' $$,
              $$ select target_id, after, actor_id, session_id from audit.events
                  where target_table = 'app.twins' and event = 'create' $$,
              'the same target ids, after images and context as the per-row path');
select ok((select bool_and(metadata ? 'batch_id' and txid = pg_current_xact_id())
             from audit.events where target_table = 'app.things' and event = 'create'),
          'each carries metadata.batch_id and the writer''s transaction');
select is((select array_agg(target_id::int order by id) from audit.events
            where target_table = 'app.things' and event = 'create'),
          (select array_agg(i) from generate_series(1, 30) i),
          'ids follow the statement''s row order');
select is((select count(*)::int from audit.row_history
            where target_table = 'app.things' and id is null), 0,
          'row_history now shows them by event id');
select is(audit.seal(), 0::bigint, 'a second seal materialises nothing again');
select is((select count(*)::int from audit.row_batch_expansions), 1, 'the batch is expanded once');
select is((select ok from audit.verify()), true, 'the chain verifies');

-- Bulk DELETE and UPDATE (the UPDATE batch in detail: test_audit_update_batches.sql).
select lives_ok($$ delete from app.things where id > 10 $$, 'a 20-row delete');
select is(pg_temp.events('app.things', 'delete'), 0, 'is a batch');
select lives_ok($$ update app.things set label = label || '!' $$, 'a 10-row update');
select is(pg_temp.events('app.things', 'update'), 0, 'is a batch too');
select cmp_ok(audit.seal(), '>=', 30::bigint, 'seal');
select is(pg_temp.events('app.things', 'update'), 10, 'ten update events after the seal');
select is(pg_temp.events('app.things', 'delete'), 20, 'twenty delete events');
select is((select before ->> 'pin' from audit.events
            where target_table = 'app.things' and event = 'delete' and target_id = '11'),
          '<redacted>', 'with the redacted before image');

-- Append-only, for everyone.
select throws_ok($$ update audit.row_batches set row_count = 1 $$, '42501', null,
                 'superuser/owner: UPDATE of a batch is refused');
select throws_ok($$ delete from audit.row_batch_expansions $$, '42501', null,
                 'superuser/owner: forgetting an expansion is refused');
select throws_ok($$ truncate audit.row_batches $$, '42501', null,
                 'superuser/owner: TRUNCATE of the batches is refused');
select table_privs_are('audit', 'row_batches', 'pgw_administrator', array['SELECT'],
                       'administrators may only read batches');

select * from finish();
rollback;
