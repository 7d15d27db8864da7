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
