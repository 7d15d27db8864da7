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
