-- Deploy pgwarden:roles_owner to pg
-- requires: roles
-- requires: context
-- requires: audit_chain
-- requires: audit_views
-- requires: auth_sessions
-- requires: auth_login
-- requires: authz_grants
-- requires: ops_jobs
-- requires: ops_registry_report

BEGIN;

\ir ../../sql/pgwarden/50_owner_role.sql
\ir ../../sql/pgwarden/51_owner_code.sql
\ir ../../sql/auth/35_session_rows_guard.sql
select pgwarden.owner_adopt();

COMMIT;
