-- R2, organisational recovery, in SQL (contract: docs/recovery.md). The admin pages, the JSON
-- API and a psql session obey the same rules because they are here. Every function first runs
-- auth.recovery_guard(), in this order:
--   1. the actor (auth.uid()) is an active administrator or developer     42501 tier
--   2. the session in context is the actor's, live and elevated          42501 reauth_required
--      (elevated_until in the future: the re-auth wall, 15 minutes)
--   3. a reason of at least 8 characters (trimmed)                        22023 reason_too_short
--   4. the target exists                                                  P0002 user_not_found
--   5. the target is not the actor                                        42501 self
--   6. the target ranks below the actor                                   42501 cross_rank
-- (The codes are the DETAIL of the error.) Then:
--   auth.admin_reset_password(user, reason, 'temp_pw', temp_password_hash)
--       sets the temporary password (the app draws 16 characters, shows them once, never logs
--       them) and must_change_password, revokes every session (password_reset_by_other) and
--       audits password_reset_by_other (mode temp_pw, must_change_password_set).
--   auth.admin_reset_password(user, reason, 'email', token => …, link_base => …)
--       mails a reset link through the outbox (1 hour); sessions are revoked when it is consumed.
--   auth.lock_user(user, reason, duration => '15m'|'1h'|'24h'|'7d'|'indefinite' | until => t)
--       locks (manual), revokes every session (administrative_revoke), audits account_locked.
--   auth.unlock_user(user, reason)
--       clears the lock and the failure counter, leaves sessions alone, audits account_unlocked.
--   auth.admin_revoke_sessions(user, reason)
--       revokes every session (administrative_revoke); no headline event.
-- Every event carries metadata.actor_user_id and metadata.reason; each revoked session writes
-- one sessions_revoked_by_other (with actor_user_id and action_reason).
-- Tests: tests_sql/test_auth_admin_recovery.sql.

create or replace function auth.recovery_guard(target_user_id bigint, reason text)
returns auth.users
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  actor bigint := auth.require_user();
  actor_rank integer;
  t auth.users;
begin
  select auth.tier_rank(u.role) into actor_rank from auth.users u
   where u.id = actor and u.is_active;
  if coalesce(actor_rank, 0) < auth.tier_rank('administrator') then
    perform auth.refuse('tier', 'Only administrators and developers may do this.');
  end if;
  perform auth.require_elevated();
  if reason is null or pg_catalog.char_length(pg_catalog.btrim(reason)) < 8 then
    raise exception 'A reason of at least 8 characters is required.'
      using errcode = 'invalid_parameter_value', detail = 'reason_too_short',
            hint = 'say why, for the audit trail';
  end if;
  select * into t from auth.users u where u.id = target_user_id for update;
  if not found then
    raise exception 'No such user.' using errcode = 'no_data_found', detail = 'user_not_found';
  end if;
  if t.id = actor then
    perform auth.refuse('self', 'You cannot do this to your own account.');
  end if;
  if auth.tier_rank(t.role) >= actor_rank then
    perform auth.refuse('cross_rank', 'You cannot modify users at or above your authority level.');
  end if;
  perform pg_catalog.set_config('pgwarden.action_reason',
                                pg_catalog.left(pg_catalog.btrim(reason), 500), true);
  return t;
end
$$;
comment on function auth.recovery_guard(bigint, text) is
  'The guards of every R2 action (tier, re-auth wall, reason, target, self, cross-rank); returns '
  'the target row, locked.';

create or replace function auth.admin_reset_password(
  target_user_id bigint,
  reason text,
  mode text,
  temp_password_hash text default null,
  token text default null,
  link_base text default null
)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  actor bigint := auth.uid();
  t auth.users;
  tok auth.password_reset_tokens;
  revoked bigint[];
  result jsonb;
begin
  if mode is null or mode not in ('temp_pw', 'email') then
    raise exception 'mode is temp_pw or email' using errcode = 'invalid_parameter_value',
      detail = 'invalid_mode';
  end if;
  t := auth.recovery_guard(target_user_id, reason);
  if mode = 'temp_pw' then
    if temp_password_hash is null then
      raise exception 'temp_pw needs the temporary password''s hash'
        using errcode = 'invalid_parameter_value', detail = 'missing_password';
    end if;
    update auth.users u set password_hash = temp_password_hash, must_change_password = true
     where u.id = t.id;
    revoked := auth.invalidate_sessions('user', 'password_reset_by_other', t.id);
    result := pg_catalog.jsonb_build_object('mode', mode, 'must_change_password_set', true,
      'invalidated_session_count', pg_catalog.cardinality(revoked));
  else
    if not auth.safe_link_base(link_base) then
      raise exception 'The reset link would point at an unsafe address.'
        using errcode = 'invalid_parameter_value', detail = 'unsafe_link_base',
              hint = 'set PGWARDEN_PUBLIC_URL';
    end if;
    tok := auth.issue_reset_token(t, token, 'admin', link_base, pgwarden.client_ip(), null, actor);
    result := pg_catalog.jsonb_build_object('mode', mode, 'email_send_status', 'queued',
      'token_fingerprint', auth.token_fingerprint(token), 'expires_at', tok.expires_at);
  end if;
  perform audit.record('password_reset_by_other', 'auth.users', t.id::text,
    pg_catalog.format('password reset by an administrator (%s)', mode),
    result || pg_catalog.jsonb_build_object('actor_user_id', actor, 'reason',
                                            pg_catalog.btrim(reason)), actor);
  perform pg_catalog.set_config('pgwarden.action_reason', '', true);
  return result;
