-- Verify todo_app:policies_todo_app on pg
-- Compiled by `pgwarden policies compile` from examples/todo_app/todo_app.toml: do not edit; change the
-- declarations and compile again.
BEGIN;

do $verify$
begin
  assert (select c.relrowsecurity and c.relforcerowsecurity
          from pg_catalog.pg_class c where c.oid = 'todo.todos'::regclass),
    'todo.todos: row-level security must be enabled and forced';
  assert (select count(*) from pg_catalog.pg_policies p
          where p.schemaname = 'todo'
            and p.tablename = 'todos'
            and p.policyname in ('todos_read', 'todos_create', 'todos_update', 'todos_delete', 'todos_admin_bypass')) = 5,
    'todo.todos: a compiled policy is missing';
end
$verify$;

ROLLBACK;
