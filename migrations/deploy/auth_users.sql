-- Deploy pgwarden:auth_users to pg
-- requires: audit_core
BEGIN;
-- pgwarden bundle: begin ../../sql/auth/00_roles.sql
-- The NOLOGIN roles that own identity's SECURITY DEFINER functions. Roles are cluster-wide, so
-- this file creates what is missing and re-asserts attributes (audit_core may have created
-- pgw_session_writer already).
--
--   pgw_session_writer  owns auth.invalidate_sessions(), the single writer of
--                       auth.sessions.revoked_at; the revocation guard trusts no other role.
--   pgw_auth_service    owns every other identity definer function (login, resolve_session,
--                       the triggers of auth.users); it may call the single writer.
-- Nobody logs in as either, and no tier, authenticator or pgw_anon is a member of them.

set local client_min_messages = warning;

do $roles$
declare
  name text;
begin
  foreach name in array array['pgw_session_writer', 'pgw_auth_service'] loop
    if not exists (select 1 from pg_catalog.pg_roles where rolname = name) then
      execute pg_catalog.format('create role %I nologin noinherit', name);
    end if;
    execute pg_catalog.format(
      'alter role %I nologin noinherit nosuperuser nocreatedb nocreaterole nobypassrls', name);
  end loop;
end
$roles$;

comment on role pgw_auth_service is
  'pgwarden: NOLOGIN owner of the identity definer functions (login, resolve_session, triggers).';

grant usage on schema auth to pgw_session_writer, pgw_auth_service;
grant usage on schema pgwarden to pgw_session_writer, pgw_auth_service;
grant usage on schema audit to pgw_session_writer, pgw_auth_service;
-- pgwarden bundle: end ../../sql/auth/00_roles.sql
-- pgwarden bundle: begin ../../sql/auth/10_config.sql
-- Identity settings: one row of thresholds and timeouts, read by the definer functions, and the
-- clock they all read. Change a setting with a plain UPDATE as the owner, e.g.
--   update auth.config set idle_timeout = '1 hour';

create table if not exists auth.config (
  -- exactly one row
  singleton            boolean primary key default true,
  idle_timeout         interval not null default '30 minutes',
  absolute_timeout     interval not null default '12 hours',
  touch_interval       interval not null default '1 minute',
  max_failed_logins    integer not null default 5,
  failure_window       interval not null default '10 minutes',
  lock_duration        interval not null default '15 minutes',
  ip_budget            integer not null default 30,
  ip_window            interval not null default '5 minutes',
  reauth_window        interval not null default '15 minutes',
  clock_offset         interval not null default '0',
  -- one row only
  constraint config_singleton check (singleton),
  -- timeouts and windows are positive
  constraint config_positive check (
    idle_timeout > '0' and absolute_timeout > '0' and touch_interval >= '0'
    and failure_window > '0' and lock_duration > '0' and ip_window > '0'),
  -- thresholds are at least one
  constraint config_thresholds check (max_failed_logins >= 1 and ip_budget >= 1)
);

insert into auth.config (singleton) values (true) on conflict (singleton) do nothing;

comment on table auth.config is
  'pgwarden identity settings (one row): session timeouts, login throttle, per-IP budget, test clock.';
comment on column auth.config.singleton is 'Always true: the table holds one row.';
comment on column auth.config.idle_timeout is 'A session dies after this long without a request.';
comment on column auth.config.absolute_timeout is 'A session dies this long after login, whatever its use.';
comment on column auth.config.touch_interval is
  'auth.resolve_session() slides the idle expiry at most once per this interval per session.';
comment on column auth.config.max_failed_logins is
  'Failed logins inside failure_window (from the first failure) that lock the account.';
comment on column auth.config.failure_window is 'The window in which max_failed_logins lock an account.';
comment on column auth.config.lock_duration is 'How long an automatic (throttle) lock lasts.';
comment on column auth.config.ip_budget is 'Requests to the auth endpoints allowed per client IP per ip_window.';
comment on column auth.config.ip_window is 'The window of the per-IP budget.';
comment on column auth.config.reauth_window is
  'How long a session stays elevated after the user re-enters their password (re-auth wall).';
