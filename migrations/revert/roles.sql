-- Revert pgwarden:roles
-- Roles are cluster-wide and other databases of the cluster may use them (SET ROLE leaves no
-- dependency to check), so they are dropped only when this is the cluster's only application
-- database; otherwise they are kept, with a notice. A role still owning or granted something
-- elsewhere is kept too.
BEGIN;
do $revert$
declare
  r text;
  other_databases int;
begin
  select count(*) into other_databases
    from pg_catalog.pg_database
   where datname not in ('postgres', 'template0', 'template1', pg_catalog.current_database())
     and not datistemplate;
  if other_databases > 0 then
    raise notice 'pgwarden roles kept: % other database(s) in this cluster may use them',
                 other_databases;
    return;
  end if;
  foreach r in array array['authenticator', 'pgw_developer', 'pgw_administrator',
                           'pgw_supervisor', 'pgw_staff', 'pgw_user', 'pgw_anon'] loop
    begin
      execute format('drop role if exists %I', r);
    exception when dependent_objects_still_exist or object_in_use then
      raise notice 'role % is still used elsewhere in this cluster; kept', r;
    end;
  end loop;
end
$revert$;
COMMIT;
