-- The owner of the generated exists helpers (webui/policies/helpers.py; docs/policies.md,
-- "Cross-resource exists"). A compiled `exists` calls a SECURITY DEFINER function owned by this
-- role, so the lookup never re-enters row-level security on the table it reads: two resources
-- whose policies look into each other no longer recurse (42P17).
--
--   pgw_policy_reader  NOLOGIN NOINHERIT BYPASSRLS: nobody connects or switches to it; it holds
--                      SELECT only on the tables compiled helpers read (granted by each compiled
--                      change) and owns those helpers.
--
-- Roles are cluster-wide, so this file is idempotent (it creates what is missing and re-asserts
-- the attributes). Test: tests_sql/test_policy_exists.sql.

set local client_min_messages = warning;

do $owner$
begin
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'pgw_policy_reader') then
    create role pgw_policy_reader nologin noinherit bypassrls;
  end if;
  alter role pgw_policy_reader nologin noinherit bypassrls nosuperuser nocreatedb nocreaterole;
end
$owner$;

comment on role pgw_policy_reader is
  'pgwarden: owns the generated exists helpers of compiled row policies (SECURITY DEFINER); '
  'NOLOGIN, BYPASSRLS, SELECT only on the tables those helpers read.';
