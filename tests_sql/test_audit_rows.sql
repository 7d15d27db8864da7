-- Row audit: audit.enable() attaches the generic triggers; each insert/update/delete writes
-- exactly one event with the right redacted before/after; an unchanged UPDATE writes none; actor,
-- session and correlation id come from the transaction; a DBA edit without request context is
-- attributed to its database role; audit.disable() removes the triggers and is audited itself.
begin;
select plan(61);

create schema app;
create table app.accounts (
  id bigint primary key,
  name text not null,
  password_hash text,
  ssn text,
  prefs json
);
grant usage on schema app to pgw_staff;
grant select, insert, update, delete on app.accounts to pgw_staff;

create function pg_temp.n(ev text) returns int language sql as $$
  select count(*)::int from audit.events where event = ev and target_table = 'app.accounts'
$$;

-- Enabling.
select lives_ok($$ select audit.enable('app.accounts', '{ssn}') $$, 'audit.enable() attaches');
select set_eq($$ select tgname::text from pg_trigger where tgrelid = 'app.accounts'::regclass $$,
              array['audit_row_insert', 'audit_row_update', 'audit_row_delete', 'audit_row_truncate'],
              'the four generic triggers are attached');
select is(pg_temp.n('audit_enabled'), 1, 'enabling is audited');
select lives_ok($$ select audit.enable('app.accounts', '{ssn}') $$, 'enabling again is harmless');
select is(pg_temp.n('audit_enabled'), 1, 'an unchanged re-enable writes no event (idempotent)');
select is((select count(*)::int from pg_trigger where tgrelid = 'app.accounts'::regclass), 4,
          'and leaves exactly the four triggers');

-- Inserts in a request, as a tier.
savepoint req;
select set_config('request.jwt.claims', '{"sub":"42","role":"pgw_staff","sid":"7"}', true);
select set_config('request.correlation_id', 'corr-rows-00000000001', true);
set local role pgw_staff;
insert into app.accounts (id, name, password_hash, ssn, prefs) values
  (1, 'ada', '$argon2id$v=19$secret', '123-45-6789', '{"a": 1}'),
  (2, 'bob', null, null, null),
  (3, 'cyd', 'x', 'y', null);
reset role;
select is(pg_temp.n('create'), 3, 'a 3-row insert writes exactly 3 create events');
select is((select after ->> 'name' from audit.events where event = 'create' and target_id = '1'),
          'ada', 'the after image holds the row');
select is((select after ->> 'password_hash' from audit.events where event = 'create' and target_id = '1'),
          '<redacted>', 'a column named like a password hash is redacted');
select is((select after ->> 'ssn' from audit.events where event = 'create' and target_id = '1'),
          '<redacted>', 'a listed column is redacted');
select is((select count(*)::int from audit.events
            where target_table = 'app.accounts' and (after::text like '%argon2id%' or after::text like '%123-45%')),
          0, 'no secret value reaches the audit trail');
select is((select before from audit.events where event = 'create' and target_id = '1'), null,
          'a create event has no before image');
select is((select actor_id from audit.events where event = 'create' and target_id = '2'), 42::bigint,
          'the actor is auth.uid() of the transaction');
select is((select correlation_id from audit.events where event = 'create' and target_id = '2'),
          'corr-rows-00000000001', 'the correlation id is the transaction''s');
select is((select session_id from audit.events where event = 'create' and target_id = '2'), 7::bigint,
          'the session id is the transaction''s');
select is((select set_role from audit.events where event = 'create' and target_id = '2'), 'pgw_staff',
          'set_role is the tier the request ran as');

-- Updates.
set local role pgw_staff;
update app.accounts set name = 'ada lovelace' where id = 1;
reset role;
select is(pg_temp.n('update'), 1, 'a 1-row update writes exactly 1 update event');
select is((select before ->> 'name' || ' -> ' || (after ->> 'name') from audit.events where event = 'update'),
          'ada -> ada lovelace', 'before and after hold the old and the new value');
select is((select metadata -> 'changed' from audit.events where event = 'update'), '["name"]'::jsonb,
          'metadata.changed lists the changed columns');
select is((select before ->> 'password_hash' from audit.events where event = 'update'), '<redacted>',
          'the before image is redacted too');
