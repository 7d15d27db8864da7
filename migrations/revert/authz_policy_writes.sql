-- Revert pgwarden:authz_policy_writes from pg
BEGIN;
drop function if exists authz.check_references();
drop function if exists authz.writing(text);
COMMIT;
