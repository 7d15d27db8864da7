-- Revert todo_app:policies_todo_app from pg
-- Compiled by `pgwarden policies compile` from examples/todo_app/todo_app.toml: do not edit; change the
-- declarations and compile again.
BEGIN;

delete from authz.resources where name in ('todos');
select audit.disable('todo.todos'::regclass);
drop table if exists todo.todos;
drop function if exists todo.todos_assign();
drop schema if exists todo;

COMMIT;
