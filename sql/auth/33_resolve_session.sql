-- auth.resolve_session(token): who a session token belongs to, or no row. The app calls it (as
-- authenticator) for every request that carries a pgw_session cookie or a session bearer token.
-- A row comes back only if the session is not revoked, not past its idle or absolute expiry, and
-- its user is active and not locked by hand (the login throttle's lock is soft: it refuses new
-- logins and leaves live sessions alone). The idle expiry slides, written at most once per
-- auth.config.touch_interval per session (not on every request). On a hot standby (which cannot
-- write) the touch is skipped: the app touches those sessions on the primary in batches
-- (webui.core.replica, docs/operations.md#read-replicas).

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
  if not found or not u.is_active
     or (coalesce(u.locked_until > at_, false) and u.locked_via is distinct from 'auto_throttle') then
    return;
  end if;
  select * into cfg from auth.config;
  if s.last_seen_at <= at_ - cfg.touch_interval and not pg_catalog.pg_is_in_recovery() then
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
  'row; slides the idle expiry at most once per touch_interval (not on a hot standby).';

alter function auth.resolve_session(text) owner to pgw_auth_service;
revoke execute on function auth.resolve_session(text) from public;
grant execute on function auth.resolve_session(text) to authenticator;
