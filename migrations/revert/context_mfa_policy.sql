-- Revert pgwarden:context_mfa_policy
-- Restores pgwarden.begin_session_request() without mfa_required_tiers and auth.session_claims()
-- without auth.claims_of() (as context_begin_request created them).
BEGIN;
drop function if exists
  pgwarden.begin_session_request(text, text, text, text, jsonb, jsonb, text, text, boolean, text[]);
create or replace function pgwarden.begin_session_request(
  token text,
  anon_role text,
  method text default '',
  path text default '',
  headers jsonb default '{}',
  cookies jsonb default '{}',
  correlation_id text default '',
  client_ip text default '',
  read_only boolean default false
)
returns boolean
language plpgsql
volatile
set search_path = ''
as $$
declare
  claims jsonb := auth.session_claims(token);
  -- a session whose user must change their password, or that still owes its second factor,
  -- gives no data access until it has
  usable boolean := claims is not null and not (claims ->> 'must_change_password')::boolean
                    and not coalesce((claims ->> 'mfa_pending')::boolean, false);
begin
  perform pgwarden.begin_request(
    case when usable then claims ->> 'role' else anon_role end,
    case when usable then claims - 'elevated' - 'must_change_password' - 'mfa_pending'
         else '{}'::jsonb end,
    method, path, headers, cookies, correlation_id, client_ip, read_only);
  return usable;
end
$$;
comment on function pgwarden.begin_session_request(text, text, text, text, jsonb, jsonb, text, text, boolean) is
  'Starts a request for a session token: its tier and claims when the session is live and has data '
  'access, else anon_role with no claims. Returns whether the session was used.';

revoke execute on function
  pgwarden.begin_session_request(text, text, text, text, jsonb, jsonb, text, text, boolean)
  from public;
grant execute on function
  pgwarden.begin_session_request(text, text, text, text, jsonb, jsonb, text, text, boolean)
  to authenticator;
-- auth.session_claims() as it shaped the claims itself, and no auth.claims_of()
create or replace function auth.session_claims(token text)
returns jsonb
language sql
volatile
set search_path = ''
as $$
  select pg_catalog.jsonb_build_object(
           'sub', s.user_id::text, 'role', 'pgw_' || s.tier, 'tier', s.tier,
           'sid', s.session_id::text, 'elevated', s.elevated,
           'must_change_password', s.must_change_password,
           'mfa_pending', auth.mfa_pending_of(s.session_id))
    from auth.resolve_session(token) s
   limit 1
$$;
comment on function auth.session_claims(text) is
  'The claims of a live pgwarden session token (sub, role, tier, sid, elevated, '
  'must_change_password, mfa_pending), or NULL: the one place that shapes a session''s claims.';

drop function if exists auth.claims_of(bigint, text, bigint);
COMMIT;
