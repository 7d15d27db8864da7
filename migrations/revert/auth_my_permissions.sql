-- Revert pgwarden:auth_my_permissions from pg
BEGIN;
drop function if exists api.my_permissions();
drop function if exists auth.my_permissions();
COMMIT;
