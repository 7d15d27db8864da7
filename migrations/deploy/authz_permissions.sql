-- Deploy pgwarden:authz_permissions to pg
-- requires: authz_scopes
-- The permissions a policy file declares ([authorization.permissions]: actions, resources,
-- scopes), compiled into authz.permissions; authz.grant_scoped() refuses a permission that is
-- neither declared nor a resource codename (auth.permissions), since a grant of it would count
-- for nothing (docs/policies.md, "Scopes, permissions, templates").
-- Tests: tests_sql/test_authz_permissions.sql, tests_py/test_authz_cli.py.
BEGIN;
set local client_min_messages = warning;

create table if not exists authz.permissions (
  name        text primary key,
  actions     text[] not null default '{}',
  resources   text[] not null default '{}',
  scopes      text[] not null default '{}',
  description text not null default '',
  -- a declared permission name is a lowercase identifier (codenames live in auth.permissions)
  constraint permissions_name_shape check (name ~ '^[a-z][a-z0-9_]{0,62}$'),
  -- the actions are the four of a resource
  constraint permissions_actions check (actions <@ array['read', 'create', 'update', 'delete'])
);
comment on table authz.permissions is
  'Permissions declared in policies/*.toml [authorization.permissions], for runtime grants.';
comment on column authz.permissions.name is 'The permission, used as target_name of a grant.';
comment on column authz.permissions.actions is 'The actions a grant of it allows.';
comment on column authz.permissions.resources is 'The resources it covers.';
comment on column authz.permissions.scopes is 'The scopes it may be granted at.';
comment on column authz.permissions.description is 'What the permission is for.';
revoke all on authz.permissions from public;
grant select on authz.permissions to pgw_administrator;

\ir ../../sql/authz/30_scoped_grant_functions.sql
COMMIT;
