-- The request context, set once per transaction by one entry point. Every caller (the REST
-- dialect, the /auth endpoints, the admin, the CLI's owner transactions) calls
-- pgwarden.begin_request() or pgwarden.begin_session_request() instead of its own set_config
-- list, so the names and shapes of the settings have one owner: this file.
-- Contract and tests: tests_sql/test_begin_request.sql.
--
--   role                    the database role the rest of the transaction runs as
--   request.jwt.claims      json: sub, role, tier, sid for a pgwarden session; any claims of a JWT
--   request.method, request.path, request.headers (json), request.cookies (json)
--   request.correlation_id, request.client_ip
--   transaction_read_only   on for reads (never turned off again: a hot standby refuses that)
-- Code only: re-applied by every change that changes it.

create or replace function pgwarden.begin_request(
  role text,
  claims jsonb default '{}',
  method text default '',
  path text default '',
  headers jsonb default '{}',
  cookies jsonb default '{}',
  correlation_id text default '',
  client_ip text default '',
  read_only boolean default false
)
returns void
language plpgsql
volatile
set search_path = ''
as $$
begin
  -- as PostgREST does, the claims always carry the role the request runs as
  claims := coalesce(claims, '{}');
  if not claims ? 'role' then
    claims := claims || pg_catalog.jsonb_build_object('role', begin_request.role);
  end if;
  perform pg_catalog.set_config('request.jwt.claims', claims::text, true),
          pg_catalog.set_config('request.method', coalesce(method, ''), true),
          pg_catalog.set_config('request.path', coalesce(path, ''), true),
          pg_catalog.set_config('request.headers', coalesce(headers, '{}')::text, true),
          pg_catalog.set_config('request.cookies', coalesce(cookies, '{}')::text, true),
          pg_catalog.set_config('request.correlation_id', coalesce(correlation_id, ''), true),
          pg_catalog.set_config('request.client_ip', coalesce(client_ip, ''), true);
  if read_only then
    perform pg_catalog.set_config('transaction_read_only', 'on', true);
  end if;
  -- last: once the role is set, this transaction has only that role's privileges
  perform pg_catalog.set_config('role', begin_request.role, true);
end
$$;
comment on function pgwarden.begin_request(text, jsonb, text, text, jsonb, jsonb, text, text, boolean) is
  'Starts a request: sets the role, the claims (always with a role claim, as PostgREST) and the '
  'request.* settings transaction-locally, in one call. The only writer of the request context.';

create or replace function auth.claims_of(user_id bigint, tier text, session_id bigint)
returns jsonb
language sql
immutable
set search_path = ''
as $$
  select pg_catalog.jsonb_build_object('sub', user_id::text, 'role', 'pgw_' || tier, 'tier', tier,
                                       'sid', session_id::text)
$$;
comment on function auth.claims_of(bigint, text, bigint) is
  'The claims of a pgwarden session (sub, role, tier, sid): their one shape, for SQL '
  '(auth.session_claims) and for the app (webui.core.identity.Identity.from_session).';

create or replace function auth.session_claims(token text)
returns jsonb
language sql
volatile
set search_path = ''
as $$
  select auth.claims_of(s.user_id, s.tier, s.session_id)
         || pg_catalog.jsonb_build_object(
              'elevated', s.elevated, 'must_change_password', s.must_change_password,
              'mfa_pending', auth.mfa_pending_of(s.session_id))
    from auth.resolve_session(token) s
   limit 1
$$;
comment on function auth.session_claims(text) is
  'The claims of a live pgwarden session token (sub, role, tier, sid, elevated, '
  'must_change_password, mfa_pending), or NULL: the one place that shapes a session''s claims.';

-- the signature before mfa_required_tiers (change context_mfa_policy replaced it)
drop function if exists
  pgwarden.begin_session_request(text, text, text, text, jsonb, jsonb, text, text, boolean);

create or replace function pgwarden.begin_session_request(
  token text,
  anon_role text,
  method text default '',
  path text default '',
  headers jsonb default '{}',
  cookies jsonb default '{}',
  correlation_id text default '',
  client_ip text default '',
  read_only boolean default false,
  mfa_required_tiers text[] default '{}'
)
returns boolean
language plpgsql
volatile
set search_path = ''
as $$
declare
  claims jsonb := auth.session_claims(token);
  -- a session whose user must change their password, that still owes its second factor, or
  -- whose tier the MFA policy (PGWARDEN_MFA: mfa_required_tiers) requires to enrol first, gives
  -- no data access until it has
  usable boolean := claims is not null and not (claims ->> 'must_change_password')::boolean
                    and not coalesce((claims ->> 'mfa_pending')::boolean, false);
begin
  if usable and coalesce(pg_catalog.cardinality(mfa_required_tiers), 0) > 0 then
    usable := not auth.mfa_enrolment_due((claims ->> 'sid')::bigint, mfa_required_tiers);
  end if;
  perform pgwarden.begin_request(
    case when usable then claims ->> 'role' else anon_role end,
    case when usable then claims - 'elevated' - 'must_change_password' - 'mfa_pending'
         else '{}'::jsonb end,
    method, path, headers, cookies, correlation_id, client_ip, read_only);
  return usable;
end
$$;
comment on function pgwarden.begin_session_request(text, text, text, text, jsonb, jsonb, text, text, boolean, text[]) is
  'Starts a request for a session token: its tier and claims when the session is live and has data '
  'access (no password change, second factor or, under mfa_required_tiers, enrolment owed), else '
  'anon_role with no claims. Returns whether the session was used.';

create or replace function auth.user_id_by_email(email text)
returns bigint
language sql
stable
set search_path = ''
as $$
  select u.id from auth.users u where u.email = auth.normalize_email(user_id_by_email.email)
$$;
comment on function auth.user_id_by_email(text) is
  'The id of the user with this email, normalised as auth.users stores it (NFKC, trimmed, lower '
  'case), or NULL. Every lookup by email uses it, the CLI included.';

revoke execute on function
  pgwarden.begin_request(text, jsonb, text, text, jsonb, jsonb, text, text, boolean),
  pgwarden.begin_session_request(text, text, text, text, jsonb, jsonb, text, text, boolean, text[]),
  auth.session_claims(text), auth.user_id_by_email(text), auth.claims_of(bigint, text, bigint)
  from public;
grant execute on function
  pgwarden.begin_request(text, jsonb, text, text, jsonb, jsonb, text, text, boolean),
  pgwarden.begin_session_request(text, text, text, text, jsonb, jsonb, text, text, boolean, text[]),
  auth.session_claims(text), auth.claims_of(bigint, text, bigint)
  to authenticator;
