-- Users: one row per account. Emails are stored trimmed, NFKC-normalised and lowercased (a
-- trigger normalises every write), so uniqueness is case-insensitive. Passwords are Argon2id
-- hashes written by the app; plaintext cannot be stored (a CHECK refuses anything else).

create table if not exists auth.users (
  id                    bigint generated always as identity primary key,
  email                 text not null,
  display_name          text not null default '',
  password_hash         text,
  role                  text not null default 'user',
  is_active             boolean not null default true,
  must_change_password  boolean not null default false,
  password_changed_at   timestamptz,
  failed_login_count    integer not null default 0,
  first_failed_login_at timestamptz,
  last_failed_login_at  timestamptz,
  locked_until          timestamptz,
  last_login_at         timestamptz,
  created_at            timestamptz not null default pg_catalog.now(),
  updated_at            timestamptz not null default pg_catalog.now(),
  -- one email, one account, whatever its case (stored normalised)
  constraint users_email_unique unique (email),
  -- normalised (lowercase, trimmed) and shaped like an address
  constraint users_email_shape check (
    email = pg_catalog.lower(pg_catalog.btrim(email))
    and email ~ '^[^@[:space:]]+@[^@[:space:]]+$' and pg_catalog.length(email) <= 254),
  -- one of the five tiers
  constraint users_role_tier check (
    role in ('user', 'staff', 'supervisor', 'administrator', 'developer')),
  -- no plaintext at rest: only an Argon2id PHC string (NULL = no password, cannot log in)
  constraint users_password_argon2id check (
    password_hash is null or password_hash ~ '^\$argon2id\$v=[0-9]+\$m=[0-9]+,t=[0-9]+,p=[0-9]+\$'),
  -- display names are short
  constraint users_display_name_length check (pg_catalog.length(display_name) <= 200),
  -- the failure counter never goes negative
  constraint users_failed_count check (failed_login_count >= 0)
);

create index if not exists users_locked_until on auth.users (locked_until)
  where locked_until is not null;
create index if not exists users_role_active on auth.users (role) where is_active;

comment on table auth.users is 'pgwarden accounts: email, tier, Argon2id password hash, lock state.';
comment on column auth.users.id is 'The user id (the sub claim of a session).';
comment on column auth.users.email is 'Login email, stored trimmed, NFKC-normalised and lowercased.';
comment on column auth.users.display_name is 'Name shown in the admin.';
comment on column auth.users.password_hash is
  'Argon2id PHC string (never plaintext, never returned by the API); NULL = cannot log in.';
comment on column auth.users.role is 'Tier: user, staff, supervisor, administrator or developer.';
comment on column auth.users.is_active is 'Inactive accounts cannot log in; deactivation revokes sessions.';
comment on column auth.users.must_change_password is 'The user must set a new password before anything else.';
comment on column auth.users.password_changed_at is 'When the password was last set.';
comment on column auth.users.failed_login_count is 'Failed logins in the current throttle window.';
comment on column auth.users.first_failed_login_at is 'Start of the current throttle window.';
comment on column auth.users.last_failed_login_at is 'The latest failed login.';
comment on column auth.users.locked_until is 'Locked until this time (NULL = unlocked); a lock revokes sessions.';
comment on column auth.users.last_login_at is 'The latest successful login.';
comment on column auth.users.created_at is 'When the account was created.';
comment on column auth.users.updated_at is 'When the account was last changed.';

revoke all on table auth.users from public;
