-- Runtime scoped grants (VSR's runtime authorization): a permission, or a template of
-- permissions, granted to one user on one scope value (e.g. branch = 3), optionally until an
-- expiry. Compiled policies ask authz.has_scoped_grant(permission, scope, value); expired grants
-- count for nothing. Every change goes through the four SECURITY DEFINER functions of
-- 30_scoped_grant_functions.sql, which append to authz.scoped_grant_events (append-only) and to
-- the audit log. Tests: tests_sql/test_authz_scoped_grants.sql.

set local client_min_messages = warning;

create table if not exists authz.templates (
  name        text primary key,
  permissions text[] not null,
  description text not null default '',
  -- a template name is a lowercase identifier
  constraint templates_name_shape check (name ~ '^[a-z][a-z0-9_]{0,62}$'),
  -- a template grants at least one permission
  constraint templates_not_empty check (pg_catalog.cardinality(permissions) > 0)
);
comment on table authz.templates is
  'Named sets of permissions that one scoped grant can give at once (e.g. branch_helper).';
comment on column authz.templates.name is 'The template name, used as target_name of a grant.';
comment on column authz.templates.permissions is 'The permissions the template gives.';
comment on column authz.templates.description is 'What the template is for.';

create table if not exists authz.scoped_grants (
  id           bigint generated always as identity primary key,
  user_id      bigint not null references auth.users (id) on delete cascade,
  target_kind  text not null,
  target_name  text not null,
  scope_name   text not null,
  scope_value  text not null,
  created_by   bigint references auth.users (id) on delete set null,
  created_at   timestamptz not null default pg_catalog.now(),
  expires_at   timestamptz,
  -- a grant gives a permission or a template
  constraint scoped_grants_kind check (target_kind in ('permission', 'template')),
  -- names are lowercase identifiers (permissions may be codenames such as loans.view)
  constraint scoped_grants_target_shape check (target_name ~ '^[a-z][a-z0-9_.]{0,126}$'),
  constraint scoped_grants_scope_shape check (scope_name ~ '^[a-z][a-z0-9_]{0,62}$'),
  -- a scope value is short and never empty
  constraint scoped_grants_value_length check (pg_catalog.length(scope_value) between 1 and 200)
);
create index if not exists scoped_grants_user on authz.scoped_grants (user_id);
create index if not exists scoped_grants_scope on authz.scoped_grants (scope_name, scope_value);

comment on table authz.scoped_grants is
  'Runtime grants of a permission or template to a user on one scope value, with optional expiry. '
  'Revoking sets expires_at to now (the row stays); expired grants are ignored.';
comment on column authz.scoped_grants.user_id is 'The user who receives the grant.';
comment on column authz.scoped_grants.target_kind is 'permission or template.';
comment on column authz.scoped_grants.target_name is 'The permission (e.g. loans.view) or template name.';
comment on column authz.scoped_grants.scope_name is 'The kind of scope, e.g. branch.';
comment on column authz.scoped_grants.scope_value is 'The scope value as text, e.g. 3.';
comment on column authz.scoped_grants.created_by is 'The user who created the grant (NULL: the database owner).';
comment on column authz.scoped_grants.created_at is 'When the grant was created.';
comment on column authz.scoped_grants.expires_at is 'When the grant stops counting (NULL: never).';

create table if not exists authz.scoped_grant_events (
  id           bigint generated always as identity primary key,
  grant_id     bigint not null,
  event        text not null,
  user_id      bigint not null,
  actor_id     bigint,
  occurred_at  timestamptz not null default pg_catalog.clock_timestamp(),
  target_kind  text not null,
  target_name  text not null,
  scope_name   text not null,
  scope_value  text not null,
  expires_at   timestamptz,
  reason       text,
  -- the four lifecycle events of a grant
  constraint scoped_grant_events_kind check (event in ('created', 'revoked', 'renewed', 'deleted')),
  -- a reason is short
  constraint scoped_grant_events_reason_length check (reason is null or pg_catalog.length(reason) <= 500)
);
create index if not exists scoped_grant_events_user on authz.scoped_grant_events (user_id, occurred_at);
create index if not exists scoped_grant_events_grant on authz.scoped_grant_events (grant_id, occurred_at);

comment on table authz.scoped_grant_events is
  'Append-only history of scoped grants: created, revoked, renewed, deleted, with actor and reason.';
comment on column authz.scoped_grant_events.grant_id is 'The grant (kept after the grant is deleted).';
comment on column authz.scoped_grant_events.event is 'created, revoked, renewed or deleted.';
comment on column authz.scoped_grant_events.user_id is 'The user holding the grant.';
comment on column authz.scoped_grant_events.actor_id is 'Who made the change (NULL: the database owner).';
comment on column authz.scoped_grant_events.occurred_at is 'When it happened.';
comment on column authz.scoped_grant_events.target_kind is 'permission or template.';
comment on column authz.scoped_grant_events.target_name is 'The permission or template.';
comment on column authz.scoped_grant_events.scope_name is 'The scope kind.';
comment on column authz.scoped_grant_events.scope_value is 'The scope value.';
comment on column authz.scoped_grant_events.expires_at is 'The expiry after the event.';
comment on column authz.scoped_grant_events.reason is 'Why, as given by the actor.';

revoke all on authz.templates, authz.scoped_grants, authz.scoped_grant_events from public;
grant select on authz.templates, authz.scoped_grants, authz.scoped_grant_events
  to pgw_administrator;
