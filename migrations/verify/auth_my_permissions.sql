-- Verify pgwarden:auth_my_permissions on pg
BEGIN;
select 'auth.my_permissions()'::regprocedure, 'api.my_permissions()'::regprocedure;
ROLLBACK;
