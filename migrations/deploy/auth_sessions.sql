-- Deploy pgwarden:auth_sessions to pg
-- requires: auth_users
BEGIN;
-- pgwarden bundle: begin ../../sql/auth/30_sessions.sql
-- Sessions: one row per login. The token (32 random bytes, base64url) is handed to the client
-- once; only its SHA-256 is stored. A session is alive while it is not revoked, not past its
-- idle or absolute expiry, and its user is active and not locked (auth.resolve_session()).
--
-- revoked_at has a single writer, auth.invalidate_sessions(), owned by pgw_session_writer. The
-- guard below refuses every other write of it (and of revoked_reason), whoever the caller, the
-- table owner and superusers included; it also keeps identity columns immutable and refuses to
-- delete a live session (deleting it would be a revocation without a writer).

create table if not exists auth.sessions (
  id                  bigint generated always as identity primary key,
  user_id             bigint not null references auth.users (id) on delete cascade,
  token_hash          bytea not null,
  created_at          timestamptz not null,
  last_seen_at        timestamptz not null,
  idle_expires_at     timestamptz not null,
  absolute_expires_at timestamptz not null,
  elevated_until      timestamptz,
  parent_session_id   bigint references auth.sessions (id) on delete set null,
  revoked_at          timestamptz,
  revoked_reason      text,
  ip                  inet,
  user_agent          text,
  -- a token is looked up by its hash, so hashes are unique
  constraint sessions_token_hash_unique unique (token_hash),
  -- SHA-256: 32 bytes, never the token itself
  constraint sessions_token_hash_sha256 check (pg_catalog.octet_length(token_hash) = 32),
  -- revoked_at and revoked_reason are set together
  constraint sessions_revoked_pair check ((revoked_at is null) = (revoked_reason is null)),
  -- the reasons of RustIO's SessionInvalidationReason, plus pgwarden's automatic ones
  constraint sessions_revoked_reason check (revoked_reason in (
    'logout', 'expired', 'user_requested', 'administrative_revoke', 'password_reset',
    'password_reset_by_other', 'mfa_enabled', 'mfa_disabled', 'mfa_disabled_by_other',
    'authority_escalation', 'emergency_recovery', 'trust_escalation', 'role_changed_by_other',
    'account_locked', 'account_deactivated', 'user_deleted')),
  -- expiries follow creation
  constraint sessions_expiry_order check (
    idle_expires_at >= created_at and absolute_expires_at >= created_at),
  -- user agents are kept short
  constraint sessions_user_agent_length check (pg_catalog.length(user_agent) <= 512)
);

create index if not exists sessions_user on auth.sessions (user_id);
create index if not exists sessions_user_live on auth.sessions (user_id) where revoked_at is null;
create index if not exists sessions_absolute_expiry on auth.sessions (absolute_expires_at);
create index if not exists sessions_parent on auth.sessions (parent_session_id)
  where parent_session_id is not null;

comment on table auth.sessions is
  'pgwarden sessions (DB-backed). revoked_at has one writer: auth.invalidate_sessions().';
comment on column auth.sessions.id is 'The session id (the sid claim).';
comment on column auth.sessions.user_id is 'Whose session.';
comment on column auth.sessions.token_hash is 'SHA-256 of the session token; the token is never stored.';
comment on column auth.sessions.created_at is 'Login time.';
comment on column auth.sessions.last_seen_at is 'Last request (updated at most once per touch_interval).';
comment on column auth.sessions.idle_expires_at is 'Dies after this unless used (slides on use).';
comment on column auth.sessions.absolute_expires_at is 'Dies at this time whatever its use.';
comment on column auth.sessions.elevated_until is 'Re-authenticated (elevated) until this time.';
comment on column auth.sessions.parent_session_id is 'The session this one was minted from (rotation lineage).';
comment on column auth.sessions.revoked_at is 'When it was revoked; written only by auth.invalidate_sessions().';
comment on column auth.sessions.revoked_reason is 'Why it was revoked (logout, user_requested, …).';
comment on column auth.sessions.ip is 'Client address at login.';
comment on column auth.sessions.user_agent is 'User agent at login (first 512 characters).';

