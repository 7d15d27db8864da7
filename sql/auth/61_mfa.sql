-- Second factor (R3), code. The app holds the key, so it decrypts the secret and finds which
-- 30-second step a code matches; these functions hold every other rule, in one transaction each:
-- the re-auth wall for credential changes, the replay guard (a step at or below the last one is
-- refused, atomically), single-use backup codes, the verify throttle (max_failed_logins wrong codes
-- in failure_window lock the account, softly, as the password throttle does), and the session
-- rotation (a new mfa_verified session whose parent is the old one, the old one revoked by the
-- single writer with reason trust_escalation). The token functions take the session token and may
-- be called only by authenticator, because their `step` or `code_id` argument is trusted; the one
-- action that needs no secret, an administrator's reset, runs as the acting user.
-- Contract: docs/recovery.md (R3). Tests: tests_sql/test_auth_mfa.sql. Code only: re-appliable.

create or replace function auth.mfa_session(token text, for_update boolean default false)
returns auth.sessions
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  s auth.sessions;
begin
  select * into s from auth.sessions x
   where token is not null and token ~ '^[A-Za-z0-9_-]{32,128}$'
     and x.token_hash = pg_catalog.sha256(pg_catalog.convert_to(token, 'UTF8'))
     and x.revoked_at is null and x.idle_expires_at > auth.now()
     and x.absolute_expires_at > auth.now();
  if not found then
    raise exception 'no live session' using errcode = 'invalid_authorization_specification',
      detail = 'mfa_no_session';
  end if;
  return s;
end
$$;
comment on function auth.mfa_session(text, boolean) is
  'The live session of a token, or SQLSTATE 28000 (mfa_no_session).';

create or replace function auth.mfa_require_elevated(s auth.sessions)
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
  if not coalesce(s.elevated_until > auth.now(), false) then
    raise exception 'Re-enter your password first.' using errcode = 'insufficient_privilege',
      detail = 'reauth_required', hint = 'POST /auth/reauth, then try again within 15 minutes';
  end if;
end
$$;
comment on function auth.mfa_require_elevated(auth.sessions) is
  'The re-auth wall: refuses (42501 reauth_required) unless the session is elevated now.';

create or replace function auth.mfa_pending_of(session_id bigint)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1 from auth.sessions s
      join auth.mfa_secrets m on m.user_id = s.user_id and m.confirmed_at is not null
     where s.id = mfa_pending_of.session_id and s.trust_level <> 'mfa_verified')
$$;
comment on function auth.mfa_pending_of(bigint) is
  'Whether the session still owes its second factor: its user has MFA and it is not mfa_verified.';

create or replace function auth.mfa_state(token text)
returns table (user_id bigint, enabled boolean, pending boolean, ciphertext bytea, key_id text,
               backup_codes_left integer, elevated boolean)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  s auth.sessions := auth.mfa_session(token);
begin
  return query
  select s.user_id, coalesce(m.confirmed_at is not null, false), auth.mfa_pending_of(s.id),
         m.ciphertext, m.key_id,
         (select pg_catalog.count(*)::integer from auth.mfa_backup_codes c
           where c.user_id = s.user_id and c.used_at is null),
         coalesce(s.elevated_until > auth.now(), false)
    from (select 1) one
    left join auth.mfa_secrets m on m.user_id = s.user_id;
end
$$;
comment on function auth.mfa_state(text) is
  'MFA state of a session''s user: enabled, pending for this session, the encrypted secret, '
  'unused backup codes, whether the session is elevated.';

create or replace function auth.mfa_rotate(s auth.sessions, new_token text)
returns table (session_id bigint, idle_expires_at timestamptz, absolute_expires_at timestamptz)
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  cfg auth.config;
  sid bigint;
  at_ timestamptz := auth.now();
