-- Revert library:auth_library_groups from pg
BEGIN;

delete from auth.groups where name = 'administrator';

COMMIT;
