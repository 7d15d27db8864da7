-- Owner-scoped row policies (VSR's todo_app, examples/todo_app/todo_app.toml), as compiled into
-- tests_py/golden/todo_app/deploy.sql: each action as each tier with SET LOCAL ROLE and claims.
set client_min_messages = warning;
\ir fixtures/standins.sql
\ir ../tests_py/golden/todo_app/deploy.sql

begin;
select plan(23);

select policies_are('todo', 'todos',
  array['todos_read', 'todos_create', 'todos_update', 'todos_delete', 'todos_admin_bypass'],
  'todos has exactly the compiled policies');
select ok((select relrowsecurity and relforcerowsecurity from pg_class
           where oid = 'todo.todos'::regclass), 'todos has row-level security enabled and forced');
select table_privs_are('todo', 'todos', 'pgw_anon', array[]::text[], 'pgw_anon has no privilege');
select table_privs_are('todo', 'todos', 'pgw_user', array['SELECT', 'DELETE'],
                       'pgw_user: SELECT and DELETE on the table (INSERT/UPDATE per column)');
select column_privs_are('todo', 'todos', 'created_at', 'pgw_user', array['SELECT'],
                        'generated created_at is not writable');
select column_privs_are('todo', 'todos', 'title', 'pgw_user', array['SELECT', 'INSERT', 'UPDATE'],
                        'title is readable and writable');

select results_eq($$select display_field, default_limit, max_limit, default_order
                      from authz.resources where name = 'todos'$$,
                  $$values ('title', 20, 100, 'created_at desc')$$,
                  'the list and admin hints are registered in authz.resources');

insert into todo.todos (title, user_id) values ('alice 1', 1), ('alice 2', 1), ('bob 1', 2);

-- read, update, delete as the owner (user 1, tier user)
set local role pgw_user;
select set_config('request.jwt.claims', '{"sub": "1", "role": "pgw_user"}', true);
select results_eq('select title from todo.todos order by id', array['alice 1', 'alice 2'],
                  'read: a user sees only their own todos');
with u as (update todo.todos set title = 'x' where title = 'bob 1' returning 1)
select is(count(*)::int, 0, 'update: a non-owner update affects 0 rows') from u;
with d as (delete from todo.todos where title = 'bob 1' returning 1)
select is(count(*)::int, 0, 'delete: a non-owner delete affects 0 rows') from d;
with u as (update todo.todos set completed = true where title = 'alice 1' returning 1)
select is(count(*)::int, 1, 'update: the owner updates their own todo') from u;

-- create: assign ignores a forged owner, on insert and on update
insert into todo.todos (title, user_id) values ('forged', 2);
update todo.todos set user_id = 2 where title = 'alice 2';
select throws_ok($$insert into todo.todos (title, created_at) values ('t', now())$$, '42501',
                 null, 'create: a generated column cannot be written');
select throws_ok($$insert into todo.todos (title) values ('')$$, '23514', null,
                 'create: the title length CHECK holds');
reset role;
select is((select user_id from todo.todos where title = 'forged'), 1::bigint,
          'assign: a forged user_id in the payload is replaced by the session user');
select is((select user_id from todo.todos where title = 'alice 2'), 1::bigint,
          'assign: the owner column stays unchanged on update');
select is((select count(*)::int from todo.todos where title = 'bob 1'), 1,
          'bob''s todo survived the other user''s update and delete');
select ok((select updated_at >= created_at from todo.todos where title = 'alice 1'),
          'updated_at is stamped on update');

-- a tier above user inherits the grant but not other users' rows
set local role pgw_supervisor;
select set_config('request.jwt.claims', '{"sub": "2", "role": "pgw_supervisor"}', true);
select results_eq('select title from todo.todos', array['bob 1'],
                  'read: a supervisor (no bypass) sees only their own todos');

-- admin_bypass: administrators and developers see and change every row
set local role pgw_administrator;
select set_config('request.jwt.claims', '{"sub": "9", "role": "pgw_administrator"}', true);
select is((select count(*)::int from todo.todos), 4, 'admin_bypass: an administrator sees all');
insert into todo.todos (title, user_id) values ('for bob', 2);
set local role pgw_developer;
select set_config('request.jwt.claims', '{"sub": "10", "role": "pgw_developer"}', true);
with d as (delete from todo.todos where title = 'bob 1' returning 1)
select is(count(*)::int, 1, 'admin_bypass: a developer deletes any todo') from d;
reset role;
select is((select user_id from todo.todos where title = 'for bob'), 2::bigint,
          'admin_bypass: an administrator may set the owner explicitly');

-- no identity: anonymous has no privilege; a user without a sub claim cannot create
set local role pgw_anon;
select set_config('request.jwt.claims', '{"role": "pgw_anon"}', true);
select throws_ok('select * from todo.todos', '42501', null, 'pgw_anon may not read todos');
set local role pgw_user;
select set_config('request.jwt.claims', '{"role": "pgw_user"}', true);
select throws_ok($$insert into todo.todos (title, user_id) values ('ghost', 1)$$, '23502', null,
                 'create: without a user id the owner stays NULL and the insert fails');
reset role;

select * from finish();
rollback;