comment on column auth.config.clock_offset is
  'Added to now() by auth.now(). Tests move the clock with it; production keeps 0.';

create or replace function auth.now()
returns timestamptz
language sql
stable
set search_path = ''
as $$
  select pg_catalog.now() + coalesce((select c.clock_offset from auth.config c), '0'::interval)
$$;
comment on function auth.now() is
  'The identity clock: now() plus auth.config.clock_offset (0 in production; tests move it).';

revoke all on table auth.config from public;
grant select on table auth.config to pgw_auth_service, pgw_session_writer, authenticator,
  pgw_anon, pgw_user;
revoke execute on function auth.now() from public;
grant execute on function auth.now() to pgw_auth_service, pgw_session_writer, authenticator,
  pgw_anon, pgw_user;
-- pgwarden bundle: end ../../sql/auth/10_config.sql
-- pgwarden bundle: begin ../../sql/auth/20_users.sql
-- Users: one row per account. Emails are stored trimmed, NFKC-normalised and lowercased (a
-- trigger normalises every write), so uniqueness is case-insensitive. Passwords are Argon2id
-- hashes written by the app; plaintext cannot be stored (a CHECK refuses anything else).

create table if not exists auth.users (
  id                    bigint generated always as identity primary key,
  email                 text not null,
  display_name          text not null default '',
  password_hash         text,
  role                  text not null default 'user',
  is_active             boolean not null default true,
  must_change_password  boolean not null default false,
  password_changed_at   timestamptz,
  failed_login_count    integer not null default 0,
  first_failed_login_at timestamptz,
  last_failed_login_at  timestamptz,
  locked_until          timestamptz,
  last_login_at         timestamptz,
  created_at            timestamptz not null default pg_catalog.now(),
  updated_at            timestamptz not null default pg_catalog.now(),
  -- one email, one account, whatever its case (stored normalised)
  constraint users_email_unique unique (email),
  -- normalised (lowercase, trimmed) and shaped like an address
  constraint users_email_shape check (
    email = pg_catalog.lower(pg_catalog.btrim(email))
    and email ~ '^[^@[:space:]]+@[^@[:space:]]+$' and pg_catalog.length(email) <= 254),
  -- one of the five tiers
  constraint users_role_tier check (
    role in ('user', 'staff', 'supervisor', 'administrator', 'developer')),
  -- no plaintext at rest: only an Argon2id PHC string (NULL = no password, cannot log in)
  constraint users_password_argon2id check (
    password_hash is null or password_hash ~ '^\$argon2id\$v=[0-9]+\$m=[0-9]+,t=[0-9]+,p=[0-9]+\$'),
  -- display names are short
  constraint users_display_name_length check (pg_catalog.length(display_name) <= 200),
  -- the failure counter never goes negative
  constraint users_failed_count check (failed_login_count >= 0)
);

create index if not exists users_locked_until on auth.users (locked_until)
  where locked_until is not null;
create index if not exists users_role_active on auth.users (role) where is_active;

comment on table auth.users is 'pgwarden accounts: email, tier, Argon2id password hash, lock state.';
comment on column auth.users.id is 'The user id (the sub claim of a session).';
comment on column auth.users.email is 'Login email, stored trimmed, NFKC-normalised and lowercased.';
comment on column auth.users.display_name is 'Name shown in the admin.';
comment on column auth.users.password_hash is
  'Argon2id PHC string (never plaintext, never returned by the API); NULL = cannot log in.';
comment on column auth.users.role is 'Tier: user, staff, supervisor, administrator or developer.';
comment on column auth.users.is_active is 'Inactive accounts cannot log in; deactivation revokes sessions.';
comment on column auth.users.must_change_password is 'The user must set a new password before anything else.';
comment on column auth.users.password_changed_at is 'When the password was last set.';
comment on column auth.users.failed_login_count is 'Failed logins in the current throttle window.';
comment on column auth.users.first_failed_login_at is 'Start of the current throttle window.';
comment on column auth.users.last_failed_login_at is 'The latest failed login.';
comment on column auth.users.locked_until is 'Locked until this time (NULL = unlocked); a lock revokes sessions.';
comment on column auth.users.last_login_at is 'The latest successful login.';
comment on column auth.users.created_at is 'When the account was created.';
comment on column auth.users.updated_at is 'When the account was last changed.';

