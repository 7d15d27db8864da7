-- Revert pgwarden:auth_admin_revoke_session
BEGIN;
drop function if exists auth.admin_revoke_session(bigint);
COMMIT;
