-- Revert pgwarden:auth_recovery
-- The code this change replaced, as auth_sessions and auth_login deployed it, then the objects
-- it added are dropped.
BEGIN;
-- restored: sql/auth/23_rank_guards.sql as of @v0.1.0
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
-- restored: sql/auth/31_invalidate_sessions.sql as of @v0.1.0
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
-- restored: sql/auth/32_user_effects.sql as of @v0.1.0
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
-- restored: sql/auth/33_resolve_session.sql as of @v0.1.0
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
-- restored: sql/auth/40_throttle.sql as of @v0.1.0
-- The per-IP budget of the auth endpoints, shared by every app process because it lives here.
-- A fixed window per bucket: the first hit opens it, ip_budget hits fit in it, the next ones are
-- refused until it closes. auth.ip_throttle_hit() counts one hit and answers how many seconds to
-- wait (0 = allowed), for the HTTP Retry-After header.

create table if not exists auth.throttle (
  bucket            text primary key,
  window_started_at timestamptz not null,
  hits              integer not null,
  -- a bucket is a scope and a key, e.g. ip:192.0.2.1
  constraint throttle_bucket_shape check (bucket ~ '^[a-z_]+:.{1,100}$'),
  -- at least one hit opened the window
  constraint throttle_hits_positive check (hits >= 1)
);
comment on table auth.throttle is
  'Rate-limit buckets of the auth endpoints (per client IP): hits in the current window.';
comment on column auth.throttle.bucket is 'Scope and key, e.g. ip:192.0.2.1.';
comment on column auth.throttle.window_started_at is 'When the current window opened.';
comment on column auth.throttle.hits is 'Hits counted in the current window.';

create or replace function auth.ip_throttle_hit(client_ip inet)
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  at_ timestamptz := auth.now();
  cfg auth.config;
  b auth.throttle;
begin
  if client_ip is null then
    return 0;
  end if;
  select * into cfg from auth.config;
  insert into auth.throttle as t (bucket, window_started_at, hits)
  values ('ip:' || pg_catalog.host(client_ip), at_, 1)
  on conflict (bucket) do update
     set window_started_at = case when t.window_started_at + cfg.ip_window <= at_
                                  then at_ else t.window_started_at end,
         hits = case when t.window_started_at + cfg.ip_window <= at_ then 1 else t.hits + 1 end
  returning * into b;
  if b.hits <= cfg.ip_budget then
    return 0;
  end if;
  return greatest(1, pg_catalog.ceil(extract(epoch from
    b.window_started_at + cfg.ip_window - at_))::integer);
end
$$;
comment on function auth.ip_throttle_hit(inet) is
  'Counts one auth-endpoint request of a client IP; returns 0 if within budget, else the seconds '
  'until the window closes (Retry-After).';

create or replace function auth.purge_expired(keep interval default '7 days')
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  at_ timestamptz := auth.now();
  purged integer;
begin
  delete from auth.throttle t
   where t.window_started_at + (select c.ip_window from auth.config c) < at_;
  delete from auth.sessions s
   where (s.revoked_at is not null and s.revoked_at < at_ - keep)
      or least(s.idle_expires_at, s.absolute_expires_at) < at_ - keep;
  get diagnostics purged = row_count;
  return purged;
end
$$;
comment on function auth.purge_expired(interval) is
  'Deletes throttle buckets past their window, and sessions revoked or expired more than `keep` '
  'ago (their audit events stay); returns how many sessions went.';

alter table auth.throttle enable row level security;
alter table auth.throttle force row level security;
drop policy if exists throttle_service on auth.throttle;
create policy throttle_service on auth.throttle to pgw_auth_service using (true) with check (true);
revoke all on table auth.throttle from public;
grant select, insert, update, delete on table auth.throttle to pgw_auth_service;

alter function auth.ip_throttle_hit(inet) owner to pgw_auth_service;
alter function auth.purge_expired(interval) owner to pgw_auth_service;
revoke execute on function auth.ip_throttle_hit(inet), auth.purge_expired(interval) from public;
grant execute on function auth.ip_throttle_hit(inet) to authenticator;
-- restored: sql/auth/41_login.sql as of @v0.1.0
-- Login, in two calls around the Argon2id verification that the app runs in a worker thread:
--   auth.login_begin(email, ip)   counts the request against the IP budget and returns the
--                                 account's id and hash (NULLs for an unknown email), or a
--                                 Retry-After when the IP is over budget;
--   auth.login_finish(…)          decides and commits: on success it resets the failure count,
--                                 stores the new session (SHA-256 of the token) and audits
--                                 login_succeeded; on failure it audits login_failed (reason
--                                 unknown_user, inactive, locked, no_password or wrong_password)
--                                 and, for a wrong password, bumps the counter; the
--                                 max_failed_logins-th failure inside failure_window locks the
--                                 account for lock_duration (account_locked, via auto_throttle,
--                                 written by the users trigger). The app answers every failure
--                                 with the same 401; the transaction still commits.
-- Both are executable by authenticator only: the app (which holds authenticator) is trusted to
-- report the verification truthfully, as it already may SET ROLE to any tier.

