-- Verify pgwarden:ops_registry_report
BEGIN;
select project, change, change_id, deployed_at, deployed_by
  from pgwarden.deployed_changes()
 where false;
select pg_catalog.has_function_privilege('pgwarden.deployed_changes()', 'execute');
ROLLBACK;
