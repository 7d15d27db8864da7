-- The row policies of app.tasks (policies/app.toml): a user sees and changes only their own
-- tasks, the owner comes from the session, not the payload; anonymous requests read nothing;
-- `status` takes only its choices. Run by `make test`.
begin;
create extension if not exists pgtap;
select plan(9);

select has_table('app', 'tasks', 'app.tasks exists');
select ok((select relrowsecurity and relforcerowsecurity from pg_class
            where oid = 'app.tasks'::regclass), 'app.tasks has forced row-level security');

set local role pgw_user;
select set_config('request.jwt.claims', '{"sub": "1", "role": "pgw_user"}', true);
insert into app.tasks (title, owner_id) values ('mine', 2);
select is((select owner_id from app.tasks where title = 'mine'), 1::bigint,
          'the owner is the signed-in user, whatever the payload says');
select set_config('request.jwt.claims', '{"sub": "2", "role": "pgw_user"}', true);
insert into app.tasks (title) values ('theirs');
select is((select array_agg(title) from app.tasks), array['theirs'],
          'a user sees only their own tasks');
update app.tasks set status = 'done';
delete from app.tasks where title = 'mine';
select throws_ok($$insert into app.tasks (title, status) values ('x', 'maybe')$$, '23514', null,
                 'status takes only its choices');
select throws_ok($$insert into app.tasks (title) values ('')$$, '23514', null,
                 'an empty title is refused');
reset role;

select is((select status from app.tasks where title = 'mine'), 'open',
          'another user''s update changed nothing');
select is((select count(*)::int from app.tasks where title = 'mine'), 1,
          'another user''s delete removed nothing');

set local role pgw_anon;
select throws_ok('select * from app.tasks', '42501', null, 'anonymous requests read nothing');
reset role;

select * from finish();
rollback;