begin
  if new_token is null or new_token !~ '^[A-Za-z0-9_-]{32,128}$' then
    raise exception 'a session token is 32-128 characters of base64url'
      using errcode = 'invalid_parameter_value';
  end if;
  select * into cfg from auth.config;
  insert into auth.sessions (user_id, token_hash, created_at, last_seen_at, idle_expires_at,
                             absolute_expires_at, parent_session_id, ip, user_agent, trust_level)
  values (s.user_id, pg_catalog.sha256(pg_catalog.convert_to(new_token, 'UTF8')), at_, at_,
          least(at_ + cfg.idle_timeout, s.absolute_expires_at), s.absolute_expires_at, s.id,
          s.ip, s.user_agent, 'mfa_verified')
  returning id into sid;
  perform auth.invalidate_sessions('single', 'trust_escalation', s.user_id, s.id);
  return query select sid, least(at_ + cfg.idle_timeout, s.absolute_expires_at),
                      s.absolute_expires_at;
end
$$;
comment on function auth.mfa_rotate(auth.sessions, text) is
  'Trust escalation: a new mfa_verified session (parent = the old one, same absolute expiry), the '
  'old one revoked by the single writer with reason trust_escalation.';

create or replace function auth.mfa_enrol(token text, ciphertext bytea, key_id text)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  s auth.sessions := auth.mfa_session(token);
begin
  perform auth.mfa_require_elevated(s);
  if exists (select 1 from auth.mfa_secrets m where m.user_id = s.user_id
               and m.confirmed_at is not null) then
    raise exception 'Multi-factor authentication is already on.'
      using errcode = 'insufficient_privilege', detail = 'mfa_already_enabled',
            hint = 'disable it first (re-auth required)';
  end if;
  insert into auth.mfa_secrets (user_id, ciphertext, key_id, created_at)
  values (s.user_id, mfa_enrol.ciphertext, mfa_enrol.key_id, auth.now())
  on conflict (user_id) do update
    set ciphertext = excluded.ciphertext, key_id = excluded.key_id,
        created_at = excluded.created_at, last_used_step = -1, failed_count = 0,
        first_failed_at = null;
end
$$;
comment on function auth.mfa_enrol(text, bytea, text) is
  'Enrolment step 1 (elevated session): stores a new encrypted secret, not yet confirmed.';

create or replace function auth.mfa_refuse_locked(user_id bigint)
returns void
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if exists (select 1 from auth.users u where u.id = mfa_refuse_locked.user_id
               and u.locked_until > auth.now()) then
    raise exception 'The account is locked.' using errcode = 'invalid_authorization_specification',
      detail = 'mfa_locked', hint = 'wait for the lock to expire';
  end if;
end
$$;
comment on function auth.mfa_refuse_locked(bigint) is
  'While the account is locked (the verify throttle or an administrator), no code is accepted: '
  'a pending session cannot keep guessing. Refuses as a wrong code does (28000).';

create or replace function auth.mfa_take_step(user_id bigint, step bigint)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  perform auth.mfa_refuse_locked(mfa_take_step.user_id);
  update auth.mfa_secrets m
     set last_used_step = mfa_take_step.step, failed_count = 0, first_failed_at = null
   where m.user_id = mfa_take_step.user_id and m.last_used_step < mfa_take_step.step;
  if not found then
    raise exception 'That code was already used.' using errcode = 'invalid_authorization_specification',
      detail = 'mfa_replay', hint = 'wait for the next code';
  end if;
end
$$;
comment on function auth.mfa_take_step(bigint, bigint) is
  'The replay guard: accepts a TOTP step only above the last accepted one, atomically.';

create or replace function auth.mfa_confirm(token text, step bigint, code_hashes text[],
                                            new_token text)