create or replace function auth.normalize_email(email text)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
  select pg_catalog.lower(pg_catalog.normalize(pg_catalog.btrim(email), 'NFKC'))
$$;
comment on function auth.normalize_email(text) is
  'An email as auth.users stores it: trimmed, NFKC-normalised, lowercased.';

create or replace function auth.tier_rank(tier text)
returns integer
language sql
immutable
parallel safe
set search_path = ''
as $$
  select case tier when 'user' then 100 when 'staff' then 300 when 'supervisor' then 600
                   when 'administrator' then 900 when 'developer' then 1000 else 0 end
$$;
comment on function auth.tier_rank(text) is
  'The rank of a tier (user 100 … developer 1000; unknown 0), compared by the rank guards.';

create or replace function auth.users_normalize()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.email := auth.normalize_email(new.email);
  new.display_name := pg_catalog.btrim(coalesce(new.display_name, ''));
  if tg_op = 'UPDATE' then
    new.updated_at := pg_catalog.now();
    if new.password_hash is distinct from old.password_hash then
      new.password_changed_at := pg_catalog.now();
    end if;
  elsif new.password_hash is not null then
    new.password_changed_at := pg_catalog.now();
  end if;
  return new;
end
$$;
comment on function auth.users_normalize() is
  'Trigger: normalises the email and display name, stamps updated_at and password_changed_at.';

drop trigger if exists users_10_normalize on auth.users;
create trigger users_10_normalize
  before insert or update on auth.users
  for each row execute function auth.users_normalize();
comment on trigger users_10_normalize on auth.users is 'Normalises the email, stamps updated_at and password_changed_at.';

revoke all on table auth.users from public;
revoke execute on function auth.normalize_email(text), auth.tier_rank(text),
  auth.users_normalize() from public;
grant execute on function auth.normalize_email(text), auth.tier_rank(text)
  to authenticator, pgw_anon, pgw_user, pgw_auth_service, pgw_session_writer;