create or replace function auth.sessions_guard()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  writer boolean := current_user = 'pgw_session_writer';
begin
  if tg_op = 'TRUNCATE' then
    perform auth.refuse('sessions_truncate',
      'auth.sessions cannot be truncated: revoke with auth.invalidate_sessions(), then delete.');
  elsif tg_op = 'INSERT' then
    if new.revoked_at is not null or new.revoked_reason is not null then
      perform auth.refuse('single_writer',
        'revoked_at is written only by auth.invalidate_sessions().');
    end if;
    return new;
  elsif tg_op = 'DELETE' then
    if old.revoked_at is null and old.idle_expires_at > auth.now()
       and old.absolute_expires_at > auth.now() then
      perform auth.refuse('single_writer',
        'a live session cannot be deleted: revoke it with auth.invalidate_sessions() first.');
    end if;
    return old;
  end if;
  if (new.revoked_at, new.revoked_reason) is distinct from (old.revoked_at, old.revoked_reason)
     and (not writer or old.revoked_at is not null) then
    perform auth.refuse('single_writer',
      'revoked_at is written only by auth.invalidate_sessions(), and never un-revoked.');
  end if;
  -- (parent_session_id may only be cleared: the FK does so when a parent is purged)
  if (new.id, new.user_id, new.token_hash, new.created_at, new.absolute_expires_at, new.ip,
      new.user_agent)
     is distinct from (old.id, old.user_id, old.token_hash, old.created_at,
                       old.absolute_expires_at, old.ip, old.user_agent)
     or (new.parent_session_id is distinct from old.parent_session_id
         and new.parent_session_id is not null) then
    perform auth.refuse('session_immutable',
      'a session''s user, token hash, creation, absolute expiry and origin never change.');
  end if;
  return new;
end
$$;
comment on function auth.sessions_guard() is
  'Trigger: the single-writer guard of auth.sessions.revoked_at; identity columns are immutable.';

drop trigger if exists sessions_guard on auth.sessions;
create trigger sessions_guard
  before insert or update or delete on auth.sessions
  for each row execute function auth.sessions_guard();
comment on trigger sessions_guard on auth.sessions is 'The single-writer guard of revoked_at (see auth.sessions_guard()).';
drop trigger if exists sessions_no_truncate on auth.sessions;
create trigger sessions_no_truncate
  before truncate on auth.sessions
  for each statement execute function auth.sessions_guard();
comment on trigger sessions_no_truncate on auth.sessions is 'Refuses TRUNCATE of auth.sessions.';
-- ALWAYS: the guard fires even under session_replication_role = replica.
alter table auth.sessions enable always trigger sessions_guard;
alter table auth.sessions enable always trigger sessions_no_truncate;

alter table auth.sessions enable row level security;
alter table auth.sessions force row level security;
drop policy if exists sessions_service on auth.sessions;
create policy sessions_service on auth.sessions to pgw_auth_service, pgw_session_writer
  using (true) with check (true);
drop policy if exists sessions_own on auth.sessions;
create policy sessions_own on auth.sessions for select to pgw_user
  using (user_id = (select auth.uid()) or (select auth.has_perm('sessions.view')));

revoke all on table auth.sessions from public;
revoke execute on function auth.sessions_guard() from public;
grant select (id, user_id, created_at, last_seen_at, idle_expires_at, absolute_expires_at,
              elevated_until, parent_session_id, revoked_at, revoked_reason, ip, user_agent)
  on table auth.sessions to pgw_user;
grant select, insert, delete, update (last_seen_at, idle_expires_at, elevated_until)
  on table auth.sessions to pgw_auth_service;
