-- Verify pgwarden:audit_rows
BEGIN;
select pg_catalog.has_function_privilege('audit.enable(regclass, text[])', 'execute');
select pg_catalog.has_function_privilege('audit.disable(regclass)', 'execute');
do $verify$
begin
  assert (select prosecdef from pg_catalog.pg_proc where oid = 'audit.capture_rows()'::regprocedure),
    'the row capture trigger must be SECURITY DEFINER';
  assert not pg_catalog.has_function_privilege('pgw_developer', 'audit.disable(regclass)', 'execute'),
    'tiers must not switch auditing off';
end
$verify$;
ROLLBACK;
