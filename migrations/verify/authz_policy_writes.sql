-- Verify pgwarden:authz_policy_writes on pg
BEGIN;
select pg_catalog.has_function_privilege('authz.writing(text)', 'execute');
select 'authz.check_references()'::pg_catalog.regprocedure;
ROLLBACK;
