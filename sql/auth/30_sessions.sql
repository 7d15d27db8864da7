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
