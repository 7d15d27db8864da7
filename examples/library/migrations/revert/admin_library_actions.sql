-- Revert library:admin_library_actions from pg
BEGIN;

drop function if exists library.mark_returned(bigint[]);
drop function if exists library.mark_overdue(bigint[]);

COMMIT;