-- pgwarden bundle: end ../../sql/auth/20_users.sql
-- pgwarden bundle: begin ../../sql/auth/21_groups_permissions.sql
-- Groups, permissions and the links between them and users (RustIO's group and perm).
-- A permission codename is `<resource>.<view|add|change|delete>`. A group's `auto_actions`
-- links it to every permission of those actions, present and future: the seeded `editor`
-- group gets view/add/change of every resource, `viewer` gets view.

create table if not exists auth.groups (
  id           bigint generated always as identity primary key,
  name         text not null,
  description  text not null default '',
  auto_actions text[] not null default '{}',
  created_at   timestamptz not null default pg_catalog.now(),
  -- group names are unique identifiers
  constraint groups_name_unique unique (name),
  -- names are short lowercase identifiers
  constraint groups_name_shape check (name ~ '^[a-z][a-z0-9_-]{0,62}$'),
  -- auto_actions only names the four actions
  constraint groups_auto_actions check (auto_actions <@ array['view', 'add', 'change', 'delete'])
);

create table if not exists auth.permissions (
  codename    text primary key,
  resource    text generated always as (pg_catalog.split_part(codename, '.', 1)) stored,
  action      text generated always as (pg_catalog.split_part(codename, '.', 2)) stored,
  description text not null default '',
  auto_grant  boolean not null default true,
  -- `<resource>.<action>`, action one of the four
  constraint permissions_codename_shape check (
    codename ~ '^[a-z][a-z0-9_]{0,62}\.(view|add|change|delete)$')
);

create table if not exists auth.user_groups (
  user_id  bigint not null references auth.users (id) on delete cascade,
  group_id bigint not null references auth.groups (id) on delete cascade,
  primary key (user_id, group_id)
);
create index if not exists user_groups_group on auth.user_groups (group_id);

create table if not exists auth.group_permissions (
  group_id bigint not null references auth.groups (id) on delete cascade,
  codename text not null references auth.permissions (codename) on delete cascade,
  primary key (group_id, codename)
);
create index if not exists group_permissions_codename on auth.group_permissions (codename);

create table if not exists auth.user_permissions (
  user_id  bigint not null references auth.users (id) on delete cascade,
  codename text not null references auth.permissions (codename) on delete cascade,
  primary key (user_id, codename)
);
create index if not exists user_permissions_codename on auth.user_permissions (codename);

comment on table auth.groups is 'pgwarden groups of users; a group grants its permissions to its members.';
comment on column auth.groups.id is 'The group id.';
comment on column auth.groups.name is 'Unique group name, e.g. editor.';
comment on column auth.groups.description is 'What the group is for.';
comment on column auth.groups.auto_actions is
  'Actions (view/add/change/delete) this group receives automatically for every resource.';
comment on column auth.groups.created_at is 'When the group was created.';
comment on table auth.permissions is 'Permission codenames `<resource>.<view|add|change|delete>`.';
comment on column auth.permissions.codename is 'The codename, e.g. books.change.';
comment on column auth.permissions.resource is 'The resource part of the codename.';
comment on column auth.permissions.action is 'The action part: view, add, change or delete.';
comment on column auth.permissions.description is 'What the permission allows.';
comment on column auth.permissions.auto_grant is
  'Whether groups with auto_actions receive it (false for the framework''s own users, groups, '
  'sessions: those stay with administrators unless granted explicitly).';
comment on table auth.user_groups is 'Which users belong to which groups.';
comment on column auth.user_groups.user_id is 'The member.';
comment on column auth.user_groups.group_id is 'The group.';
comment on table auth.group_permissions is 'Permissions granted to a group.';
comment on column auth.group_permissions.group_id is 'The group.';
comment on column auth.group_permissions.codename is 'The permission.';
comment on table auth.user_permissions is 'Permissions granted directly to a user.';
comment on column auth.user_permissions.user_id is 'The user.';
comment on column auth.user_permissions.codename is 'The permission.';

insert into auth.groups (name, description, auto_actions) values
  ('editor', 'May view, add and change every resource (no delete).', array['view', 'add', 'change']),
  ('viewer', 'May view every resource.', array['view'])
on conflict (name) do nothing;

-- A new permission joins every group whose auto_actions name its action.
create or replace function auth.permissions_autolink()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into auth.group_permissions (group_id, codename)
  select g.id, new.codename from auth.groups g
   where new.auto_grant and new.action = any (g.auto_actions)
  on conflict do nothing;
  return null;
end
$$;
comment on function auth.permissions_autolink() is
  'Trigger: links a new permission to the groups whose auto_actions include its action.';

drop trigger if exists permissions_autolink on auth.permissions;
create trigger permissions_autolink
  after insert on auth.permissions
  for each row execute function auth.permissions_autolink();
comment on trigger permissions_autolink on auth.permissions is 'Links a new permission to the groups whose auto_actions name its action.';

create or replace function auth.register_resource(resource text, label text default null,
                                                  auto_grant boolean default true)
returns setof text
language sql
set search_path = ''
as $$
  insert into auth.permissions (codename, description, auto_grant)
  select resource || '.' || a, pg_catalog.initcap(a) || ' ' || coalesce(label, resource),
         auto_grant
    from pg_catalog.unnest(array['view', 'add', 'change', 'delete']) a
  on conflict (codename) do nothing
  returning codename
$$;
comment on function auth.register_resource(text, text, boolean) is
  'Creates the four permissions of a resource (view/add/change/delete); returns the new codenames.';

select auth.register_resource(r, null, false)
  from pg_catalog.unnest(array['users', 'groups', 'sessions']) r;

revoke all on table auth.groups, auth.permissions, auth.user_groups, auth.group_permissions,
  auth.user_permissions from public;
revoke execute on function auth.permissions_autolink(), auth.register_resource(text, text, boolean)
  from public;
alter function auth.permissions_autolink() owner to pgw_auth_service;
grant select, insert on table auth.group_permissions to pgw_auth_service;
grant select on table auth.groups, auth.permissions to pgw_auth_service;
-- pgwarden bundle: end ../../sql/auth/21_groups_permissions.sql
-- pgwarden bundle: begin ../../sql/auth/22_has_perm.sql
-- auth.has_perm(codename): the permission check that row policies call. True when the current
-- user (auth.uid()) is active and either holds the administrator or developer tier, or has the
-- permission directly or through a group. Wrap it as `(select auth.has_perm('x.view'))` in a
-- policy so PostgreSQL evaluates it once per statement, not once per row.

create or replace function auth.has_perm(codename text)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce((
    select u.role in ('administrator', 'developer')
           or exists (select 1 from auth.user_permissions up
                       where up.user_id = u.id and up.codename = has_perm.codename)
           or exists (select 1 from auth.user_groups ug
                        join auth.group_permissions gp on gp.group_id = ug.group_id
                       where ug.user_id = u.id and gp.codename = has_perm.codename)
      from auth.users u
     where u.id = auth.uid() and u.is_active), false)
$$;
comment on function auth.has_perm(text) is
  'For row policies: does the current user hold this permission (direct or via a group; '
  'administrator and developer tiers always do; inactive users never)?';

alter function auth.has_perm(text) owner to pgw_auth_service;
revoke execute on function auth.has_perm(text) from public;
grant execute on function auth.has_perm(text) to pgw_anon, pgw_user, authenticator;
grant select on table auth.users, auth.user_permissions, auth.user_groups,
  auth.group_permissions to pgw_auth_service;
-- pgwarden bundle: end ../../sql/auth/22_has_perm.sql
-- pgwarden bundle: begin ../../sql/auth/23_rank_guards.sql
-- Rank guards, enforced by triggers on auth.users so that every path obeys them (the admin, the
-- REST API, the CLI and a DBA's psql session). The acting user is auth.uid(); without one (a DBA,
-- the CLI, a migration) only the last rule applies.
--   1. nobody changes or deletes a user whose tier is at or above their own, except themselves;
--   2. nobody assigns a tier above their own (an equal tier is fine);
--   3. nobody lowers their own tier, deactivates or deletes themselves;
--   4. no change leaves zero active administrators, or zero active developers, where there was one.
-- Refusals raise SQLSTATE 42501 (insufficient_privilege) with a stable code in DETAIL.

create or replace function auth.refuse(code text, message text)
returns void
language plpgsql
set search_path = ''
as $$
begin
  raise exception '%', message
    using errcode = 'insufficient_privilege', detail = code,
          hint = 'rank guards: see docs/identity.md';
end
$$;
comment on function auth.refuse(text, text) is
  'Raises a rank-guard refusal: SQLSTATE 42501, the message, and the stable code as DETAIL.';

create or replace function auth.users_rank_guard()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  actor bigint := auth.uid();
  actor_rank integer;
begin
  if actor is null then
    return coalesce(new, old);
  end if;
  select auth.tier_rank(u.role) into actor_rank
    from auth.users u where u.id = actor and u.is_active;
  actor_rank := coalesce(actor_rank, 0);
  if tg_op <> 'INSERT' and old.id = actor then
    if tg_op = 'DELETE' then
      perform auth.refuse('self_delete', 'You cannot delete yourself.');
    elsif auth.tier_rank(new.role) < auth.tier_rank(old.role) then
      perform auth.refuse('self_demote', 'You cannot lower your own tier.');
    elsif old.is_active and not new.is_active then
      perform auth.refuse('self_deactivate', 'You cannot deactivate yourself.');
    end if;
  elsif tg_op <> 'INSERT' and auth.tier_rank(old.role) >= actor_rank then
    perform auth.refuse('cross_rank',
                        'You cannot modify users at or above your authority level.');
  end if;
  if tg_op <> 'DELETE' and auth.tier_rank(new.role) > actor_rank
     and (tg_op = 'INSERT' or new.role is distinct from old.role) then
    perform auth.refuse('role_ceiling', 'You cannot assign a tier above your own.');
  end if;
  return coalesce(new, old);
end
$$;
comment on function auth.users_rank_guard() is
  'Trigger: rank guards 1-3 (cross-rank, role ceiling, self-demotion) for the acting auth.uid().';

create or replace function auth.users_orphan_guard()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if not (old.is_active and old.role in ('administrator', 'developer')) then
    return null;
  end if;
  if tg_op = 'UPDATE' and new.is_active and new.role = old.role then
    return null;
  end if;
  -- serialise concurrent demotions so two transactions cannot remove the last two
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('auth.users_orphan_guard'));
  if not exists (select 1 from auth.users u where u.role = old.role and u.is_active) then
    perform auth.refuse('last_' || old.role,
                        pg_catalog.format('At least one active %s must remain.', old.role));
  end if;
  return null;