grant select, update (revoked_at, revoked_reason) on table auth.sessions to pgw_session_writer;
-- pgwarden bundle: end ../../sql/auth/30_sessions.sql
-- pgwarden bundle: begin ../../sql/auth/31_invalidate_sessions.sql
-- auth.invalidate_sessions(target, reason, …): THE single writer of auth.sessions.revoked_at.
-- It is owned by pgw_session_writer (NOLOGIN, nobody is a member), pins search_path, and only
-- pgw_auth_service may execute it; the guard on auth.sessions refuses every other writer.
--   target 'single'               one session (target_session_id; target_user_id, if given, must own it)
--   target 'user'                 every live session of target_user_id
--   target 'user_except_current'  every live session of target_user_id but target_session_id
-- Each revoked session gets one audit event: session_logout (reason logout),
-- sessions_revoked_self (the acting auth.uid() owns the session) or sessions_revoked_by_other.
-- Returns the ids it revoked (already revoked or expired sessions are left alone).

create or replace function auth.invalidate_sessions(
  target text,
  reason text,
  target_user_id bigint default null,
  target_session_id bigint default null
)
returns bigint[]
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  actor bigint := auth.uid();
  at_ timestamptz := auth.now();
  revoked bigint[] := '{}';
  s record;
begin
  if target is null or target not in ('single', 'user', 'user_except_current') then
    raise exception 'unknown session target %', coalesce(target, 'NULL')
      using errcode = 'invalid_parameter_value',
            hint = 'single, user or user_except_current';
  end if;
  if (target = 'single' and target_session_id is null)
     or (target <> 'single' and target_user_id is null)
     or (target = 'user_except_current' and target_session_id is null) then
    raise exception 'target % needs %', target,
      case target when 'single' then 'target_session_id' when 'user' then 'target_user_id'
                  else 'target_user_id and target_session_id' end
      using errcode = 'invalid_parameter_value';
  end if;
  for s in
    update auth.sessions t
       set revoked_at = at_, revoked_reason = reason
     where t.revoked_at is null
       and t.idle_expires_at > at_ and t.absolute_expires_at > at_
       and case target
             when 'single' then t.id = target_session_id
                                and (target_user_id is null or t.user_id = target_user_id)
             when 'user' then t.user_id = target_user_id
             else t.user_id = target_user_id and t.id <> target_session_id
           end
    returning t.id, t.user_id
  loop
    perform audit.record(
      case when reason = 'logout' then 'session_logout'
           when actor is not null and actor = s.user_id then 'sessions_revoked_self'
           else 'sessions_revoked_by_other' end,
      'auth.sessions', s.id::text,
      pg_catalog.format('session %s of user %s revoked (%s)', s.id, s.user_id, reason),
      pg_catalog.jsonb_build_object('reason', reason, 'user_id', s.user_id, 'target', target,
                                    'revoked_session_ids', pg_catalog.jsonb_build_array(s.id)));
    revoked := revoked || s.id;
  end loop;
  return revoked;
end
$$;
comment on function auth.invalidate_sessions(text, text, bigint, bigint) is
  'The single writer of auth.sessions.revoked_at: revokes one session, all of a user''s, or all but '
  'one, audits each, returns the revoked ids.';

alter function auth.invalidate_sessions(text, text, bigint, bigint) owner to pgw_session_writer;
revoke execute on function auth.invalidate_sessions(text, text, bigint, bigint) from public;
grant execute on function auth.invalidate_sessions(text, text, bigint, bigint)
  to pgw_auth_service;
-- pgwarden bundle: end ../../sql/auth/31_invalidate_sessions.sql
-- pgwarden bundle: begin ../../sql/auth/32_user_effects.sql
-- What a change of auth.users sets off, in SQL, so a DBA's `UPDATE auth.users SET role = …`
-- behaves exactly like the admin: typed audit events and automatic session revocation through
-- the single writer.
--   insert                         user_created
--   password set by the user       password_changed_self; revoke all but the current session
--   password set by anyone else    password_reset_by_other; revoke all (password_reset_by_other)
--   rehash on login                nothing (auth.login_finish() re-encodes the same password)
--   tier changed                   role_changed; revoke all (role_changed_by_other)
--   deactivated                    user_updated; revoke all (account_deactivated)
--   locked                         account_locked (via auto_throttle or manual); revoke all
--   unlocked                       account_unlocked
--   other profile columns          user_updated (metadata.changed lists the columns)
--   delete                         user_deleted; revoke all (user_deleted), then rows cascade

