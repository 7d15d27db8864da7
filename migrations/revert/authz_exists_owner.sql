-- Revert pgwarden:authz_exists_owner
-- The role is cluster-wide: it is dropped only when this is the cluster's only application
-- database, and kept (with a notice) while it still owns or is granted something elsewhere.
BEGIN;
do $revert$
begin
  if (select count(*) from pg_catalog.pg_database
       where datname not in ('postgres', 'template0', 'template1', pg_catalog.current_database())
         and not datistemplate) > 0 then
    raise notice 'pgw_policy_reader kept: other databases in this cluster may use it';
    return;
  end if;
  drop role if exists pgw_policy_reader;
exception when dependent_objects_still_exist or object_in_use then
  raise notice 'pgw_policy_reader is still used elsewhere in this cluster; kept';
end
$revert$;
COMMIT;