returns table (session_id bigint, idle_expires_at timestamptz, absolute_expires_at timestamptz)
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  s auth.sessions := auth.mfa_session(token);
begin
  perform auth.mfa_require_elevated(s);
  if not exists (select 1 from auth.mfa_secrets m where m.user_id = s.user_id
                   and m.confirmed_at is null) then
    raise exception 'Start the enrolment first.' using errcode = 'object_not_in_prerequisite_state',
      detail = 'mfa_not_enrolling';
  end if;
  if pg_catalog.cardinality(code_hashes) is distinct from 8 then
    raise exception 'Eight backup codes are issued at enrolment.'
      using errcode = 'invalid_parameter_value';
  end if;
  perform auth.mfa_take_step(s.user_id, step);
  update auth.mfa_secrets m set confirmed_at = auth.now() where m.user_id = s.user_id;
  delete from auth.mfa_backup_codes c where c.user_id = s.user_id;
  insert into auth.mfa_backup_codes (user_id, code_hash, created_at)
  select s.user_id, h, auth.now() from pg_catalog.unnest(code_hashes) h;
  perform audit.record('mfa_enabled', 'auth.users', s.user_id::text,
    'multi-factor authentication enabled',
    pg_catalog.jsonb_build_object('session_id', s.id, 'backup_codes', 8), s.user_id);
  perform auth.invalidate_sessions('user_except_current', 'mfa_enabled', s.user_id, s.id);
  return query select * from auth.mfa_rotate(s, new_token);
end
$$;
comment on function auth.mfa_confirm(text, bigint, text[], text) is
  'Enrolment step 2 (elevated session, a valid code): confirms the secret, stores the 8 hashed '
  'backup codes, audits mfa_enabled, ends the other sessions and rotates this one to mfa_verified.';

create or replace function auth.mfa_verify(token text, step bigint, new_token text)
returns table (session_id bigint, idle_expires_at timestamptz, absolute_expires_at timestamptz)
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  s auth.sessions := auth.mfa_session(token);
begin
  if not auth.mfa_pending_of(s.id) then
    raise exception 'This session owes no second factor.'
      using errcode = 'object_not_in_prerequisite_state', detail = 'mfa_not_pending';
  end if;
  perform auth.mfa_take_step(s.user_id, step);
  perform audit.record('mfa_code_consumed', 'auth.users', s.user_id::text, 'TOTP code accepted',
    pg_catalog.jsonb_build_object('kind', 'totp', 'session_id', s.id), s.user_id);
  return query select * from auth.mfa_rotate(s, new_token);
end
$$;
comment on function auth.mfa_verify(text, bigint, text) is
  'The sign-in step: a TOTP step the app matched (above the replay guard) rotates the pending '
  'session to mfa_verified and audits mfa_code_consumed (kind totp).';

create or replace function auth.mfa_backup_hashes(token text)
returns table (id bigint, code_hash text)
language sql
stable
security definer
set search_path = ''
as $$
  select c.id, c.code_hash from auth.mfa_backup_codes c
   where c.user_id = (auth.mfa_session(token)).user_id and c.used_at is null
   order by c.id
$$;
comment on function auth.mfa_backup_hashes(text) is
  'The unused backup-code hashes of a session''s user, for the app to verify a code against.';

create or replace function auth.mfa_use_backup_code(token text, code_id bigint, new_token text)
returns table (session_id bigint, idle_expires_at timestamptz, absolute_expires_at timestamptz)
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  s auth.sessions := auth.mfa_session(token);
  remaining integer;
begin
  if not auth.mfa_pending_of(s.id) then
    raise exception 'This session owes no second factor.'
      using errcode = 'object_not_in_prerequisite_state', detail = 'mfa_not_pending';
  end if;
  perform auth.mfa_refuse_locked(s.user_id);
  update auth.mfa_backup_codes c set used_at = auth.now()
   where c.id = code_id and c.user_id = s.user_id and c.used_at is null;
  if not found then
    raise exception 'That backup code was already used.'
      using errcode = 'invalid_authorization_specification', detail = 'mfa_code_used';
  end if;
  update auth.mfa_secrets m set failed_count = 0, first_failed_at = null
   where m.user_id = s.user_id;
  select pg_catalog.count(*) into remaining from auth.mfa_backup_codes c
   where c.user_id = s.user_id and c.used_at is null;
  perform audit.record('mfa_code_consumed', 'auth.users', s.user_id::text, 'backup code used',
    pg_catalog.jsonb_build_object('kind', 'backup', 'remaining', remaining, 'session_id', s.id),
    s.user_id);
  return query select * from auth.mfa_rotate(s, new_token);
