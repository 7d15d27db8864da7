-- auth.admin_revoke_session(session): an administrator ends one session of another user, from
-- the sessions tab of the admin's user view (RustIO's POST /admin/users/:id/sessions/:sid/revoke:
-- no re-auth, no reason). Guards, in this order (the DETAIL is the code):
--   1. the actor (auth.uid()) is an active administrator or developer     42501 tier
--   2. the session exists                                                 P0002 session_not_found
--   3. it is not one of the actor's own (their sessions page does that)   42501 self
--   4. its owner ranks below the actor                                   42501 cross_rank
-- It revokes through the single writer (administrative_revoke), which writes one
-- sessions_revoked_by_other with actor_user_id. Returns whether a live session was revoked.
-- Test: tests_sql/test_auth_admin_revoke_session.sql.

create or replace function auth.admin_revoke_session(target_session_id bigint)
returns boolean
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  actor bigint := auth.require_user();
  actor_rank integer;
  owner_id bigint;
begin
  select auth.tier_rank(u.role) into actor_rank from auth.users u
   where u.id = actor and u.is_active;
  if coalesce(actor_rank, 0) < auth.tier_rank('administrator') then
    perform auth.refuse('tier', 'Only administrators and developers may do this.');
  end if;
  select s.user_id into owner_id from auth.sessions s where s.id = target_session_id;
  if not found then
    raise exception 'No such session.' using errcode = 'no_data_found', detail = 'session_not_found';
  end if;
  if owner_id = actor then
    perform auth.refuse('self', 'That is your own session: end it from your sessions page.');
  end if;
  if (select auth.tier_rank(u.role) from auth.users u where u.id = owner_id) >= actor_rank then
    perform auth.refuse('cross_rank', 'You cannot modify users at or above your authority level.');
  end if;
  return pg_catalog.cardinality(auth.invalidate_sessions(
    'single', 'administrative_revoke', owner_id, target_session_id)) > 0;
end
$$;
comment on function auth.admin_revoke_session(bigint) is
  'An administrator ends one session of a lower-ranked user (administrative_revoke, one '
  'sessions_revoked_by_other); returns whether a live session was revoked.';

alter function auth.admin_revoke_session(bigint) owner to pgw_auth_service;
revoke execute on function auth.admin_revoke_session(bigint) from public;
grant execute on function auth.admin_revoke_session(bigint) to pgw_administrator;