end
$$;
comment on function auth.admin_reset_password(bigint, text, text, text, text, text) is
  'R2 reset: temp_pw sets a temporary password (must change) and revokes all sessions; email '
  'mails a 1-hour link (sessions revoked on consume). Audits password_reset_by_other.';

create or replace function auth.lock_user(
  target_user_id bigint,
  reason text,
  duration text default null,
  until timestamptz default null
)
returns timestamptz
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  actor bigint := auth.uid();
  at_ timestamptz := auth.now();
  t auth.users;
  until_ timestamptz;
  revoked bigint[];
begin
  if (duration is null) = (until is null) then
    raise exception 'Give a preset duration or an until time (one of them).'
      using errcode = 'invalid_parameter_value', detail = 'lock_duration',
            hint = 'duration: 15m, 1h, 24h, 7d or indefinite';
  end if;
  until_ := case duration
    when '15m' then at_ + interval '15 minutes'
    when '1h' then at_ + interval '1 hour'
    when '24h' then at_ + interval '24 hours'
    when '7d' then at_ + interval '7 days'
    when 'indefinite' then timestamptz '9999-12-31 23:59:59+00'
    else until end;
  if until_ is null then
    raise exception 'Unknown lock duration %.', duration
      using errcode = 'invalid_parameter_value', detail = 'lock_duration',
            hint = 'duration: 15m, 1h, 24h, 7d or indefinite';
  end if;
  if until_ <= at_ then
    raise exception 'A lock must end in the future.'
      using errcode = 'invalid_parameter_value', detail = 'lock_in_past';
  end if;
  t := auth.recovery_guard(target_user_id, reason);
  update auth.users u set locked_until = until_ where u.id = t.id;
  perform audit.record('account_locked', 'auth.users', t.id::text,
    pg_catalog.format('account locked until %s', until_),
    pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
      'via', 'manual', 'until', until_, 'preset', duration, 'reason', pg_catalog.btrim(reason),
      'actor_user_id', actor)), actor);
  revoked := auth.invalidate_sessions('user', 'administrative_revoke', t.id);
  perform pg_catalog.set_config('pgwarden.action_reason', '', true);
  return until_;
end
$$;
comment on function auth.lock_user(bigint, text, text, timestamptz) is
  'R2 lock (manual) until a preset (15m, 1h, 24h, 7d, indefinite) or an explicit time; revokes '
  'every session (administrative_revoke); audits account_locked via manual. Returns the end.';

create or replace function auth.unlock_user(target_user_id bigint, reason text)
returns boolean
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  actor bigint := auth.uid();
  t auth.users;
  was_locked boolean;
begin
  t := auth.recovery_guard(target_user_id, reason);
  was_locked := coalesce(t.locked_until > auth.now(), false);
  update auth.users u
     set locked_until = null, failed_login_count = 0, first_failed_login_at = null,
         last_failed_login_at = null
   where u.id = t.id;
  perform audit.record('account_unlocked', 'auth.users', t.id::text, 'account unlocked',
    pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
      'via', 'manual', 'previous_until', t.locked_until, 'previous_via', t.locked_via,
      'failed_count', t.failed_login_count, 'reason', pg_catalog.btrim(reason),
      'actor_user_id', actor)), actor);
  perform pg_catalog.set_config('pgwarden.action_reason', '', true);
  return was_locked;
end
$$;
comment on function auth.unlock_user(bigint, text) is
  'R2 unlock: clears the lock and the failure counter, leaves sessions alone, audits '
  'account_unlocked. Returns whether the account was locked.';

create or replace function auth.admin_revoke_sessions(target_user_id bigint, reason text)
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  t auth.users;
  revoked bigint[];
begin
  t := auth.recovery_guard(target_user_id, reason);
  revoked := auth.invalidate_sessions('user', 'administrative_revoke', t.id);
  perform pg_catalog.set_config('pgwarden.action_reason', '', true);
  return pg_catalog.cardinality(revoked);
end
$$;
comment on function auth.admin_revoke_sessions(bigint, text) is
  'R2 revoke: ends every session of the target (administrative_revoke), one '
  'sessions_revoked_by_other each, with the reason; returns how many.';

alter function auth.recovery_guard(bigint, text) owner to pgw_auth_service;
alter function auth.admin_reset_password(bigint, text, text, text, text, text)
  owner to pgw_auth_service;
alter function auth.lock_user(bigint, text, text, timestamptz) owner to pgw_auth_service;
alter function auth.unlock_user(bigint, text) owner to pgw_auth_service;
alter function auth.admin_revoke_sessions(bigint, text) owner to pgw_auth_service;
revoke execute on function auth.recovery_guard(bigint, text),
  auth.admin_reset_password(bigint, text, text, text, text, text),
  auth.lock_user(bigint, text, text, timestamptz), auth.unlock_user(bigint, text),
  auth.admin_revoke_sessions(bigint, text) from public;
grant execute on function auth.admin_reset_password(bigint, text, text, text, text, text),
  auth.lock_user(bigint, text, text, timestamptz), auth.unlock_user(bigint, text),
  auth.admin_revoke_sessions(bigint, text) to pgw_administrator;