end
$$;
comment on function auth.mfa_use_backup_code(text, bigint, text) is
  'The sign-in step with a backup code the app matched: uses it once (of two concurrent uses one '
  'wins), audits mfa_code_consumed (kind backup, remaining), rotates the session.';

create or replace function auth.mfa_fail(token text)
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  s auth.sessions := auth.mfa_session(token);
  cfg auth.config;
  failures integer;
begin
  select * into cfg from auth.config;
  update auth.mfa_secrets m
     set failed_count = case when m.first_failed_at > auth.now() - cfg.failure_window
                             then m.failed_count + 1 else 1 end,
         first_failed_at = case when m.first_failed_at > auth.now() - cfg.failure_window
                                then m.first_failed_at else auth.now() end
   where m.user_id = s.user_id
  returning m.failed_count into failures;
  if failures >= cfg.max_failed_logins then
    -- a soft lock, as the password throttle's: auth.users_lock_kind() marks it auto_throttle and
    -- auth.users_effects() audits account_locked without revoking sessions
    update auth.users u set locked_until = auth.now() + cfg.lock_duration where u.id = s.user_id;
    update auth.mfa_secrets m set failed_count = 0, first_failed_at = null
     where m.user_id = s.user_id;
  end if;
  return coalesce(failures, 0);
end
$$;
comment on function auth.mfa_fail(text) is
  'Counts a wrong second-factor code; max_failed_logins in failure_window lock the account for '
  'lock_duration (a soft lock, as the password throttle''s: account_locked via auto_throttle).';

create or replace function auth.mfa_regenerate_backup_codes(token text, code_hashes text[])
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  s auth.sessions := auth.mfa_session(token);
begin
  perform auth.mfa_require_elevated(s);
  if not exists (select 1 from auth.mfa_secrets m where m.user_id = s.user_id
                   and m.confirmed_at is not null) then
    raise exception 'Multi-factor authentication is off.'
      using errcode = 'object_not_in_prerequisite_state', detail = 'mfa_not_enabled';
  end if;
  if pg_catalog.cardinality(code_hashes) is distinct from 8 then
    raise exception 'Eight backup codes are issued at a time.' using errcode = 'invalid_parameter_value';
  end if;
  delete from auth.mfa_backup_codes c where c.user_id = s.user_id;
  insert into auth.mfa_backup_codes (user_id, code_hash, created_at)
  select s.user_id, h, auth.now() from pg_catalog.unnest(code_hashes) h;
  perform audit.record('backup_codes_regenerated', 'auth.users', s.user_id::text,
    'backup codes regenerated', pg_catalog.jsonb_build_object('count', 8, 'session_id', s.id),
    s.user_id);
end
$$;
comment on function auth.mfa_regenerate_backup_codes(text, text[]) is
  'Replaces all backup codes at once (elevated session): every old code stops working in the '
  'same transaction; audits backup_codes_regenerated.';

create or replace function auth.mfa_disable(token text)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  s auth.sessions := auth.mfa_session(token);
begin
  perform auth.mfa_require_elevated(s);
  delete from auth.mfa_backup_codes c where c.user_id = s.user_id;
  delete from auth.mfa_secrets m where m.user_id = s.user_id;
  if not found then
    raise exception 'Multi-factor authentication is off.'
      using errcode = 'object_not_in_prerequisite_state', detail = 'mfa_not_enabled';
  end if;
  perform audit.record('mfa_disabled', 'auth.users', s.user_id::text,
    'multi-factor authentication disabled', pg_catalog.jsonb_build_object('session_id', s.id),
    s.user_id);
  perform auth.invalidate_sessions('user_except_current', 'mfa_disabled', s.user_id, s.id);
end
$$;
comment on function auth.mfa_disable(text) is
  'Turns MFA off (elevated session): removes the secret and codes, audits mfa_disabled, ends the '
  'user''s other sessions.';

create or replace function auth.mfa_reset_by_other(target_user_id bigint, reason text)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  actor auth.users;
  target auth.users;
  s auth.sessions;
