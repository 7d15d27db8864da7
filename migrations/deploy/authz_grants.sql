-- Deploy pgwarden:authz_grants to pg
-- requires: authz_helpers, auth_users, audit_core
BEGIN;
-- pgwarden bundle: begin ../../sql/authz/20_scoped_grants.sql
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

create or replace function authz.refuse_event_change()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception 'authz.scoped_grant_events is append-only'
    using errcode = 'insufficient_privilege',
          hint = 'grant history is never updated or deleted; see docs/policies.md';
end
$$;
comment on function authz.refuse_event_change() is
  'Trigger: refuses UPDATE, DELETE and TRUNCATE of authz.scoped_grant_events, even by its owner.';

drop trigger if exists scoped_grant_events_append_only on authz.scoped_grant_events;
create trigger scoped_grant_events_append_only
  before update or delete on authz.scoped_grant_events
  for each row execute function authz.refuse_event_change();
drop trigger if exists scoped_grant_events_no_truncate on authz.scoped_grant_events;
create trigger scoped_grant_events_no_truncate
  before truncate on authz.scoped_grant_events
  for each statement execute function authz.refuse_event_change();

revoke all on authz.templates, authz.scoped_grants, authz.scoped_grant_events from public;
grant select on authz.templates, authz.scoped_grants, authz.scoped_grant_events
  to pgw_administrator;
-- pgwarden bundle: end ../../sql/authz/20_scoped_grants.sql
-- pgwarden bundle: begin ../../sql/authz/30_scoped_grant_functions.sql
-- The only writers of authz.scoped_grants and authz.scoped_grant_events, and the check that
-- compiled policies call. SECURITY DEFINER with an empty search_path; EXECUTE on the writers
-- only for administrators (and the owner, e.g. `pgwarden authz grant`).

create or replace function authz.has_scoped_grant(permission text, scope_name text,
                                                  scope_value text)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select from authz.scoped_grants g
     where g.user_id = auth.uid()
       and g.scope_name = has_scoped_grant.scope_name
       and g.scope_value = has_scoped_grant.scope_value
       and (g.expires_at is null or g.expires_at > pg_catalog.now())
       and ((g.target_kind = 'permission' and g.target_name = has_scoped_grant.permission)
            or (g.target_kind = 'template' and exists (
                  select from authz.templates t
                   where t.name = g.target_name
                     and has_scoped_grant.permission = any (t.permissions)))))
$$;
comment on function authz.has_scoped_grant(text, text, text) is
  'For row policies: does the current user hold an unexpired grant of this permission (directly '
  'or through a template) on this scope value?';

create or replace function authz.log_grant(g authz.scoped_grants, event text, reason text)
returns void
language plpgsql
set search_path = ''
as $$
begin
  insert into authz.scoped_grant_events (grant_id, event, user_id, actor_id, target_kind,
                                         target_name, scope_name, scope_value, expires_at, reason)
  values (g.id, event, g.user_id, auth.uid(), g.target_kind, g.target_name, g.scope_name,
          g.scope_value, g.expires_at, reason);
  perform audit.record(
    'scoped_grant_' || event, 'authz.scoped_grants', g.id::text,
    pg_catalog.format('%s %s on %s = %s for user %s', g.target_kind, g.target_name,
                      g.scope_name, g.scope_value, g.user_id),
    pg_catalog.jsonb_build_object('user_id', g.user_id, 'target_kind', g.target_kind,
      'target_name', g.target_name, 'scope_name', g.scope_name, 'scope_value', g.scope_value,
      'expires_at', g.expires_at, 'reason', reason));
end
$$;
comment on function authz.log_grant(authz.scoped_grants, text, text) is
  'Internal: appends a grant event and the matching audit event (scoped_grant_<event>).';

