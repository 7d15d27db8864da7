-- Verify pgwarden:context
BEGIN;
select pg_catalog.has_function_privilege('auth.uid()', 'execute');
select pg_catalog.has_function_privilege('auth.claim(text)', 'execute');
select pg_catalog.has_function_privilege('pgwarden.correlation_id()', 'execute');
select pg_catalog.has_function_privilege('pgwarden.deployed_changes()', 'execute');
do $verify$
begin
  assert auth.uid() is null, 'auth.uid() must be NULL outside a request';
end
$verify$;
ROLLBACK;