end
$$;
comment on function auth.users_orphan_guard() is
  'Trigger: refuses a change that leaves zero active administrators or developers (rank guard 4).';

drop trigger if exists users_20_rank_guard on auth.users;
create trigger users_20_rank_guard
  before insert or update or delete on auth.users
  for each row execute function auth.users_rank_guard();
comment on trigger users_20_rank_guard on auth.users is 'Rank guards 1-3 for the acting user.';

drop trigger if exists users_orphan_guard on auth.users;
create trigger users_orphan_guard
  after update or delete on auth.users
  for each row execute function auth.users_orphan_guard();
comment on trigger users_orphan_guard on auth.users is 'Rank guard 4: at least one active administrator and developer remain.';

alter function auth.users_rank_guard() owner to pgw_auth_service;
alter function auth.users_orphan_guard() owner to pgw_auth_service;
-- auth.refuse() only raises; it stays executable by everyone (the invoker-run guards use it).
revoke execute on function auth.users_rank_guard(), auth.users_orphan_guard() from public;
-- pgwarden bundle: end ../../sql/auth/23_rank_guards.sql
-- pgwarden bundle: begin ../../sql/auth/25_authority_audit.sql
-- Typed audit events for groups, memberships and permission grants, written by triggers so
-- that a DBA's psql edit is audited exactly like the admin's.
--   auth.groups             insert/update/delete  -> group_created / group_updated / group_deleted
--   auth.user_groups        insert/delete         -> group_membership_changed (metadata.change)
--   auth.user_permissions,
--   auth.group_permissions  insert/delete         -> permission_granted / permission_revoked

