-- Revert pgwarden:roles_owner from pg: the objects go back to the reverting role (the deployer),
-- the guard and the event trigger go, and pgw_owner is dropped unless another database still
-- has objects of it (roles are cluster-wide).

BEGIN;

set local client_min_messages = warning;

drop event trigger if exists pgwarden_owner_adopts;
drop function if exists pgwarden.owner_adopt_new();
drop trigger if exists sessions_rows_guard on auth.sessions;
drop function if exists auth.sessions_rows_guard();
reassign owned by pgw_owner to current_user;
drop function if exists pgwarden.owner_adopt();
drop owned by pgw_owner;

do $owner$
begin
  drop role pgw_owner;
exception when dependent_objects_still_exist then
  raise notice 'pgw_owner is kept: another database still has objects or privileges of it';
end
$owner$;

COMMIT;
