-- Human messages for known constraints: the one place where "violates check constraint
-- users_email_shape" becomes "not a valid email address". The CLI (webui/cli/identity.py) and the
-- REST dialect (webui/rest/state.py, webui/rest/errors.py) both read this table, so psql users,
-- commands and API clients see the same words. Applications add rows for their own constraints.
-- State: created once by the change pgwarden_constraint_messages.
-- Test: tests_sql/test_constraint_messages.sql, tests_py/test_first_hour.py.

create table if not exists pgwarden.constraint_messages (
  schema_name     text not null,
  table_name      text not null,
  constraint_name text not null,
  message         text not null,
  hint            text,
  primary key (schema_name, table_name, constraint_name),
  -- a message is one short sentence a user can act on
  constraint constraint_messages_message_length check (pg_catalog.length(message) between 1 and 300)
);
comment on table pgwarden.constraint_messages is
  'Human messages (and hints) for known constraints, shown by the CLI and the REST dialect '
  'instead of the raw constraint error.';
comment on column pgwarden.constraint_messages.schema_name is 'Schema of the constrained table.';
comment on column pgwarden.constraint_messages.table_name is 'The constrained table.';
comment on column pgwarden.constraint_messages.constraint_name is 'The constraint (or unique index).';
comment on column pgwarden.constraint_messages.message is 'What went wrong, in words.';
comment on column pgwarden.constraint_messages.hint is 'What to do about it (optional).';

insert into pgwarden.constraint_messages (schema_name, table_name, constraint_name, message, hint)
values
  ('auth', 'users', 'users_email_shape', 'not a valid email address',
   'an email looks like name@example.com'),
  ('auth', 'users', 'users_email_unique', 'an account with this email already exists',
   'see `pgwarden user list`, or choose another email'),
  ('auth', 'users', 'users_role_tier', 'unknown tier',
   'the tier is one of user, staff, supervisor, administrator, developer'),
  ('auth', 'users', 'users_display_name_length', 'the display name is longer than 200 characters',
   null),
  ('auth', 'users', 'users_password_argon2id', 'the password hash is not an Argon2id hash',
   'set passwords with `pgwarden user set-password`'),
  ('auth', 'groups', 'groups_name_unique', 'a group with this name already exists',
   'see `pgwarden group list`'),
  ('auth', 'groups', 'groups_name_shape', 'not a valid group name',
   'a group name is lowercase letters, digits, - and _, starting with a letter'),
  ('auth', 'permissions', 'permissions_codename_shape', 'not a valid permission codename',
   'a codename is <resource>.<view|add|change|delete>')
on conflict do nothing;
