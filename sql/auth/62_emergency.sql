-- Emergency recovery (R4): the operator's commands for the day the last administrator is locked
-- out or has lost their second factor (`pgwarden user reset-password|unlock|disable-mfa|promote|
-- emergency-access`).
-- One function, one transaction per command, exactly one emergency_recovery event carrying the
-- operation, the operator (os_actor, user@host), the argv without the reason's value, the reason,
-- and the previous and new state. EXECUTE belongs to the owner alone: no web-facing role
-- (authenticator, pgw_anon, the tiers) can run it, so the web server can never emit
-- emergency_recovery (tests_sql/test_auth_emergency.sql; tests_py/test_auth_emergency_cli.py).
-- Code only: re-appliable.

drop function if exists auth.emergency_recovery(text, text, text, text, jsonb, text, text);
create or replace function auth.emergency_recovery(
  operation text,
  email text,
  reason text,
  os_actor text,
  argv jsonb,
  password_hash text default null,
  to_tier text default null,
  reset_token text default null,
  ttl_minutes integer default 15
)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
  u auth.users;
  before_ jsonb;
  after_ jsonb;
  revoked bigint[] := '{}';
begin
  if pg_catalog.length(pg_catalog.btrim(coalesce(reason, ''))) < 8 then
    raise exception 'Give a reason of at least 8 characters.' using errcode = 'check_violation',
      detail = 'reason_too_short';
  end if;
  if operation not in ('reset-password', 'unlock', 'disable-mfa', 'promote', 'emergency-access') then
    raise exception 'unknown emergency operation %', operation using errcode = 'invalid_parameter_value';
  end if;
  select * into u from auth.users x where x.email = auth.normalize_email(emergency_recovery.email)
     for update;
  if not found then
    raise exception 'no user with email %', email using errcode = 'no_data_found',
      detail = 'unknown_user';
  end if;
  if not u.is_active then
    raise exception 'the account % is inactive: reactivate it first (pgwarden user activate)', u.email
      using errcode = 'object_not_in_prerequisite_state', detail = 'inactive_user';
  end if;
  before_ := pg_catalog.jsonb_build_object('tier', u.role, 'locked_until', u.locked_until,
    'failed_login_count', u.failed_login_count, 'must_change_password', u.must_change_password,
    'mfa', exists (select 1 from auth.mfa_secrets m where m.user_id = u.id and m.confirmed_at is not null));
  if operation = 'reset-password' then
    if password_hash is null or password_hash not like '$argon2id$%' then
      raise exception 'reset-password needs an Argon2id hash' using errcode = 'invalid_parameter_value';
    end if;
    update auth.users x set password_hash = emergency_recovery.password_hash,
                            must_change_password = true
     where x.id = u.id;
    revoked := auth.invalidate_sessions('user', 'emergency_recovery', u.id);
  elsif operation = 'unlock' then
    update auth.users x set locked_until = null, failed_login_count = 0,
                            first_failed_login_at = null, last_failed_login_at = null
     where x.id = u.id;
  elsif operation = 'disable-mfa' then
    delete from auth.mfa_backup_codes c where c.user_id = u.id;
    delete from auth.mfa_secrets m where m.user_id = u.id;
    select coalesce(pg_catalog.array_agg(r), '{}') into revoked
      from auth.sessions s,
           lateral pg_catalog.unnest(auth.invalidate_sessions('single', 'emergency_recovery', u.id, s.id)) r
     where s.user_id = u.id and s.trust_level = 'mfa_verified' and s.revoked_at is null;
  elsif operation = 'emergency-access' then
    if reset_token is null or reset_token !~ '^[A-Za-z0-9_-]{43}$' then
      raise exception 'emergency-access needs a 43-character token' using errcode = 'invalid_parameter_value';
    end if;
    -- a single-use reset link, the TTL clamped to 1-60 minutes; the sessions end when it is used
    insert into auth.password_reset_tokens (user_id, token_hash, kind, requested_at, expires_at,
                                            correlation_id)
    values (u.id, pg_catalog.sha256(pg_catalog.convert_to(reset_token, 'UTF8')), 'emergency',
            auth.now(), auth.now() + pg_catalog.make_interval(
              mins => greatest(1, least(60, coalesce(ttl_minutes, 15)))),
            pgwarden.correlation_id());
  else
    if to_tier is null or auth.tier_rank(to_tier) = 0 then
      raise exception 'unknown tier %', coalesce(to_tier, 'NULL') using errcode = 'invalid_parameter_value',
        hint = 'user, staff, supervisor, administrator or developer';
    end if;
    update auth.users x set role = to_tier where x.id = u.id;
    revoked := auth.invalidate_sessions('user', 'emergency_recovery', u.id);
  end if;
  select pg_catalog.jsonb_build_object('tier', x.role, 'locked_until', x.locked_until,
    'failed_login_count', x.failed_login_count, 'must_change_password', x.must_change_password,
    'mfa', exists (select 1 from auth.mfa_secrets m where m.user_id = x.id and m.confirmed_at is not null),
    'revoked_session_ids', pg_catalog.to_jsonb(revoked))
    into after_ from auth.users x where x.id = u.id;
  perform audit.record('emergency_recovery', 'auth.users', u.id::text,
    pg_catalog.format('emergency %s of %s from the CLI', operation, u.email),
    pg_catalog.jsonb_build_object('cli_operation', operation, 'os_actor', os_actor, 'argv', argv,
                                  'reason', pg_catalog.btrim(reason), 'before', before_,
                                  'after', after_), null);
  return pg_catalog.jsonb_build_object('user_id', u.id, 'before', before_, 'after', after_);
end
$$;
comment on function auth.emergency_recovery(text, text, text, text, jsonb, text, text, text, integer) is
  'R4: one emergency operation (reset-password, unlock, disable-mfa, promote, emergency-access) by '
  'an operator as the owner, in one transaction with exactly one emergency_recovery event; no '
  'web-facing role may run it.';

revoke execute on function
  auth.emergency_recovery(text, text, text, text, jsonb, text, text, text, integer) from public;
