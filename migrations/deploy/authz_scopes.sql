-- Deploy pgwarden:authz_scopes to pg
-- requires: authz_grants
-- Declared scopes (with parents) and the scope each template is granted at, as compiled from a
-- policy file's [authorization] block (docs/policies.md, "Scopes, permissions, templates");
-- authz.grant_scoped() refuses a template at another scope. Test:
-- tests_sql/test_authz_scoped_grants.sql, tests_py/test_authz_cli.py.
BEGIN;
set local client_min_messages = warning;

create table if not exists authz.scopes (
  name        text primary key,
  parent      text references authz.scopes (name) on delete restrict,
  description text not null default '',
  -- a scope name is a lowercase identifier
  constraint scopes_name_shape check (name ~ '^[a-z][a-z0-9_]{0,62}$'),
  -- a scope is not its own parent
  constraint scopes_not_own_parent check (parent is distinct from name)
);
comment on table authz.scopes is
  'Kinds of scope a runtime grant is given on (e.g. family, household inside family).';
comment on column authz.scopes.name is 'The scope name, used as scope_name of a grant.';
comment on column authz.scopes.parent is 'The scope this one lies inside (NULL: top level).';
comment on column authz.scopes.description is 'What the scope is.';
revoke all on authz.scopes from public;
grant select on authz.scopes to pgw_administrator;

alter table authz.templates add column if not exists scope text
  references authz.scopes (name) on delete restrict;
comment on column authz.templates.scope is
  'The scope the template is granted at (NULL: any scope, for templates inserted by hand).';

\ir ../../sql/authz/30_scoped_grant_functions.sql
COMMIT;