set local role pgw_staff;
update app.accounts set name = name, prefs = '{"a": 1}' where id = 1;
update app.accounts set name = name;
reset role;
select is(pg_temp.n('update'), 1, 'an UPDATE that changes nothing writes nothing');
set local role pgw_staff;
update app.accounts set password_hash = 'new-secret-value' where id = 3;
reset role;
select is((select metadata -> 'changed' from audit.events where event = 'update' and target_id = '3'),
          '["password_hash"]'::jsonb, 'a redacted column''s change is recorded by name');
select is((select count(*)::int from audit.events where after::text like '%new-secret-value%'), 0,
          'but not by value');
set local role pgw_staff;
update app.accounts set id = 30 where id = 3;
reset role;
select is((select metadata ->> 'previous_id' from audit.events where event = 'update' and target_id = '30'),
          '3', 'a primary-key change records the previous id');

-- Deletes.
set local role pgw_staff;
delete from app.accounts where id in (2, 30);
reset role;
select is(pg_temp.n('delete'), 2, 'a 2-row delete writes exactly 2 delete events');
select is((select before ->> 'name' from audit.events where event = 'delete' and target_id = '2'), 'bob',
          'the delete event holds the before image');
select is((select after from audit.events where event = 'delete' and target_id = '2'), null,
          'a delete event has no after image');
rollback to savepoint req;

-- A DBA's psql edit without request context.
insert into app.accounts (id, name) values (10, 'dba row');
update app.accounts set name = 'dba edit' where id = 10;
select is((select actor_id from audit.events where event = 'update' and target_id = '10'), null,
          'a DBA edit has no application actor');
select is((select db_role from audit.events where event = 'update' and target_id = '10'), session_user::text,
          'a DBA edit is attributed to its database role');
select is((select correlation_id from audit.events where event = 'update' and target_id = '10'), null,
          'a DBA edit has no fabricated correlation id');

-- A column added later and named like a secret is redacted without re-enabling.
alter table app.accounts add column api_token text;
insert into app.accounts (id, name, api_token) values (11, 'late', 'tok_live_abcdef');
select is((select after ->> 'api_token' from audit.events where event = 'create' and target_id = '11'),
          '<redacted>', 'a later column named like a token is redacted');

-- Composite keys.
create table app.pairs (a int, b text, v int, primary key (a, b));
select audit.enable('app.pairs');
insert into app.pairs values (1, 'x', 5);
select is((select target_id from audit.events where target_table = 'app.pairs' and event = 'create'),
          '[1, "x"]', 'a composite key is recorded as a JSON array');

-- TRUNCATE.
truncate app.pairs;
select is((select count(*)::int from audit.events where target_table = 'app.pairs' and event = 'table_truncated'),
          1, 'a TRUNCATE of an audited table is recorded');


-- Multi-row updates (statement level, rows paired by key).
select is((select tgtype & 1 from pg_trigger where tgrelid = 'app.accounts'::regclass
            and tgname = 'audit_row_update'), 0, 'on a table with a key the update trigger is statement level');
insert into app.accounts (id, name) values (20, 'a'), (21, 'b'), (22, 'c'), (23, 'd');
update app.accounts set name = case when id = 22 then name else upper(name) end
 where id in (20, 21, 22, 23);
select is((select count(*)::int from audit.events where event = 'update' and target_id in ('20', '21', '22', '23')),
          3, 'a 4-row update that changes 3 rows writes 3 events');
select is((select before ->> 'name' || '>' || (after ->> 'name') from audit.events
            where event = 'update' and target_id = '21'), 'b>B', 'each pairs its own before and after');
update app.accounts set id = id + 100 where id in (20, 21);
select is((select count(*)::int from audit.events where event = 'update' and metadata ->> 'key_changed' = 'true'),
          4, 'a multi-row key change is recorded per key (the old and the new)');
select is((select count(*)::int from audit.events where metadata ->> 'key_changed' = 'true'
            and target_id = '20' and before ->> 'name' = 'A' and after is null), 1,
          'the vanished key keeps its before image');
select is((select count(*)::int from audit.events where metadata ->> 'key_changed' = 'true'
            and target_id = '120' and after ->> 'name' = 'A' and before is null), 1,
          'the new key gets its after image');