create or replace function auth.login_begin(email text, client_ip inet default null)
returns table (user_id bigint, password_hash text, retry_after integer)
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  wait integer := auth.ip_throttle_hit(client_ip);
begin
  if wait > 0 then
    return query select null::bigint, null::text, wait;
    return;
  end if;
  return query
    select u.id, u.password_hash, 0 from auth.users u
     where u.email = auth.normalize_email(login_begin.email)
    union all
    select null, null, 0
     where not exists (select 1 from auth.users u
                        where u.email = auth.normalize_email(login_begin.email));
end
$$;
comment on function auth.login_begin(text, inet) is
  'Login step 1: IP budget, then the account id and Argon2id hash to verify (NULLs if unknown).';

create or replace function auth.login_fail(u auth.users, reason text, email_fingerprint text)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  cfg auth.config;
  at_ timestamptz := auth.now();
  in_window boolean;
  failures integer;
begin
  if reason = 'wrong_password' then
    select * into cfg from auth.config;
    in_window := coalesce(u.first_failed_login_at > at_ - cfg.failure_window, false);
    failures := case when in_window then u.failed_login_count + 1 else 1 end;
    update auth.users x
       set failed_login_count = failures,
           first_failed_login_at = case when in_window then x.first_failed_login_at else at_ end,
           last_failed_login_at = at_,
           locked_until = case when failures >= cfg.max_failed_logins
                               then at_ + cfg.lock_duration else x.locked_until end
     where x.id = u.id;
  end if;
  perform audit.record('login_failed', 'auth.users', u.id::text,
    pg_catalog.format('login failed (%s)', reason),
    pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
      'reason', reason, 'failed_count', failures,
      'email_fingerprint', case when u.id is null then email_fingerprint end)),
    null);
end
$$;
comment on function auth.login_fail(auth.users, text, text) is
  'Login failure bookkeeping: audits login_failed and, for a wrong password, counts and may lock.';

create or replace function auth.login_finish(
  email text,
  user_id bigint,
  verified boolean,
  token text,
  client_ip inet default null,
  user_agent text default null,
  new_password_hash text default null
)
returns table (outcome text, session_id bigint, idle_expires_at timestamptz,
               absolute_expires_at timestamptz)
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  at_ timestamptz := auth.now();
  cfg auth.config;
  u auth.users;
  sid bigint;
  reason text;
begin
  if token is null or token !~ '^[A-Za-z0-9_-]{32,128}$' then
    raise exception 'a session token is 32-128 characters of base64url'
      using errcode = 'invalid_parameter_value';
  end if;
  select * into u from auth.users x where x.id = login_finish.user_id for update;
  reason := case
    when not found then 'unknown_user'
    when not u.is_active then 'inactive'
    when coalesce(u.locked_until > at_, false) then 'locked'
    when u.password_hash is null then 'no_password'
    when not coalesce(verified, false) then 'wrong_password'
  end;
  if reason is not null then
    perform auth.login_fail(u, reason, pg_catalog.left(pg_catalog.encode(pg_catalog.sha256(
      pg_catalog.convert_to(auth.normalize_email(coalesce(email, '')), 'UTF8')), 'hex'), 8));
    return query select 'failed'::text, null::bigint, null::timestamptz, null::timestamptz;
    return;
  end if;
  select * into cfg from auth.config;
  update auth.users x
     set failed_login_count = 0, first_failed_login_at = null, last_failed_login_at = null,
         locked_until = null, last_login_at = at_,
         password_hash = coalesce(new_password_hash, x.password_hash)
   where x.id = u.id;
  insert into auth.sessions (user_id, token_hash, created_at, last_seen_at, idle_expires_at,
                             absolute_expires_at, ip, user_agent)
  values (u.id, pg_catalog.sha256(pg_catalog.convert_to(token, 'UTF8')), at_, at_,
          at_ + least(cfg.idle_timeout, cfg.absolute_timeout), at_ + cfg.absolute_timeout,
          client_ip, pg_catalog.left(login_finish.user_agent, 512))
  returning id into sid;
  perform audit.record('login_succeeded', 'auth.users', u.id::text, 'login succeeded',
    pg_catalog.jsonb_build_object('session_id', sid, 'via', 'login'), u.id);
  return query select 'ok'::text, sid, at_ + least(cfg.idle_timeout, cfg.absolute_timeout),
                      at_ + cfg.absolute_timeout;