create or replace function auth.users_effects()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  actor bigint := auth.uid();
  at_ timestamptz := auth.now();
  stack text;
  changed text[];
begin
  if tg_op = 'INSERT' then
    perform audit.record('user_created', 'auth.users', new.id::text,
      pg_catalog.format('user %s created', new.email),
      pg_catalog.jsonb_build_object('email', new.email, 'role', new.role,
                                    'is_active', new.is_active));
    return null;
  elsif tg_op = 'DELETE' then
    perform audit.record('user_deleted', 'auth.users', old.id::text,
      pg_catalog.format('user %s deleted', old.email),
      pg_catalog.jsonb_build_object('email', old.email, 'role', old.role));
    perform auth.invalidate_sessions('user', 'user_deleted', old.id);
    return old;
  end if;

  if new.password_hash is distinct from old.password_hash then
    get diagnostics stack = pg_context;
    if stack like '%function auth.login_finish(%' and new.password_hash is not null then
      null;  -- a rehash of the same password on login
    elsif actor = new.id then
      perform audit.record('password_changed_self', 'auth.users', new.id::text,
                           'password changed by its owner', '{}'::jsonb);
      if auth.session_id() is null then
        perform auth.invalidate_sessions('user', 'user_requested', new.id);
      else
        perform auth.invalidate_sessions('user_except_current', 'user_requested', new.id,
                                         auth.session_id());
      end if;
    else
      perform audit.record('password_reset_by_other', 'auth.users', new.id::text,
        'password set by another', pg_catalog.jsonb_build_object(
          'actor_user_id', actor, 'must_change_password_set', new.must_change_password));
      perform auth.invalidate_sessions('user', 'password_reset_by_other', new.id);
    end if;
  end if;

  if new.role is distinct from old.role then
    perform audit.record('role_changed', 'auth.users', new.id::text,
      pg_catalog.format('tier %s -> %s', old.role, new.role),
      pg_catalog.jsonb_build_object('previous_role', old.role, 'new_role', new.role));
    perform auth.invalidate_sessions('user', 'role_changed_by_other', new.id);
  end if;

  if coalesce(new.locked_until > at_, false) and not coalesce(old.locked_until > at_, false) then
    perform audit.record('account_locked', 'auth.users', new.id::text,
      pg_catalog.format('account locked until %s', new.locked_until),
      pg_catalog.jsonb_build_object(
        'via', case when new.failed_login_count > old.failed_login_count
                    then 'auto_throttle' else 'manual' end,
        'until', new.locked_until, 'failed_count', new.failed_login_count),
      case when new.failed_login_count > old.failed_login_count then null else actor end);
    perform auth.invalidate_sessions('user', 'account_locked', new.id);
  elsif coalesce(old.locked_until > at_, false) and not coalesce(new.locked_until > at_, false) then
    perform audit.record('account_unlocked', 'auth.users', new.id::text, 'account unlocked',
      pg_catalog.jsonb_build_object('previous_until', old.locked_until));
  end if;

  changed := pg_catalog.array_remove(array[
    case when new.email is distinct from old.email then 'email' end,
    case when new.display_name is distinct from old.display_name then 'display_name' end,
    case when new.is_active is distinct from old.is_active then 'is_active' end,
    case when new.must_change_password is distinct from old.must_change_password
         then 'must_change_password' end], null);
  if pg_catalog.cardinality(changed) > 0 then
    perform audit.record('user_updated', 'auth.users', new.id::text,
      pg_catalog.format('user %s updated', new.email),
      pg_catalog.jsonb_build_object('changed', pg_catalog.to_jsonb(changed),
        'before', pg_catalog.jsonb_build_object('email', old.email, 'is_active', old.is_active),
        'after', pg_catalog.jsonb_build_object('email', new.email, 'is_active', new.is_active)));
  end if;
  if old.is_active and not new.is_active then
    perform auth.invalidate_sessions('user', 'account_deactivated', new.id);
  end if;
  return null;
