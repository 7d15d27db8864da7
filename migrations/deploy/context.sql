-- Deploy pgwarden:context to pg
-- requires: roles
BEGIN;
-- pgwarden bundle: begin ../../sql/pgwarden/01_schemas.sql
-- The framework's schemas. `pgwarden` holds framework metadata and request-context helpers,
-- `auth` identity, `api` the objects exposed to clients by default.
create schema if not exists pgwarden;
create schema if not exists auth;
create schema if not exists api;

comment on schema pgwarden is 'pgwarden framework metadata and request-context helpers.';
comment on schema auth is 'pgwarden identity: the current request''s claims and, later, users and sessions.';
comment on schema api is 'pgwarden: objects exposed to API clients by default (views and functions).';

grant usage on schema pgwarden, auth, api to pgw_anon, pgw_user, authenticator;
-- pgwarden bundle: end ../../sql/pgwarden/01_schemas.sql
-- pgwarden bundle: begin ../../sql/pgwarden/10_request_context.sql
-- Request-context helpers. The app sets these transaction-local settings at the start of each
-- request with set_config(name, value, true):
--   request.jwt.claims      json: sub (user id), role, sid (session id), and any other claim
--   request.correlation_id  text: the request's correlation id
--   request.client_ip       text: the client's address
-- Outside such a transaction every helper returns NULL (an unset or reset setting reads as '').

create or replace function auth.jwt()
returns jsonb
language sql
stable
parallel safe
as $$
  select nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb
$$;
comment on function auth.jwt() is
  'The claims of the current request (request.jwt.claims) as jsonb, or NULL outside a request.';

create or replace function auth.claim(name text)
returns text
language sql
stable
parallel safe
as $$
  select auth.jwt() ->> name
$$;
comment on function auth.claim(text) is
  'One claim of the current request as text, or NULL when absent or outside a request.';

create or replace function auth.uid()
returns bigint
language sql
stable
parallel safe
as $$
  select case when auth.claim('sub') ~ '^[0-9]{1,18}$' then auth.claim('sub')::bigint end
$$;
comment on function auth.uid() is
  'The current application user id (the numeric sub claim), or NULL for anonymous or outside a request.';

create or replace function auth.role()
returns text
language sql
stable
parallel safe
as $$
  select auth.claim('role')
$$;
comment on function auth.role() is 'The role claim of the current request, or NULL.';

create or replace function auth.session_id()
returns bigint
language sql
stable
parallel safe
as $$
  select case when auth.claim('sid') ~ '^[0-9]{1,18}$' then auth.claim('sid')::bigint end
$$;
comment on function auth.session_id() is
  'The pgwarden session id of the current request (the sid claim), or NULL.';

create or replace function pgwarden.correlation_id()
returns text
language sql
stable
parallel safe
as $$
  select nullif(pg_catalog.current_setting('request.correlation_id', true), '')
$$;
comment on function pgwarden.correlation_id() is
  'The correlation id of the current request (request.correlation_id), or NULL outside a request.';

create or replace function pgwarden.client_ip()
returns inet
language sql
stable
parallel safe
as $$
  select case when pg_catalog.current_setting('request.client_ip', true)
                   ~ '^[0-9A-Fa-f:.]{2,45}$'
              then pg_catalog.current_setting('request.client_ip', true)::inet end
$$;
comment on function pgwarden.client_ip() is
  'The client address of the current request (request.client_ip), or NULL.';

grant execute on function auth.jwt(), auth.claim(text), auth.uid(), auth.role(),
  auth.session_id(), pgwarden.correlation_id(), pgwarden.client_ip()
  to pgw_anon, pgw_user, authenticator;
-- pgwarden bundle: end ../../sql/pgwarden/10_request_context.sql
-- pgwarden bundle: begin ../../sql/pgwarden/20_deployed_changes.sql
-- Which migration changes are deployed, whichever tool deployed them: stock sqitch records them
-- in sqitch.changes, pgwarden's yoyo adapter in public._yoyo_migration (ids are change names).

create or replace function pgwarden.deployed_changes()
returns table (change text, deployed_at timestamptz, tool text)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if pg_catalog.to_regclass('sqitch.changes') is not null then
    return query execute
      'select c.change::text, c.committed_at::timestamptz, ''sqitch''::text
         from sqitch.changes c where c.project = ''pgwarden''';
  end if;
  if pg_catalog.to_regclass('public._yoyo_migration') is not null then
    return query execute
      'select y.migration_id::text, (y.applied_at_utc at time zone ''utc'')::timestamptz,
              ''yoyo''::text
         from public._yoyo_migration y';
  end if;
end
$$;
comment on function pgwarden.deployed_changes() is
  'The deployed migration changes (name, time, tool), read from the sqitch or yoyo registry.';

revoke execute on function pgwarden.deployed_changes() from public;
grant execute on function pgwarden.deployed_changes() to authenticator;
-- pgwarden bundle: end ../../sql/pgwarden/20_deployed_changes.sql
COMMIT;
