-- Verify pgwarden:audit_cli_actor on pg
BEGIN;
select os_actor, cli_operation from audit.cli_changes where false;
select 1 / count(*) from pg_catalog.pg_trigger
 where tgname = 'events_cli_context' and tgrelid = 'audit.events'::regclass;
ROLLBACK;
