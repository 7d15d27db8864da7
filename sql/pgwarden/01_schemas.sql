-- The framework's schemas. `pgwarden` holds framework metadata and request-context helpers,
-- `auth` identity, `api` the objects exposed to clients by default.
create schema if not exists pgwarden;
create schema if not exists auth;
create schema if not exists api;

comment on schema pgwarden is 'pgwarden framework metadata and request-context helpers.';
comment on schema auth is 'pgwarden identity: the current request''s claims and, later, users and sessions.';
comment on schema api is 'pgwarden: objects exposed to API clients by default (views and functions).';

grant usage on schema pgwarden, auth, api to pgw_anon, pgw_user, authenticator;
