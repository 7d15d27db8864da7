-- Recovery state (created once, by the sqitch change auth_recovery): reset tokens, the mail
-- outbox, the kind of a lock, the settings of recovery, and the rows the last-administrator
-- guard serialises on. The code that uses them is in 51_recovery.sql .. 54_mail_outbox.sql.
-- Contract: docs/recovery.md.

alter table auth.config
  add column if not exists reset_token_ttl interval not null default '1 hour',
  add column if not exists reset_token_keep interval not null default '7 days',
  add column if not exists forgot_budget integer not null default 5,
  add column if not exists forgot_window interval not null default '15 minutes',
  add column if not exists consume_budget integer not null default 10,
  add column if not exists consume_window interval not null default '5 minutes',
  add column if not exists mail_max_attempts integer not null default 8;
-- recovery windows are positive and budgets at least one
alter table auth.config add constraint config_recovery_positive check (
  reset_token_ttl > '0' and reset_token_keep >= '0' and forgot_window > '0'
  and consume_window > '0' and forgot_budget >= 1 and consume_budget >= 1
  and mail_max_attempts >= 1);
comment on column auth.config.reset_token_ttl is 'How long a password reset link is valid (1 hour).';
comment on column auth.config.reset_token_keep is
  'Expired or used reset tokens are swept this long after they expire (7 days).';
comment on column auth.config.forgot_budget is 'Forgot-password requests allowed per client IP per forgot_window.';
comment on column auth.config.forgot_window is 'The window of forgot_budget (15 minutes).';
comment on column auth.config.consume_budget is 'Reset-link consumes allowed per client IP per consume_window.';
comment on column auth.config.consume_window is 'The window of consume_budget (5 minutes).';
comment on column auth.config.mail_max_attempts is
  'Send attempts of one outbox mail before it is marked failed.';

alter table auth.users add column if not exists locked_via text;
-- who locked: an administrator (manual, revokes sessions) or the login throttle (a soft lock)
alter table auth.users add constraint users_locked_via check (
  locked_via is null or locked_via in ('manual', 'auto_throttle'));
comment on column auth.users.locked_via is
  'What set the lock: manual (an administrator or DBA; revokes sessions) or auto_throttle (the '
  'login throttle: a soft lock that only refuses new logins).';

create table auth.password_reset_tokens (
  id                   bigint generated always as identity primary key,
  user_id              bigint not null references auth.users (id) on delete cascade,
  token_hash           bytea not null,
  kind                 text not null default 'self',
  requested_ip         inet,
  requested_user_agent text,
  requested_at         timestamptz not null,
  expires_at           timestamptz not null,
  consumed_at          timestamptz,
  mail_status          text not null default 'pending',
  correlation_id       text,
  actor_user_id        bigint references auth.users (id) on delete set null,
  -- SHA-256 of the token: 32 bytes, never the token itself
  constraint password_reset_tokens_sha256 check (pg_catalog.octet_length(token_hash) = 32),
  -- self-service (forgot) or issued by an administrator (R2 email mode)
  constraint password_reset_tokens_kind check (kind in ('self', 'admin')),
  -- the outbox reports the mail's fate here
  constraint password_reset_tokens_mail_status check (mail_status in ('pending', 'sent', 'failed')),
  -- expiry follows the request
  constraint password_reset_tokens_expiry check (expires_at > requested_at),
  -- user agents are kept short
  constraint password_reset_tokens_user_agent check (pg_catalog.length(requested_user_agent) <= 512)
);
create unique index password_reset_tokens_hash on auth.password_reset_tokens (token_hash);
create index password_reset_tokens_user on auth.password_reset_tokens (user_id);
create index password_reset_tokens_expiry on auth.password_reset_tokens (expires_at);
comment on table auth.password_reset_tokens is
  'Password reset links (R1 and R2 email mode): SHA-256 of a 256-bit token, 1 hour, single use.';
comment on column auth.password_reset_tokens.id is 'The token id (its fingerprint in audit is from the hash).';
comment on column auth.password_reset_tokens.user_id is 'Whose password the link resets.';
comment on column auth.password_reset_tokens.token_hash is 'SHA-256 of the token; the token is never stored.';
comment on column auth.password_reset_tokens.kind is 'self (forgot password) or admin (an administrator mailed it).';
comment on column auth.password_reset_tokens.requested_ip is 'Client address of the request.';
comment on column auth.password_reset_tokens.requested_user_agent is 'User agent of the request.';
comment on column auth.password_reset_tokens.requested_at is 'When the link was issued.';
comment on column auth.password_reset_tokens.expires_at is 'The link is dead after this.';
comment on column auth.password_reset_tokens.consumed_at is 'When the link was used (once).';
comment on column auth.password_reset_tokens.mail_status is 'pending, sent or failed (from the outbox).';
comment on column auth.password_reset_tokens.correlation_id is 'Correlation id of the request.';
comment on column auth.password_reset_tokens.actor_user_id is 'The administrator who issued it (kind admin).';

