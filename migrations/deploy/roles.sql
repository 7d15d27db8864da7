-- Deploy pgwarden:roles
BEGIN;
-- pgwarden bundle: begin ../../sql/00_roles/01_roles.sql
-- Roles of pgwarden. Roles are cluster-wide, so this file is idempotent: it creates what is
-- missing and re-asserts attributes and memberships of what exists.
--
--   authenticator  LOGIN NOINHERIT: the app connects as it and may only SET ROLE to the roles below.
--   pgw_anon       NOLOGIN: requests without an identity.
--   pgw_user → pgw_staff → pgw_supervisor → pgw_administrator → pgw_developer
--                  NOLOGIN tiers; each higher tier is a member of the one below it, so a grant
--                  to a lower tier holds for every tier above it.

set local client_min_messages = warning;

do $roles$
declare
  tier text;
begin
  foreach tier in array array['pgw_anon', 'pgw_user', 'pgw_staff', 'pgw_supervisor',
                              'pgw_administrator', 'pgw_developer'] loop
    if not exists (select 1 from pg_catalog.pg_roles where rolname = tier) then
      execute format('create role %I nologin inherit', tier);
    end if;
    execute format('alter role %I nologin inherit nosuperuser nocreatedb nocreaterole nobypassrls',
                   tier);
  end loop;

  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'authenticator') then
    create role authenticator login noinherit;
  end if;
  alter role authenticator login noinherit nosuperuser nocreatedb nocreaterole nobypassrls;
end
$roles$;

-- The tier ladder: a higher tier is a member of (inherits) the tier below it.
grant pgw_user to pgw_staff;
grant pgw_staff to pgw_supervisor;
grant pgw_supervisor to pgw_administrator;
grant pgw_administrator to pgw_developer;

-- The app may switch to exactly these roles.
grant pgw_anon, pgw_user, pgw_staff, pgw_supervisor, pgw_administrator, pgw_developer
  to authenticator;

comment on role authenticator is
  'pgwarden: the login role of the app; NOINHERIT, may only SET ROLE to pgw_anon and the five tiers.';
comment on role pgw_anon is 'pgwarden: requests that carry no identity.';
comment on role pgw_user is 'pgwarden tier 1 (rank 100): a signed-in end user.';
comment on role pgw_staff is 'pgwarden tier 2 (rank 300): staff; member of pgw_user.';
comment on role pgw_supervisor is 'pgwarden tier 3 (rank 600): supervisor; member of pgw_staff.';
comment on role pgw_administrator is
  'pgwarden tier 4 (rank 900): administrator; member of pgw_supervisor.';
comment on role pgw_developer is
  'pgwarden tier 5 (rank 1000): developer; member of pgw_administrator.';
-- pgwarden bundle: end ../../sql/00_roles/01_roles.sql
COMMIT;