-- A table without a primary key: row-level update capture.
create table app.nokey (label text, secret_answer text);
select audit.enable('app.nokey');
select is((select tgtype & 1 from pg_trigger where tgrelid = 'app.nokey'::regclass
            and tgname = 'audit_row_update'), 1, 'without a key the update trigger is row level');
insert into app.nokey values ('x', 'blue'), ('y', 'red');
update app.nokey set label = label || '!' where label = 'x';
update app.nokey set label = label;
select is((select count(*)::int from audit.events where target_table = 'app.nokey' and event = 'update'),
          1, 'one changed row, one event; unchanged rows none');
select is((select after ->> 'secret_answer' || ' ' || (metadata ->> 'changed')
             from audit.events where target_table = 'app.nokey' and event = 'update'),
          '<redacted> ["label"]', 'redaction and changed columns on the row-level path');
select is((select target_id from audit.events where target_table = 'app.nokey' and event = 'create' limit 1),
          null, 'without a key there is no target id');


-- INSERT … ON CONFLICT DO UPDATE and MERGE: each inserted row a create, each updated row an update.
create table app.upserts (id int primary key, v text);
select audit.enable('app.upserts');
insert into app.upserts values (1, 'a'), (2, 'b');
insert into app.upserts values (2, 'B'), (3, 'c') on conflict (id) do update set v = excluded.v;
select is((select string_agg(event || ':' || target_id, ' ' order by id) from audit.events
            where target_table = 'app.upserts' and event <> 'audit_enabled'),
          'create:1 create:2 update:2 create:3', 'an upsert writes one event per row, by what happened to it');
merge into app.upserts t using (values (3, 'C'), (4, 'd')) s(id, v) on t.id = s.id
  when matched then update set v = s.v when not matched then insert values (s.id, s.v);
select is((select string_agg(event || ':' || target_id, ' ' order by id) from audit.events
            where target_table = 'app.upserts' and id > (select max(id) - 2 from audit.events)),
          'update:3 create:4', 'MERGE writes one event per row too');

-- Refusals.
select throws_ok($$ select audit.enable('app.accounts', '{no_such_column}') $$, '42703', null,
                 'redacting a column that does not exist is refused');
create view app.v as select 1 as x;
select throws_ok($$ select audit.enable('app.v') $$, '42809', null, 'a view cannot be audited');
select throws_ok($$ select audit.enable('audit.events') $$, '42809', null,
                 'the audit schema cannot audit itself');
select throws_ok($$ set local role pgw_developer; select audit.disable('app.accounts') $$, '42501', null,
                 'a tier cannot switch auditing off');
select function_privs_are('audit', f, array['regclass', 'text[]'], 'pgw_developer', array[]::text[],
                          'pgw_developer may not call audit.' || f) from unnest(array['enable']) f;
select function_privs_are('audit', 'disable', array['regclass'], 'pgw_administrator', array[]::text[],
                          'pgw_administrator may not call audit.disable');
select is_definer('audit', f, array[]::text[], 'audit.' || f || '() is SECURITY DEFINER')
  from unnest(array['capture_rows', 'capture_updates', 'capture_update', 'capture_truncate']) f;
select is((select count(*)::int from pg_proc p join pg_namespace n on n.oid = p.pronamespace
            where n.nspname = 'audit' and p.prosecdef
              and (p.proconfig is null or not 'search_path=""' = any (p.proconfig))),
          0, 'every definer function in audit pins search_path to empty');

-- Disabling.
select lives_ok($$ select audit.disable('app.accounts') $$, 'audit.disable() detaches');
select is((select count(*)::int from pg_trigger where tgrelid = 'app.accounts'::regclass), 0,
          'no audit trigger is left');
select is(pg_temp.n('audit_disabled'), 1, 'disabling is audited');
insert into app.accounts (id, name) values (12, 'unaudited');
select is((select count(*)::int from audit.events where target_id = '12'), 0,
          'a disabled table writes no events');
select audit.disable('app.accounts');
select is(pg_temp.n('audit_disabled'), 1, 'disabling twice writes one event');

select * from finish();
rollback;
