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

alter table auth.sessions enable row level security;
alter table auth.sessions force row level security;
drop policy if exists sessions_service on auth.sessions;
create policy sessions_service on auth.sessions to pgw_auth_service, pgw_session_writer
  using (true) with check (true);
drop policy if exists sessions_own on auth.sessions;
create policy sessions_own on auth.sessions for select to pgw_user
  using (user_id = (select auth.uid()) or (select auth.has_perm('sessions.view')));

revoke all on table auth.sessions from public;
grant select (id, user_id, created_at, last_seen_at, idle_expires_at, absolute_expires_at,
              elevated_until, parent_session_id, revoked_at, revoked_reason, ip, user_agent)
  on table auth.sessions to pgw_user;
grant select, insert, delete, update (last_seen_at, idle_expires_at, elevated_until)
  on table auth.sessions to pgw_auth_service;
grant select, update (revoked_at, revoked_reason) on table auth.sessions to pgw_session_writer;
