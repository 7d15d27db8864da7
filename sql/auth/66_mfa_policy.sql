-- Second factor (R3), policy: which sessions satisfy PGWARDEN_MFA, and proving the second factor
-- again to change it. The app parses the setting (webui/auth/config.py: disabled | optional |
-- required | required:<tier>,<tier>) into the tiers that must have MFA and passes them here, so
-- the rule of who must enrol is SQL's, the same for the admin pages and /auth/*. Enforcement is
-- forward-only: nothing changes for a session until its next request, which then reaches only
-- the enrolment pages, its sessions and sign-out. Contract: docs/recovery-mfa.md (policy).
-- Tests: tests_sql/test_auth_mfa_policy.sql. Code only: re-appliable.

create or replace function auth.mfa_enrolment_due(session_id bigint, required_tiers text[])
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce((
    select u.role = any (coalesce(required_tiers, '{}'::text[]))
           and not exists (select 1 from auth.mfa_secrets m
                            where m.user_id = u.id and m.confirmed_at is not null)
      from auth.sessions s join auth.users u on u.id = s.user_id
     where s.id = mfa_enrolment_due.session_id), false)
$$;
comment on function auth.mfa_enrolment_due(bigint, text[]) is
  'Whether a session fails the MFA policy: its user''s tier is one of required_tiers (the tiers '
  'PGWARDEN_MFA requires) and the user has no confirmed second factor. Such a session reaches '
  'only the enrolment steps, its sessions and sign-out.';

create or replace function auth.mfa_policy_satisfied(session_id bigint, required_tiers text[])
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select not auth.mfa_enrolment_due(session_id, required_tiers)
         and not auth.mfa_pending_of(session_id)
$$;
comment on function auth.mfa_policy_satisfied(bigint, text[]) is
  'Whether a session may reach data: it owes no enrolment under the policy and no second factor '
  'at sign-in.';

create or replace function auth.mfa_prove(token text, step bigint, code_id bigint)
returns text
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  s auth.sessions := auth.mfa_session(token);
  remaining integer;
begin
  if not exists (select 1 from auth.mfa_secrets m where m.user_id = s.user_id
                   and m.confirmed_at is not null) then
    raise exception 'Multi-factor authentication is off.'
      using errcode = 'object_not_in_prerequisite_state', detail = 'mfa_not_enabled';
  end if;
  if step is not null then
    perform auth.mfa_take_step(s.user_id, step);
    perform audit.record('mfa_code_consumed', 'auth.users', s.user_id::text,
      'TOTP code accepted to change the second factor',
      pg_catalog.jsonb_build_object('kind', 'totp', 'purpose', 'reauth', 'session_id', s.id),
      s.user_id);
    return 'totp';
  end if;
  perform auth.mfa_refuse_locked(s.user_id);
  update auth.mfa_backup_codes c set used_at = auth.now()
   where c.id = code_id and c.user_id = s.user_id and c.used_at is null;
  if not found then
    raise exception 'That backup code was already used.'
      using errcode = 'invalid_authorization_specification', detail = 'mfa_code_used';
  end if;
  select pg_catalog.count(*) into remaining from auth.mfa_backup_codes c
   where c.user_id = s.user_id and c.used_at is null;
  perform audit.record('mfa_code_consumed', 'auth.users', s.user_id::text,
    'backup code used to change the second factor',
    pg_catalog.jsonb_build_object('kind', 'backup', 'purpose', 'reauth', 'remaining', remaining,
                                  'session_id', s.id), s.user_id);
  return 'backup';
end
$$;
comment on function auth.mfa_prove(text, bigint, bigint) is
  'Proves the second factor again (to disable it): a TOTP step the app matched, above the replay '
  'guard, or a backup code the app matched, used once; audits mfa_code_consumed (purpose reauth). '
  'No session rotation. Refuses like mfa_verify (28000 mfa_replay / mfa_code_used).';

alter function auth.mfa_enrolment_due(bigint, text[]) owner to pgw_auth_service;
alter function auth.mfa_policy_satisfied(bigint, text[]) owner to pgw_auth_service;
alter function auth.mfa_prove(text, bigint, bigint) owner to pgw_auth_service;
revoke execute on function auth.mfa_enrolment_due(bigint, text[]),
  auth.mfa_policy_satisfied(bigint, text[]), auth.mfa_prove(text, bigint, bigint) from public;
grant execute on function auth.mfa_enrolment_due(bigint, text[]),
  auth.mfa_policy_satisfied(bigint, text[]), auth.mfa_prove(text, bigint, bigint)
  to authenticator;
