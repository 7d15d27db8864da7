-- pgwarden.constraint_message(): the human message of a constraint error, for any client that
-- holds the error's schema, table and constraint fields (psycopg's diag, libpq's PG_DIAG_*).
-- Code only (re-runnable). Test: tests_sql/test_constraint_messages.sql.

create or replace function pgwarden.constraint_message(
  schema_name text, table_name text, constraint_name text)
returns table (message text, hint text)
language sql
stable
set search_path = ''
as $$
  select m.message, m.hint from pgwarden.constraint_messages m
   where m.schema_name = constraint_message.schema_name
     and m.table_name = constraint_message.table_name
     and m.constraint_name = constraint_message.constraint_name
$$;
comment on function pgwarden.constraint_message(text, text, text) is
  'The human message and hint of a known constraint (pgwarden.constraint_messages), or no row.';

revoke all on function pgwarden.constraint_message(text, text, text) from public;
grant select on pgwarden.constraint_messages to authenticator;
grant execute on function pgwarden.constraint_message(text, text, text) to authenticator;
