-- Deploy pgwarden:authz_helpers to pg
-- requires: context
BEGIN;
-- pgwarden bundle: begin ../../sql/authz/01_schema.sql
-- The authz schema: helpers that compiled row policies and triggers call, and the runtime scoped
-- grants (20_scoped_grants.sql). Tiers may use the helpers; the tables stay private.
create schema if not exists authz;

comment on schema authz is
  'pgwarden authorization helpers for compiled row policies, and runtime scoped grants.';

grant usage on schema authz to pgw_anon, pgw_user, authenticator;
-- pgwarden bundle: end ../../sql/authz/01_schema.sql
-- pgwarden bundle: begin ../../sql/authz/10_helpers.sql
-- Helpers used by the SQL that `pgwarden policies compile` writes (policies/*.toml).

create or replace function authz.is_request_role()
returns boolean
language sql
stable
parallel safe
set search_path = ''
as $$
  select not coalesce((select r.rolsuper from pg_catalog.pg_roles r
                        where r.rolname = current_user), false)
     and (pg_catalog.pg_has_role('pgw_user', 'usage')
          or pg_catalog.pg_has_role('pgw_anon', 'usage'))
$$;
comment on function authz.is_request_role() is
  'True when the current role acts for a request (pgw_anon or a tier, not a superuser): compiled '
  '`assign` triggers then take columns from the request context, never from the payload.';

create or replace function authz.touch()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  column_name text;
begin
  foreach column_name in array tg_argv loop
    new := pg_catalog.jsonb_populate_record(
      new, pg_catalog.jsonb_build_object(column_name, pg_catalog.now()));
  end loop;
  return new;
end
$$;
comment on function authz.touch() is
  'BEFORE UPDATE trigger: sets each column named in the trigger arguments to now() (updated_at).';

revoke execute on function authz.is_request_role() from public;
grant execute on function authz.is_request_role() to pgw_anon, pgw_user, authenticator;
revoke execute on function authz.touch() from public;
-- pgwarden bundle: end ../../sql/authz/10_helpers.sql
-- pgwarden bundle: begin ../../sql/authz/15_resource_hints.sql
-- The declared resources and their list and admin hints (policies/*.toml `list`, `display`),
-- written by each compiled policies change, read by the REST dialect and the admin.

create table if not exists authz.resources (
  name          text primary key,
  relation      text not null,
  declared_in   text not null,
  display_field text,
  default_limit integer,
  max_limit     integer,
  default_order text,
  search_fields text[] not null default '{}',
  filter_fields text[] not null default '{}',
  -- page sizes are positive and the default does not exceed the maximum
  constraint resources_limits check (
    (default_limit is null or default_limit > 0) and (max_limit is null or max_limit > 0)
    and (default_limit is null or max_limit is null or default_limit <= max_limit)),
  -- the relation is a schema-qualified name
  constraint resources_relation_shape check (relation ~ '^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$')
);

comment on table authz.resources is
  'Resources declared in policies/*.toml, with their list and admin hints.';
comment on column authz.resources.name is 'The resource name (also the permission prefix).';
comment on column authz.resources.relation is 'The table, schema-qualified.';
comment on column authz.resources.declared_in is 'The declaration file.';
comment on column authz.resources.display_field is 'The field that names a row in relations.';
comment on column authz.resources.default_limit is 'Default page size of a list (NULL: none).';
comment on column authz.resources.max_limit is 'Largest page size a list may ask for.';
comment on column authz.resources.default_order is 'Default ordering, e.g. "due_at desc".';
comment on column authz.resources.search_fields is 'Fields a text search looks in.';
comment on column authz.resources.filter_fields is 'Fields offered as list filters.';

revoke all on authz.resources from public;
grant select on authz.resources to pgw_anon, pgw_user, authenticator;
-- pgwarden bundle: end ../../sql/authz/15_resource_hints.sql
COMMIT;
