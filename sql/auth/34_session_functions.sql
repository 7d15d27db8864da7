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