create or replace function auth.groups_audit()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  row_ auth.groups := coalesce(new, old);
begin
  perform audit.record(
    case tg_op when 'INSERT' then 'group_created' when 'UPDATE' then 'group_updated'
               else 'group_deleted' end,
    'auth.groups', row_.id::text, pg_catalog.format('group %s', row_.name),
    pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
      'name', row_.name,
      'previous_name', case when tg_op = 'UPDATE' and old.name <> new.name then old.name end,
      'auto_actions', pg_catalog.to_jsonb(row_.auto_actions))));
  return null;
end
$$;
comment on function auth.groups_audit() is
  'Trigger: audits group_created, group_updated and group_deleted.';

create or replace function auth.user_groups_audit()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  row_ auth.user_groups := coalesce(new, old);
begin
  perform audit.record(
    'group_membership_changed', 'auth.users', row_.user_id::text,
    pg_catalog.format('user %s %s group %s', row_.user_id,
                      case tg_op when 'INSERT' then 'joined' else 'left' end, row_.group_id),
    pg_catalog.jsonb_build_object(
      'change', case tg_op when 'INSERT' then 'added' else 'removed' end,
      'group_id', row_.group_id,
      'group', (select g.name from auth.groups g where g.id = row_.group_id)));
  return null;
end
$$;
comment on function auth.user_groups_audit() is
  'Trigger: audits group_membership_changed (metadata.change: added or removed).';

