-- The NOLOGIN roles that own identity's SECURITY DEFINER functions. Roles are cluster-wide, so
-- this file creates what is missing and re-asserts attributes (audit_core may have created
-- pgw_session_writer already).
--
--   pgw_session_writer  owns auth.invalidate_sessions(), the single writer of
--                       auth.sessions.revoked_at; the revocation guard trusts no other role.
--   pgw_auth_service    owns every other identity definer function (login, resolve_session,
--                       the triggers of auth.users); it may call the single writer.
-- Nobody logs in as either, and no tier, authenticator or pgw_anon is a member of them.

set local client_min_messages = warning;

do $roles$
declare
  name text;
begin
  foreach name in array array['pgw_session_writer', 'pgw_auth_service'] loop
    if not exists (select 1 from pg_catalog.pg_roles where rolname = name) then
      execute pg_catalog.format('create role %I nologin noinherit', name);
    end if;
    execute pg_catalog.format(
      'alter role %I nologin noinherit nosuperuser nocreatedb nocreaterole nobypassrls', name);
  end loop;
end
$roles$;

comment on role pgw_auth_service is
  'pgwarden: NOLOGIN owner of the identity definer functions (login, resolve_session, triggers).';

grant usage on schema auth to pgw_session_writer, pgw_auth_service;
grant usage on schema pgwarden to pgw_session_writer, pgw_auth_service;
grant usage on schema audit to pgw_session_writer, pgw_auth_service;
