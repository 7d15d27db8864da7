-- Known constraints have human messages (sql/pgwarden/40_constraint_messages.sql), one owner
-- for the CLI and the REST dialect.
begin;
select plan(6);

select is((select count(*)::int from pgwarden.constraint_messages m
            where not exists (
              select from pg_constraint c
                join pg_class r on r.oid = c.conrelid
                join pg_namespace n on n.oid = r.relnamespace
               where n.nspname = m.schema_name and r.relname = m.table_name
                 and c.conname = m.constraint_name)), 0,
          'every message names a constraint that exists');
select results_eq(
  $$select message from pgwarden.constraint_message('auth', 'users', 'users_email_shape')$$,
  array['not a valid email address'], 'the email shape has words');
select is_empty($$select * from pgwarden.constraint_message('auth', 'users', 'nope')$$,
                'an unknown constraint has no row');
select function_privs_are('pgwarden', 'constraint_message', array['text', 'text', 'text'],
                          'authenticator', array['EXECUTE'], 'the app may read the messages');
select function_privs_are('pgwarden', 'constraint_message', array['text', 'text', 'text'],
                          'public', array[]::text[], 'PUBLIC may not call it');
select table_privs_are('pgwarden', 'constraint_messages', 'pgw_user', array[]::text[],
                       'tiers cannot change the messages');

select * from finish();
rollback;
