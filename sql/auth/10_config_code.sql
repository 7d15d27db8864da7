-- Code of the identity settings (state: 10_config.sql): the clock every definer function reads.

create or replace function auth.now()
returns timestamptz
language sql
stable
set search_path = ''
as $$
  select pg_catalog.now() + coalesce((select c.clock_offset from auth.config c), '0'::interval)
$$;
comment on function auth.now() is
  'The identity clock: now() plus auth.config.clock_offset (0 in production; tests move it).';

revoke execute on function auth.now() from public;
grant execute on function auth.now() to pgw_auth_service, pgw_session_writer, authenticator,
  pgw_anon, pgw_user;