end
$$;
comment on function auth.users_effects() is
  'Trigger: audits account changes and revokes sessions (through auth.invalidate_sessions) on '
  'password change, tier change, lock, deactivation and deletion.';

drop trigger if exists users_30_effects on auth.users;
create trigger users_30_effects
  after insert or update on auth.users
  for each row execute function auth.users_effects();
comment on trigger users_30_effects on auth.users is 'Audits account changes; revokes sessions on password, tier, lock, deactivation.';
-- Before the delete: revoke (and audit) first, so the cascade only removes revoked sessions.
drop trigger if exists users_30_effects_delete on auth.users;
create trigger users_30_effects_delete
  before delete on auth.users
  for each row execute function auth.users_effects();
comment on trigger users_30_effects_delete on auth.users is 'Audits user_deleted and revokes the sessions before the row goes.';

alter function auth.users_effects() owner to pgw_auth_service;
revoke execute on function auth.users_effects() from public;
-- pgwarden bundle: end ../../sql/auth/32_user_effects.sql
-- pgwarden bundle: begin ../../sql/auth/33_resolve_session.sql
-- auth.resolve_session(token): who a session token belongs to, or no row. The app calls it (as
-- authenticator) for every request that carries a pgw_session cookie or a session bearer token.
-- A row comes back only if the session is not revoked, not past its idle or absolute expiry, and
-- its user is active and not locked. The idle expiry slides, written at most once per
-- auth.config.touch_interval per session (not on every request).

create or replace function auth.resolve_session(token text)
returns table (user_id bigint, tier text, session_id bigint, elevated boolean,
               must_change_password boolean)
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  at_ timestamptz := auth.now();
  s auth.sessions;
  u auth.users;
  cfg auth.config;
begin
  if token is null or token !~ '^[A-Za-z0-9_-]{32,128}$' then
    return;
  end if;
  select * into s from auth.sessions x
   where x.token_hash = pg_catalog.sha256(pg_catalog.convert_to(token, 'UTF8'));
  if not found or s.revoked_at is not null or s.idle_expires_at <= at_
     or s.absolute_expires_at <= at_ then
    return;
  end if;
  select * into u from auth.users x where x.id = s.user_id;
  if not found or not u.is_active or coalesce(u.locked_until > at_, false) then
    return;
  end if;
  select * into cfg from auth.config;
  if s.last_seen_at <= at_ - cfg.touch_interval then
    update auth.sessions x
       set last_seen_at = at_,
           idle_expires_at = least(at_ + cfg.idle_timeout, x.absolute_expires_at)
     where x.id = s.id and x.revoked_at is null;
  end if;
  return query select u.id, u.role, s.id, coalesce(s.elevated_until > at_, false),
                      u.must_change_password;
end
$$;
comment on function auth.resolve_session(text) is
  'The identity of a live session token (user id, tier, session id, elevated, must-change), or no '
  'row; slides the idle expiry at most once per touch_interval.';

alter function auth.resolve_session(text) owner to pgw_auth_service;
revoke execute on function auth.resolve_session(text) from public;
grant execute on function auth.resolve_session(text) to authenticator;
-- pgwarden bundle: end ../../sql/auth/33_resolve_session.sql
-- pgwarden bundle: begin ../../sql/auth/34_session_functions.sql
-- What a signed-in user (any tier) may do with sessions, through the single writer. Each reads
-- the caller from the request claims (auth.uid(), auth.session_id()) and refuses anonymous calls.
--   auth.my_sessions                view: the caller's live sessions, the current one marked
--   auth.logout()                   revokes the current session (reason logout)
--   auth.revoke_my_session(id)      revokes another of the caller's sessions (user_requested)
--   auth.revoke_my_other_sessions() revokes all but the current one (user_requested)
--   auth.revoke_user_sessions(user) an administrator revokes a lower-ranked user's sessions
--                                   (administrative_revoke)