create or replace function auth.permission_links_audit()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  holder jsonb := pg_catalog.to_jsonb(coalesce(new, old));
  is_user boolean := tg_table_name = 'user_permissions';
begin
  perform audit.record(
    case tg_op when 'INSERT' then 'permission_granted' else 'permission_revoked' end,
    case when is_user then 'auth.users' else 'auth.groups' end,
    case when is_user then holder ->> 'user_id' else holder ->> 'group_id' end,
    pg_catalog.format('%s %s %s', holder ->> 'codename',
                      case tg_op when 'INSERT' then 'granted to' else 'revoked from' end,
                      case when is_user then 'user ' || (holder ->> 'user_id')
                           else 'group ' || (holder ->> 'group_id') end),
    pg_catalog.jsonb_build_object('codename', holder ->> 'codename',
                                  'holder', case when is_user then 'user' else 'group' end));
  return null;
end
$$;
comment on function auth.permission_links_audit() is
  'Trigger: audits permission_granted and permission_revoked on user and group grants.';

drop trigger if exists groups_audit on auth.groups;
create trigger groups_audit
  after insert or update or delete on auth.groups
  for each row execute function auth.groups_audit();
comment on trigger groups_audit on auth.groups is 'Audits group_created, group_updated, group_deleted.';

drop trigger if exists user_groups_audit on auth.user_groups;
create trigger user_groups_audit
  after insert or delete on auth.user_groups
  for each row execute function auth.user_groups_audit();
comment on trigger user_groups_audit on auth.user_groups is 'Audits group_membership_changed.';

drop trigger if exists user_permissions_audit on auth.user_permissions;
create trigger user_permissions_audit
  after insert or delete on auth.user_permissions
  for each row execute function auth.permission_links_audit();
comment on trigger user_permissions_audit on auth.user_permissions is 'Audits permission_granted and permission_revoked.';

drop trigger if exists group_permissions_audit on auth.group_permissions;
create trigger group_permissions_audit
  after insert or delete on auth.group_permissions
  for each row execute function auth.permission_links_audit();
comment on trigger group_permissions_audit on auth.group_permissions is 'Audits permission_granted and permission_revoked.';

alter function auth.groups_audit() owner to pgw_auth_service;
alter function auth.user_groups_audit() owner to pgw_auth_service;
alter function auth.permission_links_audit() owner to pgw_auth_service;
revoke execute on function auth.groups_audit(), auth.user_groups_audit(),
  auth.permission_links_audit() from public;
grant execute on function audit.record(text, text, text, text, jsonb, bigint)
  to pgw_auth_service;
-- pgwarden bundle: end ../../sql/auth/25_authority_audit.sql
-- pgwarden bundle: begin ../../sql/auth/29_users_access.sql
-- Who may read and write the identity tables, through grants (columns) and row-level security.
-- password_hash is never granted to a tier: hashes leave the database only through
-- auth.login_begin() and auth.password_hash_of(), which only authenticator may call.
--   users        a user reads their own row; users.view/add/change/delete (administrator and
--                developer always) read and write others, within the rank guards.
--   groups, permissions and their links: read with groups.view; written by administrators.

alter table auth.users enable row level security;
alter table auth.users force row level security;
alter table auth.groups enable row level security;
alter table auth.groups force row level security;
alter table auth.permissions enable row level security;
alter table auth.permissions force row level security;
alter table auth.user_groups enable row level security;
alter table auth.user_groups force row level security;
alter table auth.group_permissions enable row level security;
alter table auth.group_permissions force row level security;
alter table auth.user_permissions enable row level security;
alter table auth.user_permissions force row level security;

grant select (id, email, display_name, role, is_active, must_change_password,
              password_changed_at, failed_login_count, last_failed_login_at, locked_until,
              last_login_at, created_at, updated_at)
  on table auth.users to pgw_user;
grant insert (email, display_name, role, is_active, must_change_password)
  on table auth.users to pgw_staff;
