-- auth.invalidate_sessions(target, reason, …): THE single writer of auth.sessions.revoked_at.
-- It is owned by pgw_session_writer (NOLOGIN, nobody is a member), pins search_path, and only
-- pgw_auth_service may execute it; the guard on auth.sessions refuses every other writer.
--   target 'single'               one session (target_session_id; target_user_id, if given, must own it)
--   target 'user'                 every live session of target_user_id
--   target 'user_except_current'  every live session of target_user_id but target_session_id
-- Each revoked session gets one audit event: session_logout (reason logout),
-- sessions_revoked_self (the acting auth.uid() owns the session) or sessions_revoked_by_other.
-- Returns the ids it revoked (already revoked or expired sessions are left alone).
-- Each event's metadata names the acting user (actor_user_id, when a request carries one) and,
-- inside an R2 action (auth.lock_user() …), the administrator's reason (action_reason, from the
-- transaction-local setting pgwarden.action_reason that those functions set).

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
      pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
        'reason', reason, 'user_id', s.user_id, 'target', target,
        'revoked_session_ids', pg_catalog.jsonb_build_array(s.id),
        'actor_user_id', actor,
        'action_reason', nullif(pg_catalog.current_setting('pgwarden.action_reason', true), ''))));
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