create or replace view auth.my_sessions
with (security_invoker = true, security_barrier = true)
as
select s.id, s.created_at, s.last_seen_at, s.idle_expires_at, s.absolute_expires_at,
       s.ip, s.user_agent, coalesce(s.elevated_until > auth.now(), false) as elevated,
       s.id = auth.session_id() as current
  from auth.sessions s
 where s.user_id = auth.uid() and s.revoked_at is null
   and s.idle_expires_at > auth.now() and s.absolute_expires_at > auth.now();
comment on view auth.my_sessions is 'The current user''s live sessions; `current` marks this one.';
grant select on auth.my_sessions to pgw_user;

create or replace function auth.require_user()
returns bigint
language plpgsql
stable
set search_path = ''
as $$
begin
  if auth.uid() is null then
    raise exception 'not signed in' using errcode = 'invalid_authorization_specification';
  end if;
  return auth.uid();
end
$$;
comment on function auth.require_user() is
  'auth.uid(), or SQLSTATE 28000 when the request carries no user.';

create or replace function auth.logout()
returns boolean
language sql
volatile
security definer
set search_path = ''
as $$
  select pg_catalog.cardinality(auth.invalidate_sessions(
    'single', 'logout', auth.require_user(), auth.session_id())) > 0
  where auth.session_id() is not null
$$;
comment on function auth.logout() is 'Revokes the current session (reason logout); true if it was live.';

create or replace function auth.revoke_my_session(session_id bigint)
returns boolean
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  if session_id = auth.session_id() then
    raise exception 'this is the current session: log out instead'
      using errcode = 'invalid_parameter_value', hint = 'POST /auth/logout';
  end if;
  return pg_catalog.cardinality(auth.invalidate_sessions(
    'single', 'user_requested', auth.require_user(), session_id)) > 0;
end
$$;
comment on function auth.revoke_my_session(bigint) is
  'Revokes one of the caller''s other sessions (user_requested); false if none such is live.';

create or replace function auth.revoke_my_other_sessions()
returns integer
language sql
volatile
security definer
set search_path = ''
as $$
  select pg_catalog.cardinality(case
    when auth.session_id() is null
      then auth.invalidate_sessions('user', 'user_requested', auth.require_user())
    else auth.invalidate_sessions('user_except_current', 'user_requested', auth.require_user(),
                                  auth.session_id()) end)
$$;
comment on function auth.revoke_my_other_sessions() is
  'Revokes every live session of the caller but the current one; returns how many.';

create or replace function auth.revoke_user_sessions(target_user_id bigint)
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  actor_rank integer;
  target_rank integer;
begin
  select auth.tier_rank(u.role) into actor_rank
    from auth.users u where u.id = auth.require_user() and u.is_active;
  select auth.tier_rank(u.role) into target_rank from auth.users u where u.id = target_user_id;
  if target_user_id = auth.uid() then
    return auth.revoke_my_other_sessions();
  end if;
  if coalesce(actor_rank, 0) < 900 or target_rank >= actor_rank then
    perform auth.refuse('cross_rank', 'You cannot modify users at or above your authority level.');
  end if;
  return pg_catalog.cardinality(
    auth.invalidate_sessions('user', 'administrative_revoke', target_user_id));
end
$$;
comment on function auth.revoke_user_sessions(bigint) is
  'An administrator revokes every session of a lower-ranked user (administrative_revoke).';

alter function auth.logout() owner to pgw_auth_service;
alter function auth.revoke_my_session(bigint) owner to pgw_auth_service;
alter function auth.revoke_my_other_sessions() owner to pgw_auth_service;
alter function auth.revoke_user_sessions(bigint) owner to pgw_auth_service;
revoke execute on function auth.logout(), auth.revoke_my_session(bigint),
  auth.revoke_my_other_sessions(), auth.revoke_user_sessions(bigint) from public;
grant execute on function auth.logout(), auth.revoke_my_session(bigint),
  auth.revoke_my_other_sessions() to pgw_user;
grant execute on function auth.revoke_user_sessions(bigint) to pgw_administrator;
-- pgwarden bundle: end ../../sql/auth/34_session_functions.sql
COMMIT;
