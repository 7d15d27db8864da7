-- The re-auth wall: a session is elevated for auth.config.reauth_window after its user re-enters
-- their password (POST /auth/reauth; the app verifies the password, as for a login). Sensitive
-- actions check it in SQL with auth.require_elevated(): the session in the request context must
-- belong to the caller, be live and have elevated_until in the future (credential changes, the R2
-- actions). Only authenticator may elevate. Tests: tests_sql/test_auth_reauth_wall.sql.

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

create or replace function auth.require_elevated()
returns bigint
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  sid bigint := auth.session_id();
begin
  if not exists (
    select 1 from auth.sessions s
     where s.id = sid and s.user_id = auth.require_user() and s.revoked_at is null
       and s.idle_expires_at > auth.now() and s.absolute_expires_at > auth.now()
       and s.elevated_until > auth.now()) then
    raise exception 'Re-enter your password first: this needs a re-authenticated session.'
      using errcode = 'insufficient_privilege', detail = 'reauth_required',
            hint = 'POST /auth/reauth with the password, then retry within 15 minutes';
  end if;
  return sid;
end
$$;
comment on function auth.require_elevated() is
  'The current session id if it is the caller''s, live and elevated (re-auth wall); else 42501 '
  'with DETAIL reauth_required.';

alter function auth.elevate_session(bigint) owner to pgw_auth_service;
alter function auth.require_elevated() owner to pgw_auth_service;
revoke execute on function auth.require_elevated() from public;
grant execute on function auth.require_elevated() to pgw_user;
revoke execute on function auth.elevate_session(bigint) from public;
grant execute on function auth.elevate_session(bigint) to authenticator;