create table auth.mail_outbox (
  id              bigint generated always as identity primary key,
  created_at      timestamptz not null default pg_catalog.now(),
  recipient       text not null,
  subject         text not null,
  body            text,
  kind            text not null,
  reset_token_id  bigint references auth.password_reset_tokens (id) on delete set null,
  status          text not null default 'pending',
  attempts        integer not null default 0,
  next_attempt_at timestamptz not null default pg_catalog.now(),
  last_error      text,
  sent_at         timestamptz,
  correlation_id  text,
  -- the life of a mail
  constraint mail_outbox_status check (status in ('pending', 'sent', 'failed')),
  -- what the mail is
  constraint mail_outbox_kind check (kind in ('password_reset', 'test')),
  -- a sent or failed mail keeps no body (reset links are secrets; they live here only while pending)
  constraint mail_outbox_scrubbed check (status = 'pending' or body is null),
  -- a pending mail has a body to send
  constraint mail_outbox_pending_body check (status <> 'pending' or body is not null),
  -- attempts never go negative
  constraint mail_outbox_attempts check (attempts >= 0),
  -- errors are kept short
  constraint mail_outbox_error_length check (pg_catalog.length(last_error) <= 500)
);
create index mail_outbox_due on auth.mail_outbox (next_attempt_at) where status = 'pending';
comment on table auth.mail_outbox is
  'Transactional outbox of mail: written in the transaction that needs the mail, drained by the '
  'sender (FOR UPDATE SKIP LOCKED); bodies are scrubbed once sent or failed.';
comment on column auth.mail_outbox.id is 'The message id.';
comment on column auth.mail_outbox.created_at is 'When it was queued.';
comment on column auth.mail_outbox.recipient is 'To whom.';
comment on column auth.mail_outbox.subject is 'Subject line.';
comment on column auth.mail_outbox.body is 'Plain-text body while pending; NULL once sent or failed.';
comment on column auth.mail_outbox.kind is 'password_reset or test.';
comment on column auth.mail_outbox.reset_token_id is 'The reset token the mail carries, if any.';
comment on column auth.mail_outbox.status is 'pending, sent or failed.';
comment on column auth.mail_outbox.attempts is 'Send attempts so far.';
comment on column auth.mail_outbox.next_attempt_at is 'Not tried again before this (backoff).';
comment on column auth.mail_outbox.last_error is 'The latest send error (first 500 characters).';
comment on column auth.mail_outbox.sent_at is 'When the transport accepted it.';
comment on column auth.mail_outbox.correlation_id is 'Correlation id of the request that queued it.';

create table auth.protected_tiers (
  tier       text primary key,
  changed_at timestamptz not null default pg_catalog.now(),
  -- only the tiers the last-member guard protects
  constraint protected_tiers_tier check (tier in ('administrator', 'developer'))
);
insert into auth.protected_tiers (tier) values ('administrator'), ('developer');
comment on table auth.protected_tiers is
  'One row per protected tier: the last-member guard updates it, so concurrent demotions of that '
  'tier wait for each other (READ COMMITTED) or fail with 40001 (REPEATABLE READ and above).';
comment on column auth.protected_tiers.tier is 'administrator or developer.';
comment on column auth.protected_tiers.changed_at is 'When a member of the tier last left it.';

alter table auth.password_reset_tokens enable row level security;
alter table auth.password_reset_tokens force row level security;
alter table auth.mail_outbox enable row level security;
alter table auth.mail_outbox force row level security;
alter table auth.protected_tiers enable row level security;
alter table auth.protected_tiers force row level security;
create policy password_reset_tokens_service on auth.password_reset_tokens to pgw_auth_service
  using (true) with check (true);
create policy mail_outbox_service on auth.mail_outbox to pgw_auth_service
  using (true) with check (true);
create policy protected_tiers_service on auth.protected_tiers to pgw_auth_service
  using (true) with check (true);
revoke all on table auth.password_reset_tokens, auth.mail_outbox, auth.protected_tiers from public;
grant select, insert, update, delete on table auth.password_reset_tokens, auth.mail_outbox
  to pgw_auth_service;
grant select, update on table auth.protected_tiers to pgw_auth_service;

comment on column auth.users.locked_until is
  'Locked until this time (NULL = unlocked). A manual lock revokes sessions; the login '
  'throttle''s lock (locked_via auto_throttle) is soft: it refuses new logins only.';