grant update (email, display_name, role, is_active, must_change_password, locked_until)
  on table auth.users to pgw_staff;
grant delete on table auth.users to pgw_staff;

drop policy if exists users_select on auth.users;
create policy users_select on auth.users for select to pgw_user
  using (id = (select auth.uid()) or (select auth.has_perm('users.view')));
drop policy if exists users_insert on auth.users;
create policy users_insert on auth.users for insert to pgw_staff
  with check ((select auth.has_perm('users.add')));
drop policy if exists users_update on auth.users;
create policy users_update on auth.users for update to pgw_staff
  using ((select auth.has_perm('users.change')))
  with check ((select auth.has_perm('users.change')));
drop policy if exists users_delete on auth.users;
create policy users_delete on auth.users for delete to pgw_staff
  using ((select auth.has_perm('users.delete')));
drop policy if exists users_service on auth.users;
create policy users_service on auth.users to pgw_auth_service, pgw_session_writer
  using (true) with check (true);

grant select on table auth.groups, auth.permissions, auth.user_groups, auth.group_permissions,
  auth.user_permissions to pgw_staff;
grant insert, update, delete on table auth.groups, auth.user_groups, auth.group_permissions,
  auth.user_permissions to pgw_administrator;

do $policies$
declare
  t text;
begin
  foreach t in array array['groups', 'permissions', 'user_groups', 'group_permissions',
                           'user_permissions'] loop
    execute pg_catalog.format('drop policy if exists %I on auth.%I', t || '_read', t);
    execute pg_catalog.format(
      'create policy %I on auth.%I for select to pgw_staff
         using ((select auth.has_perm(''groups.view'')))', t || '_read', t);
    execute pg_catalog.format('drop policy if exists %I on auth.%I', t || '_write', t);
    execute pg_catalog.format(
      'create policy %I on auth.%I for all to pgw_administrator
         using ((select auth.has_perm(''groups.change'')))
         with check ((select auth.has_perm(''groups.change'')))', t || '_write', t);
    execute pg_catalog.format('drop policy if exists %I on auth.%I', t || '_service', t);
    execute pg_catalog.format(
      'create policy %I on auth.%I to pgw_auth_service using (true) with check (true)',
      t || '_service', t);
  end loop;
end
$policies$;

-- A membership or direct grant is an authority change of that user: the cross-rank guard
-- applies to it (an administrator cannot regroup a developer).
create or replace function auth.user_links_rank_guard()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  actor bigint := auth.uid();
  target bigint := (pg_catalog.to_jsonb(coalesce(new, old)) ->> 'user_id')::bigint;
begin
  if actor is not null and target <> actor and (
       select auth.tier_rank(t.role) from auth.users t where t.id = target)
     >= coalesce((select auth.tier_rank(a.role) from auth.users a
                   where a.id = actor and a.is_active), 0) then
    perform auth.refuse('cross_rank', 'You cannot modify users at or above your authority level.');
  end if;
  return coalesce(new, old);
end
$$;
comment on function auth.user_links_rank_guard() is
  'Trigger: the cross-rank guard for group memberships and direct permission grants.';

drop trigger if exists user_groups_rank_guard on auth.user_groups;
create trigger user_groups_rank_guard
  before insert or delete on auth.user_groups
  for each row execute function auth.user_links_rank_guard();
comment on trigger user_groups_rank_guard on auth.user_groups is 'The cross-rank guard for memberships.';
drop trigger if exists user_permissions_rank_guard on auth.user_permissions;
create trigger user_permissions_rank_guard
  before insert or delete on auth.user_permissions
  for each row execute function auth.user_links_rank_guard();
comment on trigger user_permissions_rank_guard on auth.user_permissions is 'The cross-rank guard for direct grants.';

alter function auth.user_links_rank_guard() owner to pgw_auth_service;
revoke execute on function auth.user_links_rank_guard() from public;
grant select, insert, update, delete on table auth.users to pgw_auth_service;
grant select on table auth.users to pgw_session_writer;
-- pgwarden bundle: end ../../sql/auth/29_users_access.sql
COMMIT;
