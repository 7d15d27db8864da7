-- Second factor (R3), state: a session's trust level, the encrypted TOTP secret of a user, its
-- replay guard and throttle, and the user's backup codes. Created once, by change auth_mfa.
-- The secret is encrypted by the app (AES-256-GCM, nonce || ciphertext || tag, under a key derived
-- from PGWARDEN_SECRET_KEY named by key_id): the database never holds it in the clear, and the
-- audit never holds it at all. Contract: docs/recovery.md (R3); tests_sql/test_auth_mfa.sql.

alter table auth.sessions
  add column if not exists trust_level text not null default 'authenticated';
alter table auth.sessions drop constraint if exists sessions_trust_level;
-- a session is authenticated (password) or mfa_verified (password and second factor)
alter table auth.sessions add constraint sessions_trust_level
  check (trust_level in ('authenticated', 'mfa_verified'));
comment on column auth.sessions.trust_level is
  'authenticated (password only) or mfa_verified (a second factor rotated it; see parent_session_id).';

create table if not exists auth.mfa_secrets (
  user_id        bigint primary key references auth.users (id) on delete cascade,
  ciphertext     bytea not null,
  key_id         text not null,
  created_at     timestamptz not null,
  confirmed_at   timestamptz,
  last_used_step bigint not null default -1,
  failed_count   integer not null default 0,
  first_failed_at timestamptz,
  -- 12-byte nonce, the 20-byte secret encrypted, 16-byte tag: never a bare secret
  constraint mfa_secrets_ciphertext_shape check (pg_catalog.octet_length(ciphertext) = 48),
  -- a key id names a key, it is never one
  constraint mfa_secrets_key_id_shape check (key_id ~ '^[A-Za-z0-9_-]{1,32}$'),
  -- failures are counted from zero
  constraint mfa_secrets_failed_count check (failed_count >= 0)
);
comment on table auth.mfa_secrets is
  'A user''s TOTP secret, encrypted by the app (never in the clear), with the replay guard and the '
  'verify throttle. Written only through the auth.mfa_* functions.';
comment on column auth.mfa_secrets.ciphertext is 'AES-256-GCM: 12-byte nonce || ciphertext || 16-byte tag.';
comment on column auth.mfa_secrets.key_id is 'Which of PGWARDEN_SECRET_KEY''s keys encrypted it.';
comment on column auth.mfa_secrets.confirmed_at is 'When enrolment completed with a valid code; NULL while pending.';
comment on column auth.mfa_secrets.last_used_step is
  'The replay guard: the last 30-second TOTP step accepted; a step at or below it is refused.';
comment on column auth.mfa_secrets.failed_count is 'Wrong codes since the last accepted one.';
comment on column auth.mfa_secrets.first_failed_at is 'The first of those failures (the window starts there).';

create table if not exists auth.mfa_backup_codes (
  id        bigint generated always as identity primary key,
  user_id   bigint not null references auth.users (id) on delete cascade,
  code_hash text not null,
  created_at timestamptz not null,
  used_at   timestamptz,
  -- Argon2id hashes only, never a code
  constraint mfa_backup_codes_argon2id check (code_hash like '$argon2id$%')
);
create index if not exists mfa_backup_codes_user on auth.mfa_backup_codes (user_id) where used_at is null;
comment on table auth.mfa_backup_codes is
  'A user''s single-use backup codes, Argon2id-hashed; regenerating replaces them all at once.';
comment on column auth.mfa_backup_codes.code_hash is 'Argon2id hash of the XXXX-XXXX code.';
comment on column auth.mfa_backup_codes.used_at is 'When it was used (a code is used once).';

alter table auth.mfa_secrets enable row level security;
alter table auth.mfa_secrets force row level security;
drop policy if exists mfa_secrets_service on auth.mfa_secrets;
create policy mfa_secrets_service on auth.mfa_secrets to pgw_auth_service using (true) with check (true);
alter table auth.mfa_backup_codes enable row level security;
alter table auth.mfa_backup_codes force row level security;
drop policy if exists mfa_backup_codes_service on auth.mfa_backup_codes;
create policy mfa_backup_codes_service on auth.mfa_backup_codes to pgw_auth_service
  using (true) with check (true);

revoke all on table auth.mfa_secrets, auth.mfa_backup_codes from public;
grant select, insert, update, delete on table auth.mfa_secrets, auth.mfa_backup_codes
  to pgw_auth_service;
grant select (trust_level) on table auth.sessions to pgw_user;
comment on column auth.mfa_secrets.user_id is 'The user this second factor belongs to.';
comment on column auth.mfa_secrets.created_at is 'When the secret was generated (enrolment started).';
comment on column auth.mfa_backup_codes.id is 'Identifies one code (the app names it when using it).';
comment on column auth.mfa_backup_codes.user_id is 'The user the code belongs to.';
comment on column auth.mfa_backup_codes.created_at is 'When the code was issued.';