end
$$;
comment on function auth.login_finish(text, bigint, boolean, text, inet, text, text) is
  'Login step 2: records the verification outcome (session + login_succeeded, or login_failed and '
  'the throttle) and commits it; outcome is ok or failed.';

create or replace function auth.password_hash_of(user_id bigint)
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select u.password_hash from auth.users u where u.id = password_hash_of.user_id and u.is_active
$$;
comment on function auth.password_hash_of(bigint) is
  'The Argon2id hash of an active user, for the app to verify a current password.';

create or replace function auth.change_password(new_password_hash text)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  update auth.users u
     set password_hash = new_password_hash, must_change_password = false
   where u.id = auth.require_user() and u.is_active;
  if not found then
    raise exception 'not signed in' using errcode = 'invalid_authorization_specification';
  end if;
end
$$;
comment on function auth.change_password(text) is
  'Sets the caller''s own password hash (the app verified the current password); the users '
  'trigger audits password_changed_self and revokes every other session.';

alter function auth.login_begin(text, inet) owner to pgw_auth_service;
alter function auth.login_fail(auth.users, text, text) owner to pgw_auth_service;
alter function auth.login_finish(text, bigint, boolean, text, inet, text, text)
  owner to pgw_auth_service;
alter function auth.password_hash_of(bigint) owner to pgw_auth_service;
alter function auth.change_password(text) owner to pgw_auth_service;
revoke execute on function auth.login_begin(text, inet),
  auth.login_fail(auth.users, text, text),
  auth.login_finish(text, bigint, boolean, text, inet, text, text),
  auth.password_hash_of(bigint), auth.change_password(text) from public;
grant execute on function auth.login_begin(text, inet),
  auth.login_finish(text, bigint, boolean, text, inet, text, text),
  auth.password_hash_of(bigint) to authenticator;
grant execute on function auth.change_password(text) to pgw_user;
-- restored: sql/auth/42_reauth.sql as of @v0.1.0
-- The re-auth wall: a session is elevated for auth.config.reauth_window after its user re-enters
-- their password (POST /auth/reauth; the app verifies the password, as for a login). Sensitive
-- actions check `elevated` (auth.resolve_session() reports it). Only authenticator may elevate.

create or replace function auth.elevate_session(session_id bigint)
returns timestamptz
language sql
volatile
security definer
set search_path = ''
as $$
  update auth.sessions s
     set elevated_until = auth.now() + (select c.reauth_window from auth.config c)
   where s.id = elevate_session.session_id and s.revoked_at is null
     and s.idle_expires_at > auth.now() and s.absolute_expires_at > auth.now()
  returning s.elevated_until
$$;
comment on function auth.elevate_session(bigint) is
  'Elevates a live session for reauth_window after the app verified its user''s password; returns '
  'the new elevated_until (NULL if the session is not live).';

alter function auth.elevate_session(bigint) owner to pgw_auth_service;
revoke execute on function auth.elevate_session(bigint) from public;
grant execute on function auth.elevate_session(bigint) to authenticator;
-- dropped: what auth_recovery added
drop trigger if exists users_15_lock_kind on auth.users;
drop function if exists auth.users_lock_kind();
drop function if exists auth.mail_status();
drop function if exists auth.mail_result(bigint, boolean, text);
drop function if exists auth.mail_claim(integer);
drop function if exists auth.admin_revoke_sessions(bigint, text);
drop function if exists auth.unlock_user(bigint, text);
drop function if exists auth.lock_user(bigint, text, text, timestamptz);
drop function if exists auth.admin_reset_password(bigint, text, text, text, text, text);
drop function if exists auth.recovery_guard(bigint, text);
drop function if exists auth.consume_password_reset(text, text, inet, text);
drop function if exists auth.request_password_reset(text, text, text, inet, text);
drop function if exists auth.issue_reset_token(auth.users, text, text, text, inet, text, bigint);
drop function if exists auth.safe_link_base(text);
drop function if exists auth.token_fingerprint(text);
drop function if exists auth.purge_recovery();
drop function if exists auth.throttle_hit(text, inet);
drop function if exists auth.throttle_window(text);
drop function if exists auth.require_elevated();
drop table if exists auth.mail_outbox;
drop table if exists auth.password_reset_tokens;
drop table if exists auth.protected_tiers;
alter table auth.users drop column if exists locked_via;
alter table auth.config drop constraint if exists config_recovery_positive,
  drop column if exists reset_token_ttl, drop column if exists reset_token_keep,
  drop column if exists forgot_budget, drop column if exists forgot_window,
  drop column if exists consume_budget, drop column if exists consume_window,
  drop column if exists mail_max_attempts;
COMMIT;
