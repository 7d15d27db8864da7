-- Verify pgwarden:authz_helpers on pg
BEGIN;
select r.name, r.relation, r.default_limit, r.max_limit from authz.resources r where false;
select pg_catalog.has_function_privilege('pgw_user', 'authz.is_request_role()', 'execute');
do $verify$
begin
  assert not authz.is_request_role(), 'the migration role is not a request role';
end
$verify$;
ROLLBACK;
