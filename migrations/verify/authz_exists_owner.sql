-- Verify pgwarden:authz_exists_owner on pg
BEGIN;
do $verify$
begin
  assert (select not r.rolcanlogin and r.rolbypassrls and not r.rolinherit and not r.rolsuper
            from pg_catalog.pg_roles r where r.rolname = 'pgw_policy_reader'),
    'pgw_policy_reader must exist, NOLOGIN, NOINHERIT, BYPASSRLS and not a superuser';
end
$verify$;
ROLLBACK;
