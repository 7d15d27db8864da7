-- Revert pgwarden:roles
-- Roles are cluster-wide: a role that another database still uses is kept (with a notice).
BEGIN;
do $revert$
declare
  r text;
begin
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