begin
  select * into actor from auth.users u where u.id = auth.uid();
  select * into s from auth.sessions x where x.id = auth.session_id() and x.user_id = actor.id;
  if actor.id is null or auth.tier_rank(actor.role) < auth.tier_rank('administrator') then
    perform auth.refuse('tier_required', 'Only an administrator can reset another user''s MFA.');
  end if;
  if s.id is null or not coalesce(s.elevated_until > auth.now(), false) then
    raise exception 'Re-enter your password first.' using errcode = 'insufficient_privilege',
      detail = 'reauth_required', hint = 'POST /auth/reauth, then try again within 15 minutes';
  end if;
  if pg_catalog.length(pg_catalog.btrim(coalesce(reason, ''))) < 8 then
    raise exception 'Give a reason of at least 8 characters.' using errcode = 'check_violation',
      detail = 'reason_too_short';
  end if;
  select * into target from auth.users u where u.id = target_user_id;
  if target.id is null then
    raise exception 'No such user.' using errcode = 'no_data_found', detail = 'unknown_user';
  end if;
  if target.id = actor.id then
    perform auth.refuse('self', 'Disable your own MFA from your account page (re-auth required).');
  end if;
  if auth.tier_rank(target.role) >= auth.tier_rank(actor.role) then
    perform auth.refuse('rank', 'You can reset the MFA of lower-ranked users only.');
  end if;
  delete from auth.mfa_backup_codes c where c.user_id = target.id;
  delete from auth.mfa_secrets m where m.user_id = target.id;
  if not found then
    raise exception 'That user has no second factor.'
      using errcode = 'object_not_in_prerequisite_state', detail = 'mfa_not_enabled';
  end if;
  perform audit.record('mfa_reset_by_other', 'auth.users', target.id::text,
    'multi-factor authentication reset by an administrator',
    pg_catalog.jsonb_build_object('actor_user_id', actor.id, 'reason', pg_catalog.btrim(reason)),
    actor.id);
  perform auth.invalidate_sessions('user', 'mfa_disabled_by_other', target.id);
end
$$;
comment on function auth.mfa_reset_by_other(bigint, text) is
  'An administrator (elevated session) resets a lower-ranked user''s MFA with a reason of 8+ '
  'characters: removes secret and codes, audits mfa_reset_by_other, ends the target''s sessions.';

do $owners$
declare
  f text;
begin
  foreach f in array array[
    'auth.mfa_session(text, boolean)', 'auth.mfa_pending_of(bigint)', 'auth.mfa_state(text)',
    'auth.mfa_rotate(auth.sessions, text)', 'auth.mfa_enrol(text, bytea, text)',
    'auth.mfa_refuse_locked(bigint)',
    'auth.mfa_take_step(bigint, bigint)', 'auth.mfa_confirm(text, bigint, text[], text)',
    'auth.mfa_verify(text, bigint, text)', 'auth.mfa_backup_hashes(text)',
    'auth.mfa_use_backup_code(text, bigint, text)', 'auth.mfa_fail(text)',
    'auth.mfa_regenerate_backup_codes(text, text[])', 'auth.mfa_disable(text)',
    'auth.mfa_reset_by_other(bigint, text)'] loop
    execute pg_catalog.format('alter function %s owner to pgw_auth_service', f);
    execute pg_catalog.format('revoke execute on function %s from public', f);
  end loop;
end
$owners$;
revoke execute on function auth.mfa_require_elevated(auth.sessions) from public;
grant execute on function auth.mfa_require_elevated(auth.sessions) to pgw_auth_service;
grant execute on function auth.mfa_pending_of(bigint), auth.mfa_state(text),
  auth.mfa_enrol(text, bytea, text), auth.mfa_confirm(text, bigint, text[], text),
  auth.mfa_verify(text, bigint, text), auth.mfa_backup_hashes(text),
  auth.mfa_use_backup_code(text, bigint, text), auth.mfa_fail(text),
  auth.mfa_regenerate_backup_codes(text, text[]), auth.mfa_disable(text)
  to authenticator;
grant execute on function auth.mfa_reset_by_other(bigint, text) to pgw_administrator;
