-- Verify library:admin_library_actions on pg
BEGIN;

do $verify$
begin
  assert pg_catalog.has_function_privilege('pgw_staff', 'library.mark_overdue(bigint[])', 'execute'),
    'library.mark_overdue(bigint[]) must be executable by pgw_staff';
  assert pg_catalog.has_function_privilege('pgw_staff', 'library.mark_returned(bigint[])', 'execute'),
    'library.mark_returned(bigint[]) must be executable by pgw_staff';
end
$verify$;

ROLLBACK;
