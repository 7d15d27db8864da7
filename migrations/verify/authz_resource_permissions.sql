-- Verify pgwarden:authz_resource_permissions on pg
BEGIN;
select pg_catalog.has_function_privilege('authz.seed_resource_permissions()', 'execute');
select 1 / count(*) from pg_catalog.pg_trigger
 where tgname = 'resources_seed_permissions' and tgrelid = 'authz.resources'::regclass;
ROLLBACK;