create or replace function authz.grant_scoped(
  user_id bigint, target_kind text, target_name text, scope_name text, scope_value text,
  expires_at timestamptz default null, reason text default null)
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  g authz.scoped_grants;
begin
  if not exists (select from auth.users u where u.id = grant_scoped.user_id) then
    raise exception 'unknown user %', grant_scoped.user_id
      using errcode = 'no_data_found', hint = 'pgwarden authz grant --user EMAIL';
  end if;
  if target_kind = 'template'
     and not exists (select from authz.templates t where t.name = grant_scoped.target_name) then
    raise exception 'unknown template %', target_name using errcode = 'invalid_parameter_value';
  end if;
  if expires_at is not null and expires_at <= pg_catalog.now() then
    raise exception 'expires_at % is not in the future', expires_at
      using errcode = 'invalid_parameter_value';
  end if;
  insert into authz.scoped_grants (user_id, target_kind, target_name, scope_name, scope_value,
                                   created_by, expires_at)
  values (grant_scoped.user_id, grant_scoped.target_kind, grant_scoped.target_name,
          grant_scoped.scope_name, grant_scoped.scope_value, auth.uid(), grant_scoped.expires_at)
  returning * into g;
  perform authz.log_grant(g, 'created', reason);
  return g.id;
end
$$;
comment on function authz.grant_scoped(bigint, text, text, text, text, timestamptz, text) is
  'Grant a permission or template to a user on one scope value, optionally until expires_at.';

create or replace function authz.change_scoped(grant_id bigint, event text,
                                               new_expiry timestamptz, reason text)
returns authz.scoped_grants
language plpgsql
set search_path = ''
as $$
declare
  g authz.scoped_grants;
begin
  if event = 'deleted' then
    delete from authz.scoped_grants s where s.id = grant_id returning * into g;
  else
    update authz.scoped_grants s set expires_at = new_expiry where s.id = grant_id
    returning * into g;
  end if;
  if g.id is null then
    raise exception 'unknown scoped grant %', grant_id using errcode = 'no_data_found';
  end if;
  perform authz.log_grant(g, event, reason);
  return g;
end
$$;
comment on function authz.change_scoped(bigint, text, timestamptz, text) is
  'Internal to revoke/renew/delete: applies the change and logs it.';

create or replace function authz.revoke_scoped(grant_id bigint, reason text default null)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if exists (select from authz.scoped_grants s where s.id = grant_id
              and s.expires_at is not null and s.expires_at <= pg_catalog.now()) then
    raise exception 'scoped grant % has already expired', grant_id
      using errcode = 'invalid_parameter_value';
  end if;
  perform authz.change_scoped(grant_id, 'revoked', pg_catalog.now(), reason);
end
$$;
comment on function authz.revoke_scoped(bigint, text) is
  'Revoke a scoped grant now (expires_at := now(); the row and its history stay).';

create or replace function authz.renew_scoped(grant_id bigint, expires_at timestamptz,
                                              reason text default null)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if expires_at is null or expires_at <= pg_catalog.now() then
    raise exception 'a renewal needs a future expires_at' using errcode = 'invalid_parameter_value';
  end if;
  perform authz.change_scoped(grant_id, 'renewed', expires_at, reason);
end
$$;
comment on function authz.renew_scoped(bigint, timestamptz, text) is
  'Give a scoped grant a new, future expiry.';

create or replace function authz.delete_scoped(grant_id bigint, reason text default null)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform authz.change_scoped(grant_id, 'deleted', null, reason);
end
$$;
comment on function authz.delete_scoped(bigint, text) is
  'Delete a scoped grant (its history stays in authz.scoped_grant_events).';

revoke execute on function authz.has_scoped_grant(text, text, text),
  authz.log_grant(authz.scoped_grants, text, text),
  authz.grant_scoped(bigint, text, text, text, text, timestamptz, text),
  authz.change_scoped(bigint, text, timestamptz, text),
  authz.revoke_scoped(bigint, text), authz.renew_scoped(bigint, timestamptz, text),
  authz.delete_scoped(bigint, text), authz.refuse_event_change() from public;
grant execute on function authz.has_scoped_grant(text, text, text) to pgw_anon, pgw_user;
grant execute on function
  authz.grant_scoped(bigint, text, text, text, text, timestamptz, text),
  authz.revoke_scoped(bigint, text), authz.renew_scoped(bigint, timestamptz, text),
  authz.delete_scoped(bigint, text)
  to pgw_administrator;
-- pgwarden bundle: end ../../sql/authz/30_scoped_grant_functions.sql
COMMIT;
