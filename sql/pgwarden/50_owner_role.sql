-- The owner of pgwarden's objects (docs/threat-model.md, "Who owns the objects"). The schemas
-- pgwarden, auth, audit, authz and api, and every table, view, sequence, type and function in
-- the first four (except the functions owned on purpose by pgw_auth_service, pgw_session_writer
-- and pgw_policy_reader), belong to this NOLOGIN role, not to the superuser that deployed them.
-- Migrations run as a superuser or as a login role that is a member of pgw_owner; what either
-- creates in those schemas is handed to pgw_owner (51_owner_code.sql).
--
--   pgw_owner  NOLOGIN NOINHERIT BYPASSRLS: nobody connects as it; no tier, authenticator or
--              service role is a member. BYPASSRLS because its SECURITY DEFINER functions
--              (audit, authz, jobs) read and write tables under FORCE ROW LEVEL SECURITY, as
--              the superuser that owned them did; every other role, the tiers included, stays
--              under RLS. As owner it is still refused what the guards refuse: revoked_at
--              (auth.sessions_guard), direct INSERT/DELETE of sessions (auth.sessions_rows_guard),
--              UPDATE/DELETE of audit events.
--
-- Roles are cluster-wide, so this file creates what is missing and re-asserts the attributes.
-- Tests: tests_sql/test_roles_owner.sql.

set local client_min_messages = warning;

do $owner$
begin
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'pgw_owner') then
    create role pgw_owner nologin noinherit bypassrls;
  end if;
  alter role pgw_owner nologin noinherit bypassrls nosuperuser nocreatedb nocreaterole;
end
$owner$;

comment on role pgw_owner is
  'pgwarden: NOLOGIN owner of the pgwarden, auth, audit, authz and api schemas and their objects; '
  'BYPASSRLS for its definer functions; migrations run as a superuser or a member of it.';

-- pgwarden.deployed_changes() (SECURITY DEFINER, owned by pgw_owner) reads the sqitch registry,
-- which stock sqitch and pgwarden migrate create before the first change.
do $registry$
begin
  if pg_catalog.to_regclass('sqitch.changes') is not null then
    grant usage on schema sqitch to pgw_owner;
    grant select on table sqitch.changes to pgw_owner;
  end if;
end
$registry$;

-- pgwarden.run_job() (SECURITY DEFINER, owned by pgw_owner) runs the purge job.
grant execute on function auth.purge_expired(interval) to pgw_owner;
