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
  -- proof first: a stolen session alone cannot change the password (the app elevates the
  -- session after verifying the current password; or the user re-authenticated recently)
  perform auth.require_elevated();
  update auth.users u
     set password_hash = new_password_hash, must_change_password = false
   where u.id = auth.require_user() and u.is_active;
  if not found then
    raise exception 'not signed in' using errcode = 'invalid_authorization_specification';
  end if;
end
$$;
comment on function auth.change_password(text) is
  'Sets the caller''s own password hash. Needs proof, checked here: the session in context must '
  'be elevated (the app elevates it after verifying the current password, or the user passed the '
  're-auth wall). The users trigger audits password_changed_self and revokes every other session.';

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
